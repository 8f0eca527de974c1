"""Shelter intakes at trusted addresses that take people in (nhà tạm lánh)."""

from storage.shelter.intakes import (
    SUPPORT_CODES,
    IntakeError,
    IntakeFigures,
    IntakeInput,
    Recorded,
    Support,
    incident_code_of,
    intake_figures,
    record_intake,
    referral_of,
    shelters_for,
)

__all__ = [
    "SUPPORT_CODES",
    "IntakeError",
    "IntakeFigures",
    "IntakeInput",
    "Recorded",
    "Support",
    "incident_code_of",
    "intake_figures",
    "record_intake",
    "referral_of",
    "shelters_for",
]

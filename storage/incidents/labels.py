"""Message ids for the names of incident types, affected people, referrals and
outcomes, and the translation interface that storage code is given (it may not
import ``bot.i18n``): whoever calls passes ``bot.i18n.translator``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from babel import Locale

from storage.models import (
    AddressService,
    Affected,
    ContactMode,
    IncidentKind,
    IncidentOutcome,
    IncidentStatus,
    Occurred,
    Referral,
)


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it."""
    return message


class Translate(Protocol):
    """What storage needs of ``bot.i18n.Translator``."""

    lang: str
    locale: Locale  # what Babel formats with

    def __call__(self, message: str) -> str: ...


Texts = Callable[[str | None], Translate]
"""A language code (or ``None``: the default) → its translator."""

KIND_NAMES: dict[IncidentKind, str] = {
    IncidentKind.DOMESTIC_VIOLENCE: N_("Domestic violence"),
    IncidentKind.SEXUAL_VIOLENCE: N_("Sexual violence or harassment"),
    IncidentKind.CHILD_ABUSE: N_("Violence or abuse against a child"),
    IncidentKind.CHILD_MARRIAGE: N_("Child marriage"),
    IncidentKind.TRAFFICKING: N_("Human trafficking"),
    IncidentKind.OTHER: N_("Other"),
}
CHILD_KINDS = frozenset({IncidentKind.CHILD_ABUSE, IncidentKind.CHILD_MARRIAGE})

AFFECTED_NAMES: dict[Affected, str] = {
    Affected.WOMAN: N_("Woman"),
    Affected.GIRL: N_("Girl"),
    Affected.BOY: N_("Boy"),
    Affected.MAN: N_("Man"),
    Affected.OLDER: N_("Older person"),
    Affected.DISABLED: N_("Person with a disability"),
}
CHILDREN = frozenset({Affected.GIRL, Affected.BOY})
# Words typed at /report's "who is affected" step that name several at once
# (each comma-separated part of the translation counts): "trẻ em" is girls and boys.
AFFECTED_GROUPS: tuple[tuple[str, tuple[Affected, ...]], ...] = (
    (N_("Children, child, kids"), (Affected.GIRL, Affected.BOY)),
)

OCCURRED_NAMES: dict[Occurred, str] = {
    Occurred.NOW: N_("Happening now"),
    Occurred.TODAY: N_("Today"),
    Occurred.WEEK: N_("In the last 7 days"),
    Occurred.EARLIER: N_("Earlier"),
}

CONTACT_NAMES: dict[ContactMode, str] = {
    ContactMode.ANONYMOUS: N_("Anonymous"),
    ContactMode.TELEGRAM: N_("Contact me in Telegram"),
    ContactMode.PHONE: N_("Call me on my phone"),
}

STATUS_NAMES: dict[IncidentStatus, str] = {
    IncidentStatus.NEW: N_("Waiting for a responder"),
    IncidentStatus.TAKEN: N_("Taken"),
    IncidentStatus.REFERRED: N_("Referred"),
    IncidentStatus.CLOSED: N_("Closed"),
}

REFERRAL_NAMES: dict[Referral, str] = {
    Referral.POLICE: N_("Police"),
    Referral.HEALTH: N_("Health station"),
    Referral.LEGAL_AID: N_("Legal aid"),
    Referral.CHILD_PROTECTION: N_("Child protection"),
}

OUTCOME_NAMES: dict[IncidentOutcome, str] = {
    IncidentOutcome.SUPPORTED: N_("Support given"),
    IncidentOutcome.REFERRED_ON: N_("Handed over to the authorities"),
    IncidentOutcome.NOT_CONFIRMED: N_("Could not be confirmed"),
    IncidentOutcome.DECLINED: N_("The person declined support"),
    IncidentOutcome.DUPLICATE: N_("Duplicate of another report"),
}

SERVICE_NAMES: dict[AddressService, str] = {
    AddressService.SHELTER: N_("Temporary shelter"),
    AddressService.COUNSELLING: N_("Counselling"),
    AddressService.MEDICAL: N_("Medical care"),
    AddressService.LEGAL: N_("Legal advice"),
    AddressService.MEDIATION: N_("Mediation"),
}

"""Shelter intakes (tiếp nhận tạm lánh) at trusted addresses that also take
people in (địa chỉ tin cậy – nhà tạm lánh cộng đồng). No name is ever stored;
what could point to a person (the referral, the incident code, a note) is
encrypted as incident reports are."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class ShelterIntake(Base):
    """One person taken in: the day, the nights stayed, the support given
    (shelter, counselling, medical, legal, referral). ``unit_id`` is the
    commune of the address, for counting by commune. ``*_enc`` columns hold
    ``storage.incidents.crypto`` tokens. ``notice_id`` is the Art. 36 notice
    to the commune People's Committee sent or recorded with it."""

    __tablename__ = "shelter_intakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    taken_in_on: Mapped[date] = mapped_column(Date)
    nights: Mapped[int] = mapped_column(Integer)
    shelter: Mapped[bool] = mapped_column(Boolean, default=False)
    counselling: Mapped[bool] = mapped_column(Boolean, default=False)
    medical: Mapped[bool] = mapped_column(Boolean, default=False)
    legal: Mapped[bool] = mapped_column(Boolean, default=False)
    referral: Mapped[bool] = mapped_column(Boolean, default=False)
    referral_enc: Mapped[str | None] = mapped_column(Text)  # where to, encrypted
    incident_code_enc: Mapped[str | None] = mapped_column(Text)  # BD-..., encrypted
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    notice_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("nights >= 0 AND nights <= 366", name="nights_range"),
        Index("ix_shelter_intakes_unit_day", "unit_id", "taken_in_on"),
    )

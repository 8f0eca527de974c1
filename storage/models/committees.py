"""The commune People's Committee (Ủy ban nhân dân xã) as the incident feature
needs it: whom a trusted address notifies when it takes in a victim (2022 Law
on Domestic Violence Prevention, Art. 36), and each such notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class CommuneCommittee(Base):
    """UBND xã: the contact of one commune's People's Committee, kept by the
    coordinators (one row per commune)."""

    __tablename__ = "commune_committees"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Art36Notice(Base):
    """Thông báo theo Điều 36: a trusted address told the commune People's
    Committee that it took in a victim. ``key`` makes a retried notice land
    once (``incident:<id>``, or the caller's own key for a shelter intake).
    Nothing here names the victim."""

    __tablename__ = "art36_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    informed: Mapped[int] = mapped_column(Integer, default=0)  # coordinators told in the bot
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

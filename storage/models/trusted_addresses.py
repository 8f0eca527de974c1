"""The trusted-address directory (địa chỉ tin cậy): who receives victims, where,
when they are open, and which registered users staff them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class AddressService(enum.Enum):
    """Dịch vụ of a trusted address."""

    SHELTER = "shelter"  # Tạm lánh
    COUNSELLING = "counselling"  # Tư vấn
    MEDICAL = "medical"  # Chăm sóc y tế
    LEGAL = "legal"  # Tư vấn pháp lý
    MEDIATION = "mediation"  # Hòa giải


class TrustedAddress(Base):
    """Địa chỉ tin cậy: a person or organisation (often at the commune health
    station, the commune police or the Women's Union) that receives victims.

    ``hours`` is the canonical opening-hours text (``24/7`` or
    ``mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30``, see
    ``storage.trusted_addresses.hours``); ``phones`` and ``services`` are lists
    of strings. ``confirmed_at`` is the last time its staff or a coordinator
    said the entry is correct."""

    __tablename__ = "trusted_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    phones: Mapped[Any] = mapped_column(JSON, default=list)
    hours: Mapped[str] = mapped_column(String(200), default="")
    services: Mapped[Any] = mapped_column(JSON, default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    check_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stale_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrustedAddressArea(Base):
    """A commune or village that a trusted address covers."""

    __tablename__ = "trusted_address_areas"

    address_id: Mapped[int] = mapped_column(
        ForeignKey("trusted_addresses.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)


class TrustedAddressStaff(Base):
    """A registered user (role ``ta_staff``) who works at a trusted address and
    receives its incident alerts."""

    __tablename__ = "trusted_address_staff"

    address_id: Mapped[int] = mapped_column(
        ForeignKey("trusted_addresses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

"""Hotlines (đường dây nóng): national numbers kept as editable data, seeded
from ``storage/data/hotlines.csv``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class Hotline(Base):
    """Đường dây nóng: a number, its place in the list, and a one-line
    description of when to call it in each language (``{"vi": ..., "en": ...}``).

    ``role`` names what the bot uses it for (``police`` is shown when someone
    is in danger, ``child`` when a child is at risk), so that no number is
    written in code."""

    __tablename__ = "hotlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    descriptions: Mapped[Any] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

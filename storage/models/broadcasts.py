"""Broadcasts (thông báo hàng loạt): a coordinator's message to everyone, or a
chosen part, under their unit; sent once or repeated on a schedule."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class Repeat(enum.Enum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"  # on ``weekdays``


class BroadcastStatus(enum.Enum):
    ACTIVE = "active"  # has a run to come or running
    DONE = "done"
    CANCELLED = "cancelled"


class RunStatus(enum.Enum):
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # its time passed while the bot was down for too long


class Broadcast(Base):
    """What a coordinator sends, to whom, and when. The audience is every
    active user under ``unit_id`` (NULL: the whole country, for
    administrators), narrowed to ``places`` (unit ids) and ``roles`` when they
    are not empty. Recipients are found when each run starts."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    places: Mapped[Any] = mapped_column(JSON)  # list of unit ids
    roles: Mapped[Any] = mapped_column(JSON)  # list of Role values
    text: Mapped[str] = mapped_column(Text)  # HTML; the caption of a photo or document
    photo: Mapped[str | None] = mapped_column(String(255))  # Telegram file_id
    document: Mapped[str | None] = mapped_column(String(255))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    repeat: Mapped[Repeat] = mapped_column(str_enum(Repeat, 8), default=Repeat.NONE)
    weekdays: Mapped[Any] = mapped_column(JSON)  # 0 = Monday
    until: Mapped[date | None] = mapped_column(Date)  # last local day of a repeat
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[BroadcastStatus] = mapped_column(
        str_enum(BroadcastStatus, 16), default=BroadcastStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_broadcasts_status_next_at", "status", "next_at"),)


class BroadcastRun(Base):
    """One sending of a broadcast; its outbox entries have ``ref = bcr:<id>``."""

    __tablename__ = "broadcast_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, 16))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_shown: Mapped[str | None] = mapped_column(String(64))  # counts last shown
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("broadcast_id", "scheduled_for"),
        Index("ix_broadcast_runs_status", "status"),
    )

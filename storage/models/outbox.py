"""The outbox (hộp thư đi): every message a feature sends on its own, rather
than as a reply, waits here until the sender delivers it. See docs/outbox.md."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class Priority(enum.IntEnum):
    """Lower goes first. The sender always takes the most urgent due message,
    so an alert never waits behind a broadcast."""

    URGENT = 0  # incident alerts (báo tin khẩn)
    NORMAL = 5  # reminders, report nudges, reports to coordinators
    BULK = 9  # broadcasts (thông báo hàng loạt)


class OutboxStatus(enum.Enum):
    PENDING = "pending"  # waits for its time (``not_before``)
    SENDING = "sending"  # claimed by the sender, outcome not yet recorded
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot or was deactivated
    FAILED = "failed"  # 400 or too many transient errors; ``error`` says why
    EXPIRED = "expired"  # not sent before ``expires_at``
    CANCELLED = "cancelled"  # withdrawn by its feature (a cancelled broadcast)

    @property
    def final(self) -> bool:
        return self not in (OutboxStatus.PENDING, OutboxStatus.SENDING)


class OutboxPayload(Base):
    """What to send: one row may serve many deliveries (a broadcast has one per
    language, not one per recipient). ``content`` is ``storage.outbox.Message``
    as JSON. Never changed once written."""

    __tablename__ = "outbox_payloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEntry(Base):
    """One message to one chat, and what became of it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # the feature's name for it; keys the hooks
    priority: Mapped[int] = mapped_column(Integer, default=Priority.NORMAL)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payload_id: Mapped[int] = mapped_column(ForeignKey("outbox_payloads.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    ref: Mapped[str | None] = mapped_column(String(64))  # groups entries (one broadcast run)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, 16), default=OutboxStatus.PENDING
    )
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lease of a ``sending`` entry: which sender claimed it, and until
    # when no other sender may take it over (docs/outbox.md, "Leases").
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "not_before", "id"),
        Index("ix_outbox_ref_status", "ref", "status"),
        Index("ix_outbox_chat_status", "chat_id", "status"),
    )

"""Conversation state and user data kept across restarts (see storage.persistence)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class PersistedState(Base):
    """One entry of PTB's persistence: a conversation state or a user's data."""

    __tablename__ = "persisted_state"

    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DiscreetErasure(Base):
    """An open /report in discreet mode (chế độ kín đáo): "erase chat C from
    message id A". Written before the report's first message is sent, deleted
    once its messages are erased; a row left after a crash is found by the
    draft sweeper (``scheduler.abandoned``)."""

    __tablename__ = "discreet_erasures"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)  # the reporter's Telegram id
    from_message_id: Mapped[int] = mapped_column(BigInteger)
    # The update of the report being handled; when it never finished (a crash),
    # the messages it sent may be missing from the saved draft, and every id
    # from ``gap_from`` up is erased.
    open_update: Mapped[int | None] = mapped_column(BigInteger)
    gap_from: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

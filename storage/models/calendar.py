"""The calendar (lịch) of action months, observance days and report deadlines,
the reminder rules attached to its events, and what was already reminded."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class EventKind(enum.Enum):
    """Also the kinds of reminder a user can turn off."""

    ACTION_MONTH = "action_month"  # Tháng hành động: a period with a start and an end
    DAY = "day"  # Ngày kỷ niệm: a single day
    DEADLINE = "deadline"  # Hạn báo cáo: a report is due on that day


class Anchor(enum.Enum):
    START = "start"
    END = "end"


class ReminderPurpose(enum.Enum):
    """What a reminder says, and the next action it links to."""

    AHEAD = "ahead"  # "starts in 14 days: plan your activities"
    STARTS = "starts"  # "begins today: log each activity"
    LAST_DAY = "last_day"  # "last day: log what was done; see this month's summary"
    TODAY = "today"  # a single day: "today is ..."
    DEADLINE = "deadline"  # "the report is due on ..."


class CalendarEvent(Base):
    """Sự kiện: a national event (``unit_id`` NULL), a local one (under a unit),
    or an area's own version of another event (``base_id``: for example the
    annual report due on 10 December in one province instead of 5 December).

    Dates are a month and a day, every year unless ``year`` is set. An end
    before the start runs into the next year."""

    __tablename__ = "calendar_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)  # seeded events only
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 16))
    title: Mapped[str] = mapped_column(String(200))
    translatable: Mapped[bool] = mapped_column(Boolean, default=False)  # title is a message id
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    base_id: Mapped[int | None] = mapped_column(
        ForeignKey("calendar_events.id", ondelete="CASCADE"), index=True
    )
    start_month: Mapped[int] = mapped_column(SmallInteger)
    start_day: Mapped[int] = mapped_column(SmallInteger)
    end_month: Mapped[int] = mapped_column(SmallInteger)
    end_day: Mapped[int] = mapped_column(SmallInteger)
    year: Mapped[int | None] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderRule(Base):
    """Who is reminded of an event, and when: ``offset_days`` from its start or
    end (negative: before), at ``at_minute`` local time. An area's version of
    an event uses the rules of the event it changes."""

    __tablename__ = "reminder_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_events.id", ondelete="CASCADE"), index=True
    )
    anchor: Mapped[Anchor] = mapped_column(str_enum(Anchor, 8))
    offset_days: Mapped[int] = mapped_column(Integer)
    at_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)
    purpose: Mapped[ReminderPurpose] = mapped_column(str_enum(ReminderPurpose, 16))
    roles: Mapped[Any] = mapped_column(JSON)  # list of Role values
    only_incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReminderRun(Base):
    """One reminder rule applied to one occurrence of one version of an event:
    written in the transaction that queues its messages, so that it happens
    once whatever crashes or restarts."""

    __tablename__ = "reminder_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("reminder_rules.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("calendar_events.id", ondelete="CASCADE"))
    occurs_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("rule_id", "event_id", "occurs_on"),)


class ReminderOptOut(Base):
    """A user who turned off one kind of reminder."""

    __tablename__ = "reminder_opt_outs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_reminder_opt_outs_kind", "kind"),)

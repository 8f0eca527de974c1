"""Monthly rollups (số liệu cộng dồn theo tháng) of live activities, per
commune and per province, kept by database triggers (see
``storage.reports.rollups``) so that a national or provincial report reads a
few thousand rows instead of a million. They are derived data: rebuilt from
``activities`` at any time with ``binhdang report --rebuild-rollups``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.activities import ActivityKind, SessionLanguage, Topic
from storage.models.base import Base, str_enum


class _Sums:
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    women: Mapped[int] = mapped_column(Integer, default=0)
    men: Mapped[int] = mapped_column(Integer, default=0)
    girls: Mapped[int] = mapped_column(Integer, default=0)
    boys: Mapped[int] = mapped_column(Integer, default=0)
    ethnic_minority: Mapped[int] = mapped_column(Integer, default=0)


class ActivityRollup(_Sums, Base):
    """Sessions and participants of one month, kind and language under one
    commune or province (``scope_id``), counting every village below it."""

    __tablename__ = "activity_rollups"

    scope_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind), primary_key=True)
    language: Mapped[SessionLanguage] = mapped_column(
        str_enum(SessionLanguage, 16), primary_key=True
    )


class TopicRollup(_Sums, Base):
    """The same per topic (a session with two topics counts under both)."""

    __tablename__ = "activity_topic_rollups"

    scope_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind), primary_key=True)
    topic: Mapped[Topic] = mapped_column(str_enum(Topic), primary_key=True)


class ReporterMonth(Base):
    """How many live sessions a user logged that were held in a month: who
    reported in a period is then one index lookup per collaborator."""

    __tablename__ = "reporter_months"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)

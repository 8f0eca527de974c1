"""Targets (chỉ tiêu) that coordinators set for an area and a year, and the
"no activity this month" declarations (báo cáo không có hoạt động) that tell a
true zero apart from a missing report."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.activities import ActivityKind, FundingSource, Topic
from storage.models.base import Base, UTCDateTime, str_enum, utcnow
from storage.models.registers import RegisterKind


class Indicator(enum.Enum):
    """What a target counts (loại chỉ tiêu)."""

    SESSIONS = "sessions"  # sessions of a kind: "21 cuộc đối thoại chính sách"
    PLACES = "places"  # villages or communes where a kind of activity runs: "03 CLB"
    TRUSTED_ADDRESSES = "trusted_addresses"  # communes with a working địa chỉ tin cậy: "04 ĐCTC"
    PARTICIPANTS = "participants"  # people reached (lượt người tham gia)
    SHARE = "share"  # a share of a known population reached: "80% phụ nữ ..."
    BUDGET = "budget"  # kinh phí (đồng) for the area and year, against the costs recorded
    # Register entries of ``register_kind`` with a dated event in the period:
    ESTABLISHED = "established"  # thành lập: "03 CLB được thành lập"
    RENEWED = "renewed"  # củng cố, nâng chất lượng hoặc thành lập mới: "04 ĐCTC"
    SUPPORTED = "supported"  # được hỗ trợ: "02 tổ/nhóm sinh kế ... ứng dụng công nghệ 4.0"


class ParticipantField(enum.Enum):
    """Which participants a participant or share target counts."""

    TOTAL = "total"
    WOMEN = "women"
    MEN = "men"
    GIRLS = "girls"
    BOYS = "boys"
    ETHNIC_MINORITY = "ethnic_minority"


class Target(Base):
    """Chỉ tiêu: one indicator for one area and one year.

    The area is a unit (province, commune, village) or a group of communes
    (``UnitGroup``, for example a former district), never both. ``value`` is a
    count, or a percentage for :attr:`Indicator.SHARE`, whose denominator is
    ``population``. ``activity_kind``, ``topic`` and ``keyword`` narrow the
    sessions counted; ``keyword`` is looked for, accent-insensitively, in the
    session's note or its "other" kind name ("Chương trình 3"). ``label`` is the
    plan's own wording of the line. For :attr:`Indicator.BUDGET` ``value`` is
    an amount in đồng, optionally of one ``funding_source``, and what is
    achieved is the cost of the activities recorded against it.
    """

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("unit_groups.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[Indicator] = mapped_column(str_enum(Indicator))
    activity_kind: Mapped[ActivityKind | None] = mapped_column(str_enum(ActivityKind))
    topic: Mapped[Topic | None] = mapped_column(str_enum(Topic))
    field: Mapped[ParticipantField | None] = mapped_column(str_enum(ParticipantField, 16))
    keyword: Mapped[str | None] = mapped_column(String(60))
    funding_source: Mapped[FundingSource | None] = mapped_column(str_enum(FundingSource))
    register_kind: Mapped[RegisterKind | None] = mapped_column(str_enum(RegisterKind))
    value: Mapped[int] = mapped_column(BigInteger)
    population: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "(unit_id IS NULL AND group_id IS NOT NULL) OR (unit_id IS NOT NULL AND group_id IS NULL)",
            name="one_owner",
        ),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("population IS NULL OR population > 0", name="population_positive"),
        Index("ix_targets_unit_year", "unit_id", "year"),
        Index("ix_targets_group_year", "group_id", "year"),
    )


class NoActivityReport(Base):
    """Báo cáo "không có hoạt động": a member says, with one tap, that they held
    no session in a month. ``month`` is the first day of that local month."""

    __tablename__ = "no_activity_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    month: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "month", name="uq_no_activity_reports_user_month"),
        Index("ix_no_activity_reports_month_unit", "month", "unit_id"),
    )

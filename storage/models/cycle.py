"""The report cycle (chế độ báo cáo định kỳ): a unit's six-month or annual
report for a period, prepared, submitted to the level above, then accepted
or returned with a comment and submitted again."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class CycleKind(enum.Enum):
    """Loại báo cáo định kỳ."""

    HALF_YEAR = "half_year"  # Báo cáo 6 tháng đầu năm (trước ngày 05/6)
    ANNUAL = "annual"  # Báo cáo năm (trước ngày 05 hoặc 10/12)


class CycleState(enum.Enum):
    """Tình trạng của báo cáo: dự thảo, đã nộp, bị trả lại, đã tiếp nhận."""

    DRAFT = "draft"  # Dự thảo
    SUBMITTED = "submitted"  # Đã nộp
    RETURNED = "returned"  # Bị trả lại để chỉnh sửa
    ACCEPTED = "accepted"  # Đã tiếp nhận


class PeriodReport(Base):
    """Báo cáo định kỳ: one per unit, kind and year. ``figures`` holds the
    figures as they were at the last submission (the JSON document of
    ``storage.reports.document``); ``submissions`` counts submissions, so a
    button pressed twice, or in an earlier round, does nothing."""

    __tablename__ = "period_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[CycleKind] = mapped_column(str_enum(CycleKind, 16))
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[CycleState] = mapped_column(str_enum(CycleState, 16))
    results: Mapped[str] = mapped_column(Text, default="")  # Kết quả
    difficulties: Mapped[str] = mapped_column(Text, default="")  # Khó khăn, vướng mắc, nguyên nhân
    proposals: Mapped[str] = mapped_column(Text, default="")  # Đề xuất, kiến nghị
    figures: Mapped[Any | None] = mapped_column(JSON)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)  # why it was returned

    __table_args__ = (
        UniqueConstraint("unit_id", "kind", "year"),
        Index("ix_period_reports_kind_year_state", "kind", "year", "state"),
    )

"""One report = the summary, the targets' progress and completeness of an
area for a period; what /summary, /export, the CLI and the benchmark build."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.reports.aggregates import Summary, summarize
from storage.reports.areas import Area
from storage.reports.completeness import Completeness, completeness
from storage.reports.labels import Translate
from storage.reports.periods import Period
from storage.reports.render import summary_text
from storage.reports.targets import TargetReport, progress


@dataclass
class Report:
    summary: Summary
    targets: TargetReport
    completeness: Completeness

    @property
    def area(self) -> Area:
        return self.summary.area

    @property
    def period(self) -> Period:
        return self.summary.period


async def build_report(
    session: AsyncSession,
    area: Area,
    period: Period,
    *,
    today: date,
    zone: ZoneInfo,
    with_children: bool = False,
) -> Report:
    """Targets are those of the year the period ends in, achieved from
    1 January to the end of the period (or today, if sooner)."""
    summary = await summarize(session, area, period, zone)
    targets = await progress(
        session,
        area,
        period.end.year,
        min(period.end, today),
        with_children=with_children,
        children=[row.place for row in summary.children],
    )
    return Report(summary, targets, await completeness(session, area, period, today, zone))


async def draft_summary(
    session: AsyncSession,
    area: Area,
    period: Period,
    *,
    today: date,
    zone: ZoneInfo,
    t: Translate,
) -> str:
    """The summary of an area as chat HTML: what a reminder before a report
    deadline can carry (``scheduler.reminders``)."""
    report = await build_report(session, area, period, today=today, zone=zone)
    return summary_text(report.summary, report.targets, report.completeness, t)

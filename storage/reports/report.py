"""One report = the summary, the targets' progress and completeness of an
area for a period; what /summary, /export, the CLI and the benchmark build."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.reports import areas
from storage.reports.aggregates import Counts, Summary, summarize
from storage.reports.areas import Area, AreaKind
from storage.reports.completeness import Completeness, Standing, completeness
from storage.reports.labels import Translate
from storage.reports.periods import Period
from storage.reports.render import MAX_NAMES, headline, summary_text
from storage.reports.tally import Tallied, tally
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


async def serial_plans(session: AsyncSession) -> None:
    """On PostgreSQL, no parallel workers and no JIT compilation for the rest
    of the transaction: each of a report's queries reads little (the
    rollups, a few days of activities), and starting a worker took 50 to
    70 ms on the loaded two-core server against 10 ms of work (a province's
    edge days), compiling the silent places' query 60 ms against 10."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        await session.execute(text("SET LOCAL jit = off"))


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
    1 January to the end of the period (or today, if sooner). Completeness
    lists the collaborators who did not report and counts the others
    (``completeness.everyone`` lists them all)."""
    await serial_plans(session)
    # The counts by child and kind, read once for the summary and the
    # targets' lines (the country has no targets of its own to share them).
    tallied: Tallied | None = None if area.kind is AreaKind.COUNTRY else {}
    summary = await summarize(session, area, period, zone, tallied=tallied)
    targets = await progress(
        session,
        area,
        period.end.year,
        min(period.end, today),
        with_children=with_children,
        children=[row.place for row in summary.children],
        tallied=tallied,
    )
    found = await completeness(
        session,
        area,
        period,
        today,
        zone,
        reporters=False,
        counted=(summary.collaborators, summary.reporting),
    )
    return Report(summary, targets, found)


async def draft_summary(
    session: AsyncSession,
    area: Area,
    period: Period,
    *,
    today: date,
    zone: ZoneInfo,
    t: Translate,
) -> str:
    """The summary of an area as chat HTML (a reminder before a report
    deadline carries the shorter :func:`draft_text`)."""
    report = await build_report(session, area, period, today=today, zone=zone)
    return summary_text(report.summary, report.targets, report.completeness, t)


@dataclass(frozen=True)
class Draft:
    """The figures a reminder before a report deadline carries."""

    place_name: str
    counts: Counts
    completeness: Completeness

    @property
    def period(self) -> Period:
        return self.completeness.period


async def draft(session: AsyncSession, found: Completeness) -> Draft:
    """The totals of the area and period of ``found``: two or three queries,
    where :func:`summarize` takes about ten (one reminder is sent to the
    coordinators of thousands of areas)."""
    rows = await tally(session, found.area, found.period, per_child=False)
    counts = Counts.total_of(Counts(row.sessions, *row.people) for row in rows)
    return Draft(await areas.describe(session, found.area), counts, found)


def draft_text(figures: Draft, t: Translate) -> str:
    """A few lines of the draft summary, compact enough to follow a reminder
    (``scheduler.reminders``): the totals, and who and where is still silent."""
    c, found = figures.counts, figures.completeness

    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    lines = [
        *headline(figures.place_name, figures.period, c, t),
        esc(
            t(
                "Collaborators: {all} (logged sessions: {reported}; said there was no activity: {declared}; silent: {silent})"
            ).format(
                all=t.number(found.total),
                reported=t.number(found.count(Standing.REPORTED)),
                declared=t.number(found.count(Standing.DECLARED_NONE)),
                silent=t.number(len(found.silent)),
            )
        ),
    ]
    for label, places, among in (
        (t("Villages with nothing logged: {n} of {all}"), found.silent_villages, found.villages),
        (t("Communes with nothing logged: {n} of {all}"), found.silent_communes, found.communes),
    ):
        if among and places:
            text = label.format(n=t.number(len(places)), all=t.number(among))
            names = [p.name for p in places[:MAX_NAMES]]
            if len(places) > MAX_NAMES:
                names.append(t("{n} more").format(n=t.number(len(places) - MAX_NAMES)))
            lines.append(esc(f"{text}: {', '.join(names)}"))
    return "\n".join(lines)

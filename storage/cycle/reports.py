"""The report cycle (chế độ báo cáo định kỳ, seeds 001 and 002): a commune's
six-month report (before 5 June) and annual report (before 5 or 10 December)
is prepared, submitted to the province, and accepted or returned with a
comment, then corrected and submitted again.

- Figures are compiled by the reports (``storage.reports.document``); at
  each submission they are frozen in the row, so that an activity corrected
  later shows as a correction (``storage.cycle.figures``) and never changes
  a report already submitted.
- Who may do what is decided here: the coordinator of the unit prepares and
  submits; a coordinator of the unit above accepts or returns.
- Each step is one conditional UPDATE on the round (``submissions``): a
  press delivered twice, or two reviewers at once, change the row once; the
  others are told what happened. Every step is audited, dated, with its actor.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, outbox
from storage import calendar as events
from storage.cycle import frozen
from storage.cycle.figures import Correction, Lines, corrections, lines_of
from storage.cycle.labels import report_title
from storage.models import (
    CycleKind,
    CycleState,
    PeriodReport,
    Priority,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.reports import document
from storage.reports.areas import unit_area
from storage.reports.labels import Translate
from storage.reports.periods import Period, ReportCalendar, half_period, year_period
from storage.reports.render import day
from storage.reports.report import build_report
from storage.users import Profile

Texts = Callable[[str | None], Translate]  # a translator for a user's language
ENTITY = "period_report"
KIND = "period_report"  # outbox kind of the notices
SECTIONS = ("results", "difficulties", "proposals")
MAX_SECTION = 12_000  # characters of one narrative section
OPEN_STATES = (CycleState.DRAFT, CycleState.RETURNED)
DONE_STATES = (CycleState.SUBMITTED, CycleState.ACCEPTED)
DEADLINE_CODES = {CycleKind.HALF_YEAR: "report_half_year", CycleKind.ANNUAL: "report_annual"}
# When the calendar has no deadline for the area: seed 002's dates.
DEFAULT_DUE = {CycleKind.HALF_YEAR: (6, 5), CycleKind.ANNUAL: (12, 5)}


class Outcome(enum.Enum):
    DONE = "done"
    NOT_FOUND = "not_found"  # no such report, or not one this person may see
    NOT_ALLOWED = "not_allowed"
    STALE = "stale"  # already done, or a button of an earlier round
    INCOMPLETE = "incomplete"  # a narrative section is empty
    TOO_LONG = "too_long"


class CycleError(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    report: PeriodReport | None = None

    @property
    def done(self) -> bool:
        return self.outcome is Outcome.DONE


# Periods and deadlines.
def period_of(kind: CycleKind, year: int, report_calendar: ReportCalendar) -> Period:
    """The period a report covers: 1 January to the six-month deadline, or the year."""
    if kind is CycleKind.HALF_YEAR:
        return half_period(year, 1, report_calendar)
    return year_period(year)


def cycle_of(period: Period) -> tuple[CycleKind, int] | None:
    """The report a deadline's period is for (``storage.calendar.deadline_period``)."""
    if period.kind == "half" and period.start.month == 1 and period.start.day == 1:
        return CycleKind.HALF_YEAR, period.start.year
    if period.kind == "year":
        return CycleKind.ANNUAL, period.start.year
    return None


def current_cycles(today: date, report_calendar: ReportCalendar) -> list[tuple[CycleKind, int]]:
    """The reports offered first: this year's six-month report until it is
    due (and a month after), this year's annual report, and in January last
    year's annual report."""
    found = []
    if today <= report_calendar.half_end(today.year) + timedelta(days=31):
        found.append((CycleKind.HALF_YEAR, today.year))
    found.append((CycleKind.ANNUAL, today.year))
    if today.month == 1:
        found.append((CycleKind.ANNUAL, today.year - 1))
    if (CycleKind.HALF_YEAR, today.year) not in found:
        found.insert(0, (CycleKind.HALF_YEAR, today.year))
    return found


async def due_on(
    session: AsyncSession,
    unit: Unit,
    kind: CycleKind,
    year: int,
    report_calendar: ReportCalendar,
) -> date:
    """The unit's deadline for this report: its calendar's report deadline
    (an area may set its own date) whose period is this report's."""
    period = period_of(kind, year, report_calendar)
    dated = await events.dated_for(
        session, unit.path, period.end - timedelta(days=60), period.end + timedelta(days=60)
    )
    code = DEADLINE_CODES[kind]
    found = [
        d.start
        for d in dated
        if d.base.code == code
        and events.deadline_period(events.DeadlineDue(code, d.start), report_calendar) == period
    ]
    if found:
        return min(found)
    month, day = DEFAULT_DUE[kind]
    return date(year, month, day)


# Who may do what.
def may_submit(profile: Profile, unit: Unit) -> bool:
    """The coordinator of a commune (cán bộ xã) prepares and submits its
    report; villages do not submit, and the province is the top."""
    return (
        profile.is_active
        and profile.role is Role.COMMUNE_COORDINATOR
        and profile.unit_id == unit.id
        and unit.level is UnitLevel.COMMUNE
        and unit.parent_id is not None
    )


def may_decide(profile: Profile, unit: Unit) -> bool:
    """A coordinator of the unit above accepts or returns (or an administrator)."""
    if not profile.is_coordinator:
        return False
    return profile.is_admin or (unit.parent_id is not None and profile.unit_id == unit.parent_id)


def may_view(profile: Profile, unit: Unit) -> bool:
    return may_submit(profile, unit) or (profile.is_coordinator and profile.covers(unit.path))


async def _unit(session: AsyncSession, report: PeriodReport) -> Unit:
    unit = await session.get(Unit, report.unit_id)
    assert unit is not None
    return unit


async def get(session: AsyncSession, profile: Profile, report_id: int) -> PeriodReport | None:
    """The report, if this person may see it."""
    report = await session.get(PeriodReport, report_id)
    if report is None or not may_view(profile, await _unit(session, report)):
        return None
    return report


async def open_report(
    session: AsyncSession, profile: Profile, kind: CycleKind, year: int, now: datetime
) -> PeriodReport:
    """The commune's report for this period, created as a draft the first
    time its coordinator opens it (once, even if two open it at once)."""
    unit = await session.get(Unit, profile.unit_id or 0)
    if unit is None or not may_submit(profile, unit):
        raise CycleError(Outcome.NOT_ALLOWED)
    query = select(PeriodReport).where(
        PeriodReport.unit_id == unit.id, PeriodReport.kind == kind, PeriodReport.year == year
    )
    found = await session.scalar(query)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            report = PeriodReport(
                unit_id=unit.id,
                kind=kind,
                year=year,
                state=CycleState.DRAFT,
                results="",
                difficulties="",
                proposals="",
                submissions=0,
                created_by_id=profile.id,
                created_at=now,
                updated_at=now,
            )
            session.add(report)
            await session.flush()
    except IntegrityError:
        found = await session.scalar(query)
        assert found is not None
        return found
    await audit.record(
        session, profile.id, ENTITY, report.id, "open", {"kind": kind.value, "year": year}, at=now
    )
    return report


async def save_section(
    session: AsyncSession,
    profile: Profile,
    report_id: int,
    section: str,
    text: str,
    now: datetime,
) -> Result:
    """Write one narrative section (kết quả, khó khăn, đề xuất) of a draft or
    returned report; the new text replaces the old one."""
    if section not in SECTIONS:
        return Result(Outcome.NOT_FOUND)
    text = text.strip()
    if len(text) > MAX_SECTION:
        return Result(Outcome.TOO_LONG)
    report = await session.get(PeriodReport, report_id)
    if report is None:
        return Result(Outcome.NOT_FOUND)
    if not may_submit(profile, await _unit(session, report)):
        return Result(Outcome.NOT_ALLOWED, report)
    changed = await session.execute(
        update(PeriodReport)
        .where(PeriodReport.id == report_id, PeriodReport.state.in_(OPEN_STATES))
        .values({section: text, "updated_at": now})
        .execution_options(synchronize_session=False)
    )
    await session.refresh(report)
    if _count(changed) == 0:
        return Result(Outcome.STALE, report)
    await audit.record(
        session,
        profile.id,
        ENTITY,
        report.id,
        "write",
        {"section": section, "chars": len(text)},
        at=now,
    )
    return Result(Outcome.DONE, report)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def live_document(
    session: AsyncSession,
    report: PeriodReport,
    *,
    today: date,
    zone: ZoneInfo,
    report_calendar: ReportCalendar,
) -> dict[str, Any]:
    """The figures of the report's unit and period as the reports compile them now."""
    unit = await _unit(session, report)
    period = period_of(report.kind, report.year, report_calendar)
    return await document.summary_document(session, unit_area(unit), period, today=today, zone=zone)


async def _frozen_document(
    session: AsyncSession,
    report: PeriodReport,
    unit: Unit,
    today: date,
    zone: ZoneInfo,
    report_calendar: ReportCalendar,
) -> dict[str, Any]:
    """What a submission keeps: the figures' document, and the built report
    the export lays out as the plan's table (``storage.cycle.frozen``)."""
    period = period_of(report.kind, report.year, report_calendar)
    built = await build_report(
        session, unit_area(unit), period, today=today, zone=zone, with_children=True
    )
    return {**document.of_report(built, unit.code), frozen.KEY: frozen.freeze(built)}


async def submit(
    session: AsyncSession,
    profile: Profile,
    report_id: int,
    round_: int,
    *,
    now: datetime,
    zone: ZoneInfo,
    report_calendar: ReportCalendar,
    texts: Texts,
) -> Result:
    """Submit (round ``round_`` + 1) to the level above: the figures are
    frozen, the parent's coordinators are told through the outbox. A second
    press of the same button finds the round moved on: STALE."""
    report = await session.get(PeriodReport, report_id)
    if report is None:
        return Result(Outcome.NOT_FOUND)
    unit = await _unit(session, report)
    if not may_submit(profile, unit):
        return Result(Outcome.NOT_ALLOWED, report)
    if report.submissions != round_ or report.state not in OPEN_STATES:
        return Result(Outcome.STALE, report)
    if not all(getattr(report, s).strip() for s in SECTIONS):
        return Result(Outcome.INCOMPLETE, report)
    today = now.astimezone(zone).date()
    figures = await _frozen_document(session, report, unit, today, zone, report_calendar)
    changed = await session.execute(
        update(PeriodReport)
        .where(
            PeriodReport.id == report_id,
            PeriodReport.submissions == round_,
            PeriodReport.state.in_(OPEN_STATES),
        )
        .values(
            state=CycleState.SUBMITTED,
            submissions=round_ + 1,
            figures=figures,
            submitted_at=now,
            submitted_by_id=profile.id,
            decided_at=None,
            decided_by_id=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(report)
    if _count(changed) == 0:
        return Result(Outcome.STALE, report)
    await audit.record(
        session, profile.id, ENTITY, report.id, "submit", {"round": round_ + 1}, at=now
    )
    parent = await session.get(Unit, unit.parent_id or 0)
    if parent is not None:
        period = period_of(report.kind, report.year, report_calendar)
        for person in await _coordinators(session, parent.id):
            t = texts(person.language)
            text = t(
                "📨 {unit} submitted its {report} ({period}). Open it to accept it or return it with a comment."
            ).format(
                unit=_esc(unit.name),
                report=_esc(report_title(t, report.kind, report.year)),
                period=f"{day(period.start, t)} – {day(period.end, t)}",
            )
            await _notify(
                session, person, report, f"sub:{round_ + 1}", text, t("📂 Open the report")
            )
    return Result(Outcome.DONE, report)


async def decide(
    session: AsyncSession,
    profile: Profile,
    report_id: int,
    round_: int,
    *,
    accept: bool,
    comment: str | None,
    now: datetime,
    report_calendar: ReportCalendar,
    texts: Texts,
) -> Result:
    """Accept the report, or return it with a comment (trả lại để chỉnh sửa).
    First decision wins: the UPDATE holds only while the report is still
    submitted in this round."""
    report = await session.get(PeriodReport, report_id)
    if report is None:
        return Result(Outcome.NOT_FOUND)
    unit = await _unit(session, report)
    if not may_decide(profile, unit):
        return Result(Outcome.NOT_ALLOWED, report)
    note = (comment or "").strip()
    if not accept and not note:
        return Result(Outcome.INCOMPLETE, report)
    if len(note) > MAX_SECTION:
        return Result(Outcome.TOO_LONG, report)
    changed = await session.execute(
        update(PeriodReport)
        .where(
            PeriodReport.id == report_id,
            PeriodReport.submissions == round_,
            PeriodReport.state == CycleState.SUBMITTED,
        )
        .values(
            state=CycleState.ACCEPTED if accept else CycleState.RETURNED,
            decided_at=now,
            decided_by_id=profile.id,
            comment=None if accept else note,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(report)
    if _count(changed) == 0:
        return Result(Outcome.STALE, report)
    action = "accept" if accept else "return"
    details: dict[str, Any] = {"round": round_}
    if not accept:
        details["comment"] = note
    await audit.record(session, profile.id, ENTITY, report.id, action, details, at=now)
    for person in await _coordinators(session, unit.id):
        t = texts(person.language)
        title = _esc(report_title(t, report.kind, report.year))
        if accept:
            text = t("✅ The {report} of {unit} was accepted.").format(
                report=title, unit=_esc(unit.name)
            )
        else:
            text = t(
                "↩️ The {report} of {unit} was returned for correction:\n<i>{comment}</i>\nCorrect it and submit it again."
            ).format(report=title, unit=_esc(unit.name), comment=_esc(note[:3000]))
        await _notify(session, person, report, f"{action}:{round_}", text, t("📂 Open the report"))
    return Result(Outcome.DONE, report)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _coordinators(session: AsyncSession, unit_id: int) -> Sequence[User]:
    return (
        await session.scalars(
            select(User)
            .where(
                User.unit_id == unit_id,
                User.status == UserStatus.ACTIVE,
                User.role.in_([Role.COMMUNE_COORDINATOR, Role.PROVINCE_COORDINATOR]),
                User.bot_blocked.is_(False),
            )
            .order_by(User.id)
        )
    ).all()


async def _notify(
    session: AsyncSession, person: User, report: PeriodReport, step: str, text: str, label: str
) -> None:
    button = outbox.Button(text=label, callback_data=f"pr:o:{report.id}")
    await outbox.enqueue(
        session,
        kind=KIND,
        chat_id=person.telegram_id,
        user_id=person.id,
        message=outbox.Message(text=text, buttons=((button,),)),
        priority=Priority.NORMAL,
        dedupe_key=f"pr:{report.id}:{step}:{person.id}",
        ref=f"pr:{report.id}",
    )


# What a submitted report shows.
@dataclass(frozen=True)
class Figures:
    """The figures to show: frozen at submission (or live for a draft), and
    the corrections since."""

    lines: Lines
    frozen: bool
    corrections: list[Correction]


def is_frozen(report: PeriodReport) -> bool:
    """Whether the report shows the figures of its last submission."""
    return report.figures is not None and (
        report.state not in OPEN_STATES or report.submissions > 0
    )


async def figures(
    session: AsyncSession,
    report: PeriodReport,
    *,
    today: date,
    zone: ZoneInfo,
    report_calendar: ReportCalendar,
) -> Figures:
    live = lines_of(
        await live_document(
            session, report, today=today, zone=zone, report_calendar=report_calendar
        )
    )
    if not is_frozen(report):
        return Figures(live, False, [])
    frozen = lines_of(report.figures)
    return Figures(frozen, True, corrections(frozen, live))


# What the level above sees.
@dataclass(frozen=True)
class ChildState:
    """One unit under the reader: its report's state (None: not opened),
    the deadline, and whether it is (or was) late."""

    unit: Unit
    report_id: int | None
    state: CycleState | None
    due: date
    submitted_on: date | None
    late: bool

    @property
    def missing(self) -> bool:
        return self.state not in DONE_STATES


async def overview(
    session: AsyncSession,
    profile: Profile,
    kind: CycleKind,
    year: int,
    *,
    today: date,
    zone: ZoneInfo,
    report_calendar: ReportCalendar,
) -> list[ChildState]:
    """The communes directly under the reader's unit, each with its report:
    submitted, accepted, returned or missing, its deadline and whether it is
    late (submitted after it, or still missing after it). Awaiting a decision
    first, then missing and late, then the rest, by name."""
    unit = await session.get(Unit, profile.unit_id or 0)
    if unit is None or not profile.is_coordinator:
        raise CycleError(Outcome.NOT_ALLOWED)
    children = (
        await session.scalars(
            select(Unit)
            .where(Unit.parent_id == unit.id, Unit.level == UnitLevel.COMMUNE)
            .order_by(Unit.name, Unit.id)
        )
    ).all()
    if not children:
        return []
    reports = {
        r.unit_id: r
        for r in await session.scalars(
            select(PeriodReport).where(
                PeriodReport.unit_id.in_([c.id for c in children]),
                PeriodReport.kind == kind,
                PeriodReport.year == year,
            )
        )
    }
    found = []
    for child in children:
        report = reports.get(child.id)
        due = await due_on(session, child, kind, year, report_calendar)
        state = report.state if report is not None else None
        submitted = (
            report.submitted_at.astimezone(zone).date()
            if report is not None and report.submitted_at is not None and state in DONE_STATES
            else None
        )
        late = submitted > due if submitted is not None else today > due
        found.append(ChildState(child, report.id if report else None, state, due, submitted, late))
    order = {CycleState.SUBMITTED: 0, None: 1, CycleState.DRAFT: 1, CycleState.RETURNED: 2}
    found.sort(key=lambda c: (order.get(c.state, 3), not c.late, c.unit.name))
    return found


# Reminders.
async def reported_paths(session: AsyncSession, period: Period) -> list[str]:
    """The paths of the units whose report for this deadline's period is
    submitted or accepted: their deadline reminders stop
    (``scheduler.reminders``)."""
    found = cycle_of(period)
    if found is None:
        return []
    kind, year = found
    return list(
        (
            await session.scalars(
                select(Unit.path)
                .join(PeriodReport, PeriodReport.unit_id == Unit.id)
                .where(
                    PeriodReport.kind == kind,
                    PeriodReport.year == year,
                    PeriodReport.state.in_(DONE_STATES),
                )
            )
        ).all()
    )


def without_reported(people: Sequence[Any], paths: Sequence[str]) -> list[Any]:
    """Those of ``people`` (with a ``unit_path``) not at or under a unit that
    submitted its report."""
    return [p for p in people if not any(str(p.unit_path).startswith(path) for path in paths)]


async def actor_names(session: AsyncSession, report: PeriodReport) -> dict[int, str]:
    """Display names of who submitted and who decided."""
    ids = {i for i in (report.submitted_by_id, report.decided_by_id) if i is not None}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {int(i): str(n) for i, n in rows.all()}


async def reports_under(session: AsyncSession, path: str) -> list[tuple[PeriodReport, Unit]]:
    """Every period report of the units at or under ``path`` (for the CLI)."""
    rows = await session.execute(
        select(PeriodReport, Unit)
        .join(Unit, Unit.id == PeriodReport.unit_id)
        .where(Unit.path.startswith(path, autoescape=True))
        .order_by(PeriodReport.year.desc(), PeriodReport.kind, Unit.name, PeriodReport.id)
    )
    return [(report, unit) for report, unit in rows.all()]

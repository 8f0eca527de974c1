"""The calendar (lịch): events and their dates in each area, reminder rules,
who receives a reminder, and each user's choice of reminders.

An event applies to the whole country (``unit_id`` NULL) or to a unit's
subtree. An area changes a date for itself by adding a *version* of the
event (``base_id``); a user gets the version of the deepest area that
contains them. Versions use the reminder rules of the event they change.

Report deadlines (``report_half_year``, ``report_annual``) are for a period
(:func:`deadline_period`), and their reminders (rules with ``only_incomplete``)
skip whoever has nothing left to report in it (:func:`deadline_standing`): a
coordinator whose every village and commune has reported, anyone else whose
own village has reported or who logged a session or said "no activity"
themselves. A place has reported when something was logged there in the
period, or when it has collaborators and every one of them said "no activity"
for each month (the reports' completeness, ``storage.reports.completeness``).
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import Role, Unit, UnitLevel, User, UserStatus
from storage.models.calendar import (
    Anchor,
    CalendarEvent,
    EventKind,
    ReminderOptOut,
    ReminderPurpose,
    ReminderRule,
    ReminderRun,
)
from storage.reports.areas import unit_area
from storage.reports.completeness import Completeness, Standing, completeness
from storage.reports.periods import Period, ReportCalendar, half_period, year_period
from storage.users import Profile

MEMBER_ROLES = (
    Role.COLLABORATOR,
    Role.TEAM_MEMBER,
    Role.TRUSTED_ADDRESS_STAFF,
    Role.COMMUNE_COORDINATOR,
    Role.PROVINCE_COORDINATOR,
)
COORDINATOR_ROLES = (Role.COMMUNE_COORDINATOR, Role.PROVINCE_COORDINATOR)
MAX_TITLE = 120


@dataclass(frozen=True)
class RuleSpec:
    anchor: Anchor
    offset_days: int
    purpose: ReminderPurpose
    roles: tuple[Role, ...] = MEMBER_ROLES
    only_incomplete: bool = False
    at_minute: int = 8 * 60


DEFAULT_RULES: dict[EventKind, tuple[RuleSpec, ...]] = {
    EventKind.ACTION_MONTH: (
        RuleSpec(Anchor.START, -14, ReminderPurpose.AHEAD),
        RuleSpec(Anchor.START, 0, ReminderPurpose.STARTS),
        RuleSpec(Anchor.END, 0, ReminderPurpose.LAST_DAY),
    ),
    EventKind.DAY: (
        RuleSpec(Anchor.START, -7, ReminderPurpose.AHEAD),
        RuleSpec(Anchor.START, 0, ReminderPurpose.TODAY),
    ),
    EventKind.DEADLINE: (
        RuleSpec(Anchor.START, -7, ReminderPurpose.DEADLINE, COORDINATOR_ROLES, True),
        RuleSpec(Anchor.START, -1, ReminderPurpose.DEADLINE, COORDINATOR_ROLES, True),
    ),
}


class CalendarError(ValueError):
    """A change to the calendar that is not allowed; the message says why."""


# Dates.
def _day(year: int, month: int, day: int) -> date:
    """29 February is the 28th in other years."""
    return date(year, month, min(day, gregorian.monthrange(year, month)[1]))


def occurrence(event: CalendarEvent, year: int) -> tuple[date, date] | None:
    """The first and last day of the event in ``year`` (the year it starts)."""
    if event.year is not None and event.year != year:
        return None
    start = _day(year, event.start_month, event.start_day)
    wraps = (event.end_month, event.end_day) < (event.start_month, event.start_day)
    end = _day(year + 1 if wraps else year, event.end_month, event.end_day)
    return start, end


def occurrences_around(event: CalendarEvent, today: date) -> list[tuple[date, date]]:
    found = (occurrence(event, y) for y in (today.year - 1, today.year, today.year + 1))
    return [o for o in found if o is not None]


def local_moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """``day`` at ``minute`` after local midnight, as aware UTC."""
    clock = time(minute // 60, minute % 60)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def due_at(rule: ReminderRule, start: date, end: date, zone: ZoneInfo) -> datetime:
    anchor = start if rule.anchor is Anchor.START else end
    return local_moment(anchor + timedelta(days=rule.offset_days), rule.at_minute, zone)


def ends_at(end: date, zone: ZoneInfo) -> datetime:
    """The moment after the event's last day."""
    return local_moment(end + timedelta(days=1), 0, zone)


# Seeding and editing.
async def seed_event(
    session: AsyncSession,
    code: str,
    kind: EventKind,
    title: str,
    start: tuple[int, int],
    end: tuple[int, int] | None = None,
) -> bool:
    """Add a national event with the default rules of its kind, once: an
    event whose code exists is left as it is. Returns whether it was added."""
    if await session.scalar(select(CalendarEvent.id).where(CalendarEvent.code == code)):
        return False
    last = end or start
    event = CalendarEvent(
        code=code,
        kind=kind,
        title=title,
        translatable=True,
        start_month=start[0],
        start_day=start[1],
        end_month=last[0],
        end_day=last[1],
        active=True,
    )
    session.add(event)
    await session.flush()
    add_default_rules(session, event)
    await session.flush()
    return True


def add_default_rules(session: AsyncSession, event: CalendarEvent) -> None:
    for spec in DEFAULT_RULES[event.kind]:
        session.add(
            ReminderRule(
                event_id=event.id,
                anchor=spec.anchor,
                offset_days=spec.offset_days,
                at_minute=spec.at_minute,
                purpose=spec.purpose,
                roles=[r.value for r in spec.roles],
                only_incomplete=spec.only_incomplete,
                active=True,
            )
        )


def _check_date(month: int, day: int) -> None:
    try:
        date(2024, month, day)  # a leap year: 29 February is a date
    except ValueError:
        raise CalendarError("not a date") from None


async def add_local_event(
    session: AsyncSession,
    actor: Profile,
    unit: Unit,
    kind: EventKind,
    title: str,
    start: date,
    end: date | None = None,
) -> CalendarEvent:
    """A coordinator's own event for their area, on the given dates (once)."""
    if kind is EventKind.DEADLINE:
        raise CalendarError("a deadline is changed, not added")
    if not actor.is_coordinator or not actor.covers(unit.path):
        raise CalendarError("only a coordinator of this area can add events to it")
    last = end or start
    if last < start or (last - start).days > 366:
        raise CalendarError("the end is before the start or more than a year later")
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise CalendarError("a title has 1 to 120 characters")
    event = CalendarEvent(
        kind=kind,
        title=title,
        translatable=False,
        unit_id=unit.id,
        start_month=start.month,
        start_day=start.day,
        end_month=last.month,
        end_day=last.day,
        year=start.year,
        active=True,
        created_by_id=actor.id,
    )
    session.add(event)
    await session.flush()
    add_default_rules(session, event)
    await audit.record(session, actor.id, "calendar_event", event.id, "create", {"title": title})
    return event


async def set_deadline(
    session: AsyncSession, actor: Profile, base: CalendarEvent, unit: Unit, month: int, day: int
) -> CalendarEvent:
    """The area's own date for a report deadline (every year)."""
    if base.kind is not EventKind.DEADLINE or base.base_id is not None:
        raise CalendarError("only a report deadline can be changed")
    if not actor.is_coordinator or not actor.covers(unit.path):
        raise CalendarError("only a coordinator of this area can change its deadlines")
    _check_date(month, day)
    version = await session.scalar(
        select(CalendarEvent).where(
            CalendarEvent.base_id == base.id, CalendarEvent.unit_id == unit.id
        )
    )
    before = None
    if version is None:
        version = CalendarEvent(
            kind=base.kind,
            title=base.title,
            translatable=base.translatable,
            unit_id=unit.id,
            base_id=base.id,
            created_by_id=actor.id,
        )
        session.add(version)
    else:
        before = f"{version.start_day}/{version.start_month}"
    version.start_month = version.end_month = month
    version.start_day = version.end_day = day
    version.active = True
    await session.flush()
    await audit.record(
        session,
        actor.id,
        "calendar_event",
        version.id,
        "set_deadline",
        {"date": [before, f"{day}/{month}"], "base": base.id},
    )
    return version


async def remove_local_event(session: AsyncSession, actor: Profile, event_id: int) -> bool:
    event = await session.get(CalendarEvent, event_id)
    if event is None or event.unit_id is None or not event.active:
        return False
    unit = await session.get(Unit, event.unit_id)
    if unit is None or not actor.is_coordinator or not actor.covers(unit.path):
        return False
    event.active = False
    await audit.record(session, actor.id, "calendar_event", event.id, "delete", {})
    return True


# Which version of which event applies where.
@dataclass(frozen=True)
class Dated:
    """One occurrence of the version of an event that applies to a place."""

    event: CalendarEvent  # the version (may be the base itself)
    base: CalendarEvent
    start: date
    end: date


def _prefix_paths(path: str) -> list[str]:
    codes = path.strip("/").split("/")
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


async def _unit_paths(session: AsyncSession, unit_ids: set[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    rows = await session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(unit_ids)))
    return {int(i): str(p) for i, p in rows.all()}


async def dated_for(
    session: AsyncSession, unit_path: str | None, first: date, last: date
) -> list[Dated]:
    """Occurrences between ``first`` and ``last`` (overlapping) of the events
    that apply at ``unit_path`` (``None``: national events only), each in the
    version of the deepest area containing that place."""
    paths = _prefix_paths(unit_path) if unit_path else []
    ancestor_ids = (
        list((await session.scalars(select(Unit.id).where(Unit.path.in_(paths)))).all())
        if paths
        else []
    )
    rows = (
        await session.scalars(
            select(CalendarEvent).where(
                CalendarEvent.active.is_(True),
                or_(CalendarEvent.unit_id.is_(None), CalendarEvent.unit_id.in_(ancestor_ids)),
            )
        )
    ).all()
    unit_paths = await _unit_paths(session, {e.unit_id for e in rows if e.unit_id is not None})
    bases = {e.id: e for e in rows if e.base_id is None}
    chosen: dict[int, CalendarEvent] = dict(bases)
    depth: dict[int, int] = dict.fromkeys(bases, 0)
    for version in rows:
        if version.base_id is None or version.base_id not in bases:
            continue
        level = len(unit_paths.get(version.unit_id or 0, ""))
        if level > depth[version.base_id]:
            chosen[version.base_id], depth[version.base_id] = version, level
    found = []
    for base_id, version in chosen.items():
        spans = set(occurrences_around(version, first)) | set(occurrences_around(version, last))
        found += [
            Dated(version, bases[base_id], start, end)
            for start, end in spans
            if end >= first and start <= last
        ]
    found.sort(key=lambda d: (d.start, d.end, d.base.id))
    return found


async def get_event(session: AsyncSession, event_id: int) -> CalendarEvent | None:
    return await session.get(CalendarEvent, event_id)


async def deadlines(session: AsyncSession) -> list[CalendarEvent]:
    """The national report deadlines, which areas may change."""
    return list(
        (
            await session.scalars(
                select(CalendarEvent)
                .where(
                    CalendarEvent.kind == EventKind.DEADLINE,
                    CalendarEvent.base_id.is_(None),
                    CalendarEvent.unit_id.is_(None),
                    CalendarEvent.active.is_(True),
                )
                .order_by(CalendarEvent.start_month, CalendarEvent.start_day, CalendarEvent.id)
            )
        ).all()
    )


# Reminder rules and their runs.
@dataclass(frozen=True)
class Planned:
    """A rule to apply to one occurrence of one version of an event."""

    rule: ReminderRule
    base: CalendarEvent
    version: CalendarEvent
    start: date
    end: date
    due_at: datetime
    ends_at: datetime


async def due_rules(
    session: AsyncSession, now: datetime, zone: ZoneInfo, max_late: timedelta
) -> list[Planned]:
    """Every (rule, version, occurrence) whose time has come and which is still
    useful: at most ``max_late`` after its time, and before its event ends.
    Those already run are left out."""
    rules = (
        await session.execute(
            select(ReminderRule, CalendarEvent)
            .join(CalendarEvent, CalendarEvent.id == ReminderRule.event_id)
            .where(ReminderRule.active.is_(True), CalendarEvent.active.is_(True))
        )
    ).all()
    if not rules:
        return []
    base_ids = {event.id for _, event in rules}
    versions = (
        await session.scalars(
            select(CalendarEvent).where(
                CalendarEvent.base_id.in_(base_ids), CalendarEvent.active.is_(True)
            )
        )
    ).all()
    by_base: dict[int, list[CalendarEvent]] = {}
    for version in versions:
        by_base.setdefault(version.base_id or 0, []).append(version)
    today = now.astimezone(zone).date()
    candidates: list[Planned] = []
    for rule, base in rules:
        for version in [base, *by_base.get(base.id, [])]:
            for start, end in occurrences_around(version, today):
                due = due_at(rule, start, end, zone)
                over = ends_at(end, zone)
                if due <= now < min(due + max_late, over):
                    candidates.append(Planned(rule, base, version, start, end, due, over))
    if not candidates:
        return []
    done = set(
        (
            await session.execute(
                select(ReminderRun.rule_id, ReminderRun.event_id, ReminderRun.occurs_on).where(
                    ReminderRun.rule_id.in_({p.rule.id for p in candidates})
                )
            )
        ).all()
    )
    return [p for p in candidates if (p.rule.id, p.version.id, p.start) not in done]


async def start_run(session: AsyncSession, planned: Planned) -> ReminderRun | None:
    """Record that this reminder is being sent; None if it already was (the
    caller then does nothing). Commit it with the messages it queues."""
    existing = await session.scalar(
        select(ReminderRun.id).where(
            ReminderRun.rule_id == planned.rule.id,
            ReminderRun.event_id == planned.version.id,
            ReminderRun.occurs_on == planned.start,
        )
    )
    if existing is not None:
        return None
    run = ReminderRun(
        rule_id=planned.rule.id,
        event_id=planned.version.id,
        occurs_on=planned.start,
        due_at=planned.due_at,
        recipients=0,
    )
    session.add(run)
    await session.flush()
    return run


@dataclass(frozen=True)
class Reminded:
    user_id: int
    telegram_id: int
    language: str | None
    role: Role
    unit_id: int
    unit_path: str


async def recipients(session: AsyncSession, planned: Planned) -> list[Reminded]:
    """Who gets this reminder: active, reachable users with one of the rule's
    roles, in the version's area but not in a deeper area with its own
    version, who have not turned this kind of reminder off."""
    roles = [Role(r) for r in planned.rule.roles]
    query = (
        select(User.id, User.telegram_id, User.language, User.role, Unit.id, Unit.path)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            User.status == UserStatus.ACTIVE,
            User.bot_blocked.is_(False),
            User.role.in_(roles),
            ~exists().where(
                and_(
                    ReminderOptOut.user_id == User.id,
                    ReminderOptOut.kind == planned.base.kind,
                )
            ),
        )
        .order_by(User.id)
    )
    own_path = None
    if planned.version.unit_id is not None:
        own_path = (await _unit_paths(session, {planned.version.unit_id}))[planned.version.unit_id]
        query = query.where(Unit.path.startswith(own_path, autoescape=True))
    others = (
        await session.scalars(
            select(CalendarEvent).where(
                CalendarEvent.active.is_(True),
                or_(
                    CalendarEvent.base_id == planned.base.id,
                    CalendarEvent.id == planned.base.id,
                ),
                CalendarEvent.id != planned.version.id,
                CalendarEvent.unit_id.is_not(None),
            )
        )
    ).all()
    other_paths = await _unit_paths(session, {e.unit_id for e in others if e.unit_id})
    deeper = [p for p in other_paths.values() if own_path is None or len(p) > len(own_path)]
    found = []
    for user_id, telegram_id, language, role, unit_id, path in (await session.execute(query)).all():
        if role is None or any(str(path).startswith(p) for p in deeper):
            continue
        found.append(Reminded(user_id, telegram_id, language, role, unit_id, str(path)))
    return found


# Report deadlines: the period each one is for, and who has reported in it.
@dataclass(frozen=True)
class DeadlineDue:
    code: str | None  # the national event's code: report_half_year, report_annual
    due_on: date


def deadline_period(due: DeadlineDue, report_calendar: ReportCalendar) -> Period | None:
    """The period a report deadline is for: the first half-year (1 January to
    ``BINHDANG_REPORT_HALF_YEAR_END``) or the calendar year, whichever of that
    kind ends nearest the deadline (an area that moves the annual deadline to
    10 January still reports on the year before). None: not a known report."""
    year = due.due_on.year
    if due.code == "report_half_year":
        candidates = [half_period(y, 1, report_calendar) for y in (year - 1, year)]
    elif due.code == "report_annual":
        candidates = [year_period(y) for y in (year - 1, year)]
    else:
        return None
    return min(candidates, key=lambda p: abs((p.end - due.due_on).days))


@dataclass
class DeadlineStanding:
    """Where each recipient's unit stands in the period of a deadline."""

    period: Period
    areas: dict[int, Completeness]  # by unit id, the unit and everything under it
    done: set[int]  # user ids with nothing left to report


def _covered(found: Completeness) -> dict[str, bool]:
    """For each place with collaborators at or under it: whether none of them
    is silent, so that the place counts as reported even with nothing logged
    (they said "no activity")."""
    covered: dict[str, bool] = {}
    for person in found.collaborators:
        for path in _prefix_paths(person.place.path):
            covered[path] = covered.get(path, True) and person.standing is not Standing.SILENT
    return covered


def _area_reported(found: Completeness) -> bool:
    covered = _covered(found)
    return all(covered.get(p.path, False) for p in (*found.silent_villages, *found.silent_communes))


def _place_reported(found: Completeness, unit: Unit) -> bool:
    if unit.level not in (UnitLevel.VILLAGE, UnitLevel.COMMUNE):
        return _area_reported(found)
    silent = {p.path for p in (*found.silent_villages, *found.silent_communes)}
    return unit.path not in silent or _covered(found).get(unit.path, False)


async def deadline_standing(
    session: AsyncSession,
    people: Sequence[Reminded],
    due: DeadlineDue,
    *,
    today: date,
    zone: ZoneInfo,
    report_calendar: ReportCalendar,
) -> DeadlineStanding | None:
    """Who has nothing left to do before a report deadline, from the reports'
    completeness (``storage.reports.completeness``) of the deadline's period:

    - a coordinator, when every village and commune of their area has
      reported: something was logged there in the period, or it has
      collaborators and each of them said "no activity" for every month;
    - anyone else (collaborators, team members, trusted-address staff), when
      their own village (or commune) has reported in that sense, or when they
      themselves logged a session or said "no activity".

    None when the deadline is not for a known report (nobody is skipped)."""
    period = deadline_period(due, report_calendar)
    if period is None:
        return None
    standing = DeadlineStanding(period, {}, set())
    unit_ids = {p.unit_id for p in people}
    if not unit_ids:
        return standing
    ordered = sorted(unit_ids)
    places: dict[int, Unit] = {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        places.update(
            (u.id, u) for u in await session.scalars(select(Unit).where(Unit.id.in_(chunk)))
        )
    for unit_id in ordered:
        unit = places[unit_id]
        standing.areas[unit_id] = await completeness(session, unit_area(unit), period, today, zone)
    for person in people:
        found = standing.areas[person.unit_id]
        if person.role.is_coordinator:
            done = _area_reported(found)
        else:
            own = next((c for c in found.collaborators if c.user_id == person.user_id), None)
            done = _place_reported(found, places[person.unit_id]) or (
                own is not None and own.standing is not Standing.SILENT
            )
        if done:
            standing.done.add(person.user_id)
    return standing


# Each user's choice.
async def opted_out(session: AsyncSession, user_id: int) -> set[EventKind]:
    return set(
        (
            await session.scalars(
                select(ReminderOptOut.kind).where(ReminderOptOut.user_id == user_id)
            )
        ).all()
    )


async def set_reminders(session: AsyncSession, user_id: int, kind: EventKind, on: bool) -> None:
    """Turn one kind of reminder on or off for a user."""
    row = await session.get(ReminderOptOut, (user_id, kind))
    if on and row is not None:
        await session.delete(row)
    elif not on and row is None:
        session.add(ReminderOptOut(user_id=user_id, kind=kind))
    await session.flush()


@dataclass(frozen=True)
class Upcoming:
    """A reminder a user will get, for ``/reminders``."""

    dated: Dated
    rule: ReminderRule
    at: datetime


async def upcoming_for(
    session: AsyncSession, profile: Profile, now: datetime, zone: ZoneInfo, days: int = 60
) -> list[Upcoming]:
    """The reminders this user would receive in the next ``days`` days (the
    kinds they turned off included; the caller shows them as off)."""
    if not profile.is_active or profile.role is None or profile.unit_path is None:
        return []
    today = now.astimezone(zone).date()
    dated = await dated_for(
        session, profile.unit_path, today - timedelta(days=31), today + timedelta(days=days + 31)
    )
    rules = (
        await session.scalars(
            select(ReminderRule).where(
                ReminderRule.active.is_(True),
                ReminderRule.event_id.in_({d.base.id for d in dated}),
            )
        )
    ).all()
    horizon = now + timedelta(days=days)
    found = []
    for d in dated:
        for rule in rules:
            if rule.event_id != d.base.id or profile.role.value not in rule.roles:
                continue
            at = due_at(rule, d.start, d.end, zone)
            if now <= at <= horizon:
                found.append(Upcoming(d, rule, at))
    found.sort(key=lambda u: (u.at, u.dated.base.id))
    return found

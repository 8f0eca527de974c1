"""Completeness (mức độ đầy đủ của báo cáo): which villages and communes of an
area logged nothing in a period, and which collaborators are silent, told
apart from those who said "no activity this month" (báo cáo không có hoạt
động) with one tap."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Exists, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Activity, ActivityRollup, NoActivityReport, Unit, UnitLevel, User
from storage.reports import areas
from storage.reports.aggregates import Place, collaborators_query
from storage.reports.areas import Area, AreaKind, Query
from storage.reports.periods import Period, local_day, month_period
from storage.reports.rollups import split
from storage.reports.tally import not_reported_in, reported_in
from storage.users import Profile

# How far back a member may declare a month without activity: this month and
# the two before it, so a late report still fits before the deadline.
DECLARE_MONTHS_BACK = 2
# Up to this many collaborators' "no activity" months are looked up by id.
MAX_LISTED_IDS = 2000


class Standing(enum.Enum):
    REPORTED = "reported"  # logged at least one session in the period
    DECLARED_NONE = "declared_none"  # said "no activity" for every month expected
    SILENT = "silent"  # neither


@dataclass(frozen=True, slots=True)
class Collaborator:
    user_id: int
    telegram_id: int
    display_name: str
    language: str | None
    blocked: bool
    place: Place
    standing: Standing


@dataclass
class Completeness:
    """``collaborators`` lists every collaborator of the area, except, when
    built with ``reporters=False``, the ``unlisted`` ones who reported, who
    are only counted (a national report has some 46,000 of them and needs
    only their number): :meth:`count` and :attr:`total` hold either way,
    and :func:`everyone` gives the full list."""

    area: Area
    period: Period
    communes: int = 0
    villages: int = 0
    silent_communes: list[Place] = field(default_factory=list)
    silent_villages: list[Place] = field(default_factory=list)
    collaborators: list[Collaborator] = field(default_factory=list)
    unlisted: int = 0  # collaborators who reported and are not in ``collaborators``
    today: date | None = None  # what it was computed with (for :func:`everyone`)
    zone: ZoneInfo | None = None

    def with_standing(self, standing: Standing) -> list[Collaborator]:
        if standing is Standing.REPORTED and self.unlisted:
            raise ValueError("built with reporters=False: use count(), or everyone()")
        return [c for c in self.collaborators if c.standing is standing]

    def count(self, standing: Standing) -> int:
        listed = sum(1 for c in self.collaborators if c.standing is standing)
        return listed + self.unlisted if standing is Standing.REPORTED else listed

    @property
    def total(self) -> int:
        """How many collaborators the area has (listed or not)."""
        return len(self.collaborators) + self.unlisted

    @property
    def silent(self) -> list[Collaborator]:
        return self.with_standing(Standing.SILENT)


def _logged_at(unit_id: Any, period: Period) -> Exists:
    return exists().where(
        Activity.unit_id == unit_id,
        Activity.deleted.is_(False),
        Activity.held_on >= period.start,
        Activity.held_on <= period.end,
    )


def _logged_under(place: Any, period: Period) -> Any:
    """Whether anything was logged at the commune ``place`` or at one of its
    villages: for the whole months of the period, one lookup of the commune's
    monthly rollup (kept by the triggers: a row exists only for a month with
    live sessions); for the days at the edges, the activities. (Probing every
    village's activities made PostgreSQL hash every activity of the period:
    170 ms for a province.)"""
    parts = split(period)
    tests: list[Any] = []
    if parts.first is not None:
        tests.append(
            exists().where(
                ActivityRollup.scope_id == place.id,
                ActivityRollup.month >= parts.first,
                ActivityRollup.month <= parts.last,
            )
        )
    for edge in parts.edges:
        village = aliased(Unit)
        tests.append(_logged_at(place.id, edge))
        tests.append(exists().where(village.parent_id == place.id, _logged_at(village.id, edge)))
    return or_(*tests)


async def _silent_places(
    session: AsyncSession, area: Area, period: Period
) -> tuple[int, int, list[Place], list[Place]]:
    place = aliased(Unit)
    # For the whole country the 30,000-odd villages are not listed: communes only.
    levels = (
        (UnitLevel.COMMUNE,)
        if area.kind is AreaKind.COUNTRY
        else (
            UnitLevel.COMMUNE,
            UnitLevel.VILLAGE,
        )
    )
    logged = case(
        (place.level == UnitLevel.COMMUNE, _logged_under(place, period)),
        else_=_logged_at(place.id, period),
    )
    query: Query = select(place.id, place.code, place.name, place.path, place.level, logged).where(
        place.level.in_(levels), place.active.is_(True)
    )
    query, _child = areas.scoped(query, area, place)
    communes = villages = 0
    silent_communes: list[Place] = []
    silent_villages: list[Place] = []
    for *unit, was_logged in (await session.execute(query.order_by(place.path))).all():
        if unit[4] is UnitLevel.COMMUNE:
            communes += 1
            if not was_logged:
                silent_communes.append(Place(*unit))
        else:
            villages += 1
            if not was_logged:
                silent_villages.append(Place(*unit))
    return communes, villages, silent_communes, silent_villages


def _expected_months(period: Period, today: date, joined: date) -> list[date]:
    last = min(period.end, today)
    return [m for m in period.months() if m <= last and m >= joined.replace(day=1)]


async def completeness(
    session: AsyncSession,
    area: Area,
    period: Period,
    today: date,
    zone: ZoneInfo,
    *,
    reporters: bool = True,
    counted: tuple[int, int] | None = None,
) -> Completeness:
    """Silent villages and communes, and every collaborator's standing.
    ``reporters=False`` lists only those who did not report (who said "no
    activity" or are silent) and counts the others, without reading them
    (what a report shows: the numbers and the names of the silent);
    ``counted`` is then how many collaborators the area has and how many of
    them reported, if the caller knows (``Summary.collaborators`` and
    ``Summary.reporting`` count the same people): when all reported, nobody
    is left to read."""
    result = Completeness(area, period, today=today, zone=zone)
    (
        result.communes,
        result.villages,
        result.silent_communes,
        result.silent_villages,
    ) = await _silent_places(session, area, period)
    query, place, _child = collaborators_query(area, period, zone)
    everybody = 0
    if reporters:
        # The day they joined, for the silent only (which months were expected
        # of them), and so NULL exactly for those who reported: a national
        # list does not parse 40,000 timestamps.
        joined: Any = case((reported_in(period), None), else_=User.created_at)
    else:
        if counted is None:
            everybody = int(await session.scalar(query.add_columns(func.count(User.id))) or 0)
        else:
            everybody = counted[0]
            if counted[1] >= everybody:
                result.unlisted = everybody
                return result
        query = query.where(not_reported_in(period))
        joined = User.created_at
    people = query.add_columns(
        User.id,
        User.telegram_id,
        User.display_name,
        User.language,
        User.bot_blocked,
        joined,
        place.id,
        place.code,
        place.name,
        place.path,
        place.level,
    )
    # Core rows, sorted here by place then user (two stable sorts, no key
    # tuples): for the whole country the ORM's row handling, the database's
    # sort and the garbage of the loop below were most of the time.
    found = sorted((await (await session.connection()).execute(people)).all(), key=itemgetter(0))
    found.sort(key=itemgetter(9))
    declared: dict[int, set[date]] = {}
    if any(row[5] is not None for row in found):
        months = select(NoActivityReport.user_id, NoActivityReport.month).where(
            NoActivityReport.month >= period.start.replace(day=1),
            NoActivityReport.month <= period.end,
        )
        silent = [row[0] for row in found if row[5] is not None]
        if len(silent) <= MAX_LISTED_IDS:
            # Those whose months matter, by id: the collaborators' query again
            # as a subquery cost more than these few lookups.
            months = months.where(NoActivityReport.user_id.in_(silent))
        elif area.kind is not AreaKind.COUNTRY:  # the country's are all wanted
            ids, _place, _child = collaborators_query(area, period, zone)
            months = months.where(NoActivityReport.user_id.in_(ids.add_columns(User.id)))
        for user_id, month in (await session.execute(months)).all():
            declared.setdefault(user_id, set()).add(month)
    places: dict[int, Place] = {}  # one per unit: many collaborators share a village
    for row in found:
        where = places.get(row[6])
        if where is None:
            where = places[row[6]] = Place(row[6], row[7], row[8], row[9], row[10])
        joined = row[5]
        if joined is None:
            standing = Standing.REPORTED
        else:
            expected = _expected_months(period, today, local_day(joined, zone))
            said = declared.get(row[0], set())
            covered = bool(said) and all(m in said for m in expected)
            standing = Standing.DECLARED_NONE if covered else Standing.SILENT
        result.collaborators.append(
            Collaborator(row[0], row[1], row[2], row[3], row[4], where, standing)
        )
    if not reporters:
        result.unlisted = everybody - len(found)
    return result


async def everyone(session: AsyncSession, found: Completeness) -> Completeness:
    """``found`` with every collaborator listed (see ``reporters``)."""
    if not found.unlisted:
        return found
    assert found.today is not None and found.zone is not None
    return await completeness(session, found.area, found.period, found.today, found.zone)


# Declaring a month without activity.
class Declared(enum.Enum):
    SAVED = "saved"
    ALREADY = "already"
    NOT_ALLOWED = "not_allowed"  # not an active member with a place
    BAD_MONTH = "bad_month"  # in the future, or too long ago
    HAS_SESSIONS = "has_sessions"  # the member logged sessions that month: see logged_in_month


async def logged_in_month(session: AsyncSession, profile: Profile, month: date) -> int:
    """How many sessions ``profile`` logged as held in ``month``."""
    period = month_period(month.year, month.month)
    found = await session.scalar(
        select(func.count(Activity.id)).where(
            Activity.reporter_id == profile.id,
            Activity.deleted.is_(False),
            Activity.held_on >= period.start,
            Activity.held_on <= period.end,
        )
    )
    return int(found or 0)


def declarable_months(today: date) -> list[date]:
    """This month and the ones a member may still declare, newest first."""
    months = [today.replace(day=1)]
    for _ in range(DECLARE_MONTHS_BACK):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months


async def declare_no_activity(
    session: AsyncSession, profile: Profile, month: date, now: datetime, zone: ZoneInfo
) -> Declared:
    """Record that ``profile`` held no session in ``month``. Idempotent."""
    if not profile.is_active or profile.unit_id is None:
        return Declared.NOT_ALLOWED
    month = month.replace(day=1)
    if month not in declarable_months(local_day(now, zone)):
        return Declared.BAD_MONTH
    existing = await session.scalar(
        select(NoActivityReport.id).where(
            NoActivityReport.user_id == profile.id, NoActivityReport.month == month
        )
    )
    if existing is not None:
        return Declared.ALREADY
    if await logged_in_month(session, profile, month):
        return Declared.HAS_SESSIONS  # "no activity" would contradict what was logged
    try:
        async with session.begin_nested():
            session.add(
                NoActivityReport(
                    user_id=profile.id, unit_id=profile.unit_id, month=month, created_at=now
                )
            )
    except IntegrityError:  # the same tap arrived twice at once
        return Declared.ALREADY
    return Declared.SAVED


def month_of(token: str) -> date | None:
    """``202611`` → 1 November 2026 (the month in a button's data)."""
    if len(token) != 6 or not token.isdigit():
        return None
    try:
        return month_period(int(token[:4]), int(token[4:])).start
    except ValueError:
        return None

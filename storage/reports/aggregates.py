"""Summaries (báo cáo tổng hợp) of an area and a period, computed in SQL over
the unit subtree (the materialised ``Unit.path``): sessions and participants
by kind, topic, language, month and by the next level down; collaborators and
how many of them logged anything; trusted addresses; incidents."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType

from storage.models import (
    ActivityKind,
    ParticipantField,
    Role,
    SessionLanguage,
    Topic,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.reports import areas
from storage.reports.areas import Area, Query
from storage.reports.incidents import IncidentFigures, incident_figures
from storage.reports.periods import Period
from storage.reports.plan_lines import ClassCount, PlanLines, plan_lines
from storage.reports.tally import Tallied, reported_in, tally, tally_key
from storage.reports.trusted import trusted_addresses
from storage.shelter.intakes import IntakeFigures, intake_figures
from storage.text import fold

# Who is expected to log sessions (cộng tác viên, tổ truyền thông cộng đồng).
COLLABORATOR_ROLES = (Role.COLLABORATOR, Role.TEAM_MEMBER)
PEOPLE = ("total", "women", "men", "girls", "boys", "ethnic_minority")


@dataclass
class Counts:
    """Sessions and participants; additive, so children sum to their parent."""

    sessions: int = 0
    total: int = 0
    women: int = 0
    men: int = 0
    girls: int = 0
    boys: int = 0
    ethnic_minority: int = 0

    def add(self, other: Counts) -> None:
        self.sessions += other.sessions
        for name in PEOPLE:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def of(self, which: ParticipantField) -> int:
        value = getattr(self, which.value)
        assert isinstance(value, int)
        return value

    @classmethod
    def from_row(cls, sessions: Any, *people: Any) -> Counts:
        return cls(int(sessions or 0), *(int(p or 0) for p in people))

    @classmethod
    def total_of(cls, parts: Iterable[Counts]) -> Counts:
        result = cls()
        for part in parts:
            result.add(part)
        return result


@dataclass(frozen=True, slots=True)
class Place:
    """A unit as a report names it, without a session attached."""

    id: int
    code: str
    name: str
    path: str
    level: UnitLevel

    @classmethod
    def of(cls, unit: Unit) -> Place:
        return cls(unit.id, unit.code, unit.name, unit.path, unit.level)


@dataclass
class ChildRow:
    """One line of the breakdown by the next level down."""

    place: Place
    counts: Counts = field(default_factory=Counts)
    collaborators: int = 0
    reporting: int = 0  # collaborators who logged at least one session


@dataclass
class Summary:
    area: Area
    place_name: str
    period: Period
    counts: Counts
    by_kind: dict[ActivityKind, Counts]
    by_language: dict[SessionLanguage, Counts]
    by_topic: dict[Topic, int]
    by_month: dict[date, Counts]
    children: list[ChildRow]  # gaps first: fewest sessions, then fewest participants
    own: Counts  # sessions logged at the area's own unit rather than under a child
    collaborators: int
    reporting: int
    trusted_addresses: int
    incidents: IncidentFigures
    plan_lines: PlanLines = field(default_factory=PlanLines)
    intakes: IntakeFigures = field(default_factory=IntakeFigures)

    @property
    def child_level(self) -> UnitLevel | None:
        return self.children[0].place.level if self.children else None


async def _sums_by(
    session: AsyncSession, area: Area, period: Period, rollups: bool, dimension: str | None
) -> dict[Any, Counts]:
    """Counts per child path (``dimension`` None) or per value of one dimension."""
    found: dict[Any, Counts] = {}
    by = (dimension,) if dimension else ()
    for row in await tally(session, area, period, by, rollups=rollups, per_child=not dimension):
        key = row.key[0] if dimension else row.child
        found.setdefault(key, Counts()).add(Counts(row.sessions, *row.people))
    return found


class likely(FunctionElement[Any]):
    """A condition true for most rows. SQLite's planner, which knows only how
    many distinct values an index holds, then scans the table rather than
    reading nearly all of it through the index (``likely()``); PostgreSQL has
    the real distribution and gets the condition as it is."""

    type = NullType()  # not Boolean: SQLite would get "likely(...) = 1" and lose the index
    name = "likely"
    inherit_cache = True


@compiles(likely)
def _likely_default(element: likely, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


@compiles(likely, "sqlite")
def _likely_sqlite(element: likely, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"


_MEMBER_PLACE = aliased(Unit)  # made once: see storage.reports.tally


def collaborators_query(area: Area, period: Period, zone: ZoneInfo) -> tuple[Query, Any, Any]:
    """Active collaborators and team members of the area who had joined by
    the end of the period, joined to their unit."""
    place = _MEMBER_PLACE
    query = (
        select()
        .select_from(User)
        .join(place, place.id == User.unit_id)
        .where(
            # Most users are collaborators: for the whole country a scan of
            # ``users`` beats the (role, unit) index; a smaller area still
            # finds its users through that index.
            likely(User.role.in_(COLLABORATOR_ROLES)),
            User.status == UserStatus.ACTIVE,
            User.created_at < period.utc_bounds(zone)[1],
        )
    )
    query, child = areas.scoped(query, area, place, User.unit_id)
    return query, place, child


async def _collaborators(
    session: AsyncSession, area: Area, period: Period, zone: ZoneInfo, rollups: bool
) -> dict[str, tuple[int, int]]:
    query, _place, child = collaborators_query(area, period, zone)
    query = query.add_columns(
        child,
        func.count(User.id),
        func.coalesce(func.sum(case((reported_in(period, rollups), 1), else_=0)), 0),
    ).group_by(child)
    return {str(path): (int(n), int(r)) for path, n, r in (await session.execute(query)).all()}


async def child_rows(
    session: AsyncSession, area: Area, paths: Iterable[str]
) -> dict[str, ChildRow]:
    """A row for every child of the area, and for any other unit that turned
    up in the data under it (a village since deactivated), keyed by path."""
    rows = {u.path: ChildRow(Place.of(u)) for u in await areas.children(session, area)}
    missing = {p for p in paths if p not in rows and p != area.path}
    if missing:
        for unit in (await session.scalars(select(Unit).where(Unit.path.in_(missing)))).all():
            rows[unit.path] = ChildRow(Place.of(unit))
    return rows


def _listed(member: Any) -> tuple[int, str]:
    """Where a kind, language or topic stands in its own list: the order of
    equal figures in a summary (the counts come grouped from the database,
    in no defined order)."""
    if isinstance(member, enum.Enum):
        return [*type(member)].index(member), ""
    return (1 << 30, str(member)) if member is not None else (-1, "")


def gaps_first(rows: Iterable[ChildRow]) -> list[ChildRow]:
    return sorted(
        rows, key=lambda r: (r.counts.sessions, r.counts.total, r.reporting, fold(r.place.name))
    )


async def summarize(
    session: AsyncSession,
    area: Area,
    period: Period,
    zone: ZoneInfo,
    *,
    rollups: bool = True,
    tallied: Tallied | None = None,
) -> Summary:
    """Every figure of the summary for one area and one period. ``rollups``
    False counts from the activities only (slower; the tests compare).
    With ``tallied``, the counts by child are read by kind and kept there,
    for the targets' lines of the same period (``targets.progress``)."""
    if tallied is not None and rollups:
        by_child_kind = await tally(session, area, period, ("kind",))
        tallied[tally_key(area, period, ("kind",))] = by_child_kind
        per_child: dict[Any, Counts] = {}
        for row in by_child_kind:
            per_child.setdefault(row.child, Counts()).add(Counts(row.sessions, *row.people))
    else:
        per_child = await _sums_by(session, area, period, rollups, None)
    people = await _collaborators(session, area, period, zone, rollups)
    rows = await child_rows(session, area, [*per_child, *people])
    counts, own = Counts(), Counts()
    for path, part in per_child.items():
        counts.add(part)
        (rows[path].counts if path in rows else own).add(part)
    by_kind: dict[ActivityKind, Counts] = {}
    by_language: dict[SessionLanguage, Counts] = {}
    by_month: dict[date, Counts] = {m: Counts() for m in period.months()}
    # One query for the three: a few hundred rows, summed three ways.
    for row in await tally(
        session, area, period, ("kind", "language", "month"), rollups=rollups, per_child=False
    ):
        part = Counts(row.sessions, *row.people)
        kind, language, month = row.key
        by_kind.setdefault(kind, Counts()).add(part)
        by_language.setdefault(language, Counts()).add(part)
        by_month.setdefault(month, Counts()).add(part)
    by_topic = {
        topic: part.sessions
        for topic, part in (await _sums_by(session, area, period, rollups, "topic")).items()
    }
    training = by_kind.get(ActivityKind.TRAINING, Counts())
    collaborators = reporting = 0
    for path, (n, r) in people.items():
        collaborators += n
        reporting += r
        if path in rows:
            rows[path].collaborators, rows[path].reporting = n, r
    return Summary(
        area=area,
        place_name=await areas.describe(session, area),
        period=period,
        counts=counts,
        by_kind=dict(sorted(by_kind.items(), key=lambda kv: (-kv[1].sessions, _listed(kv[0])))),
        by_language={k: by_language[k] for k in sorted(by_language, key=_listed)},
        by_topic=dict(sorted(by_topic.items(), key=lambda kv: (-kv[1], _listed(kv[0])))),
        by_month=dict(sorted(by_month.items())),
        children=gaps_first(rows.values()),
        own=own,
        collaborators=collaborators,
        reporting=reporting,
        trusted_addresses=(await trusted_addresses(session, area)).total,
        incidents=await incident_figures(session, area, period, zone),
        plan_lines=await plan_lines(
            session,
            area,
            period,
            trainings=ClassCount(training.sessions, training.total),
        ),
        intakes=await intake_figures(session, area, period),
    )

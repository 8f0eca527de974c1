"""Counting sessions and participants of an area and a period, grouped by
the area's children and by any of kind, language, month and topic: from the
monthly rollups for whole months at the province and country level, from the
activities themselves for the days at the edges and below the province."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, func, literal_column, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Activity,
    ActivityKind,
    ActivityRollup,
    ActivityTopic,
    ReporterMonth,
    Topic,
    TopicRollup,
    Unit,
    UnitGroupMember,
    UnitLevel,
    User,
)
from storage.reports import areas
from storage.reports.areas import Area, AreaKind, Query
from storage.reports.periods import Period, month_period
from storage.reports.rollups import PEOPLE, Split, month_start, split

DIMENSIONS = ("kind", "language", "month", "topic")


@dataclass(frozen=True)
class Row:
    """One group: the child's path, the requested dimensions, the sums."""

    child: str
    key: tuple[Any, ...]
    sessions: int
    people: tuple[int, ...]  # in the order of ``PEOPLE``


# Tallies a report has read, for its other parts to share: see tally_key.
Tallied = dict[tuple[Any, ...], list[Row]]


def tally_key(area: Area, period: Period, by: Sequence[str]) -> tuple[Any, ...]:
    """The key of a per-child tally of ``area`` over ``period`` grouped by
    ``by`` in a :data:`Tallied`."""
    return (area.kind, area.id, area.path, period.start, period.end, tuple(by))


def rollup_level(area: Area) -> UnitLevel | None:
    """Which rollup serves an area: the provinces' for the country, the
    communes' for a province or a group; none below."""
    if area.kind is AreaKind.COUNTRY:
        return UnitLevel.PROVINCE
    if area.kind is AreaKind.GROUP or area.level is UnitLevel.PROVINCE:
        return UnitLevel.COMMUNE
    return None


# Aliases of ``units`` are made once, not per query: SQLAlchemy adapts each
# column of a new alias on first use, about a millisecond of CPU each time,
# dozens of times per report. The same alias object in two SELECTs of one
# statement is fine as long as neither encloses the other (it would then be
# correlated): each is used as the one place of its own SELECT.
_PLACE = aliased(Unit)
_SCOPE = aliased(Unit)


def activity_rows(area: Area, period: Period) -> tuple[Query, Any, Any]:
    """Live activities of the area and period joined to their place: the
    query, the ``Unit`` alias of the place, and the child expression."""
    place = _PLACE
    query = (
        select()
        .select_from(Activity)
        .join(place, place.id == Activity.unit_id)
        .where(
            Activity.deleted.is_(False),
            Activity.held_on >= period.start,
            Activity.held_on <= period.end,
        )
    )
    query, child = areas.scoped(query, area, place, Activity.unit_id)
    return query, place, child


def _raw(
    area: Area,
    period: Period,
    by: Sequence[str],
    kind: ActivityKind | None,
    topic: Topic | None,
    per_child: bool,
    own_only: bool = False,
) -> Query:
    query, _place, child = activity_rows(area, period)
    if not per_child:
        child = literal_column("''")
    if own_only:
        query = query.where(Activity.unit_id == area.id)
    if "topic" in by:
        query = query.join(ActivityTopic, ActivityTopic.activity_id == Activity.id)
        if topic is not None:
            query = query.where(ActivityTopic.topic == topic)
    elif topic is not None:
        query = query.where(
            exists().where(ActivityTopic.activity_id == Activity.id, ActivityTopic.topic == topic)
        )
    if kind is not None:
        query = query.where(Activity.kind == kind)
    columns = {
        "kind": Activity.kind,
        "language": Activity.language,
        "month": month_start(Activity.held_on),
        "topic": ActivityTopic.topic,
    }
    keys = [child, *(columns[d] for d in by)]
    sums = [func.count(Activity.id), *(func.sum(getattr(Activity, p)) for p in PEOPLE)]
    return query.add_columns(*keys, *sums).group_by(*keys[0 if per_child else 1 :])


def _rolled(
    area: Area,
    first: date,
    last: date,
    by: Sequence[str],
    kind: ActivityKind | None,
    topic: Topic | None,
    per_child: bool,
    own_scope: bool = False,
) -> Query:
    table: Any = TopicRollup if ("topic" in by or topic is not None) else ActivityRollup
    scope = _SCOPE
    query = (
        select()
        .select_from(table)
        .join(scope, scope.id == table.scope_id)
        .where(table.month >= first, table.month <= last)
    )
    # The scopes are listed first, so that the primary key (scope_id, month, ...)
    # finds each one's months directly.
    scopes: Any
    if own_scope:
        scopes = [area.id]
    elif area.kind is AreaKind.COUNTRY:
        scopes = select(Unit.id).where(Unit.level == UnitLevel.PROVINCE)
    elif area.kind is AreaKind.GROUP:
        scopes = select(UnitGroupMember.unit_id).where(UnitGroupMember.group_id == area.id)
    else:
        scopes = select(Unit.id).where(Unit.level == UnitLevel.COMMUNE, Unit.parent_id == area.id)
    query = query.where(table.scope_id.in_(scopes))
    if kind is not None:
        query = query.where(table.kind == kind)
    if topic is not None:
        query = query.where(table.topic == topic)
    child = scope.path if per_child else literal_column("''")
    keys = [child, *(getattr(table, d) for d in by)]
    sums = [func.sum(table.sessions), *(func.sum(getattr(table, p)) for p in PEOPLE)]
    return query.add_columns(*keys, *sums).group_by(*keys[0 if per_child else 1 :])


async def tally(
    session: AsyncSession,
    area: Area,
    period: Period,
    by: Sequence[str] = (),
    *,
    kind: ActivityKind | None = None,
    topic: Topic | None = None,
    rollups: bool = True,
    per_child: bool = True,
) -> list[Row]:
    """Sessions and participants under each child of ``area`` (the area's own
    path for what was logged at the area itself), grouped by ``by``. With a
    topic in ``by`` or as a filter, a session counts once per topic.
    ``per_child=False`` groups by ``by`` only (rows have an empty child).
    ``rollups=False`` counts from the activities only (the tests compare)."""
    level = rollup_level(area) if rollups else None
    parts = split(period) if level is not None else Split(None, None, (period,))
    queries: list[Query] = []
    if parts.first is not None and parts.last is not None:
        # Without a breakdown by child, a province's own rollup rows, which
        # hold all of its communes' and what was logged at the province
        # itself: a few hundred rows instead of every commune's (a large
        # province's topics for five months: 67,000).
        own_scope = area.kind is AreaKind.UNIT and not per_child
        queries.append(
            _rolled(area, parts.first, parts.last, by, kind, topic, per_child, own_scope)
        )
        if area.kind is AreaKind.UNIT and not own_scope:
            # Sessions logged at the province itself.
            whole = Period(parts.first, month_period(parts.last.year, parts.last.month).end)
            queries.append(_raw(area, whole, by, kind, topic, per_child, own_only=True))
    queries += [_raw(area, edge, by, kind, topic, per_child) for edge in parts.edges]
    # The parts go to the database as one statement (UNION ALL): one round
    # trip instead of three for a half-year of a province. A group may come
    # in more than one part; callers add the rows up.
    statement: Any = queries[0] if len(queries) == 1 else union_all(*queries)
    rows: list[Row] = []
    width = 1 + len(by)
    for found in (await session.execute(statement)).all():
        sessions = int(found[width] or 0)
        if sessions:
            rows.append(
                Row(
                    str(found[0]),
                    tuple(found[1:width]),
                    sessions,
                    tuple(int(v or 0) for v in found[width + 1 :]),
                )
            )
    return rows


def reported_in(period: Period, rollups: bool = True) -> Any:
    """Whether ``User`` logged a live session held in the period: one index
    lookup in ``reporter_months`` for the whole months, and the reporters of
    the edge days."""
    parts = split(period) if rollups else Split(None, None, (period,))
    tests: list[Any] = []
    if parts.first is not None:
        tests.append(
            exists().where(
                ReporterMonth.user_id == User.id,
                ReporterMonth.month >= parts.first,
                ReporterMonth.month <= parts.last,
            )
        )
    for edge in parts.edges:
        tests.append(
            User.id.in_(
                select(Activity.reporter_id).where(
                    Activity.deleted.is_(False),
                    Activity.held_on >= edge.start,
                    Activity.held_on <= edge.end,
                )
            )
        )
    return or_(*tests)


def not_reported_in(period: Period) -> Any:
    """The negation of :func:`reported_in`, as separate terms (``NOT EXISTS``
    and ``NOT IN``) rather than ``NOT (... OR ...)``: PostgreSQL then probes
    ``reporter_months`` by its key for each person instead of reading all
    of the period's rows (a province's silent: 90 ms before)."""
    parts = split(period)
    tests: list[Any] = []
    if parts.first is not None:
        tests.append(
            ~exists().where(
                ReporterMonth.user_id == User.id,
                ReporterMonth.month >= parts.first,
                ReporterMonth.month <= parts.last,
            )
        )
    for edge in parts.edges:
        tests.append(
            User.id.not_in(
                select(Activity.reporter_id).where(
                    Activity.deleted.is_(False),
                    Activity.held_on >= edge.start,
                    Activity.held_on <= edge.end,
                )
            )
        )
    return and_(*tests)

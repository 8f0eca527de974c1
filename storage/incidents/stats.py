"""Incident figures for the summaries (thống kê): counts by type and status,
the median time to the first acknowledgement, and how many were escalated.
Nothing here can identify a person: only counts and durations. The median is
computed in SQL (count, then read the middle one or two), so a national
summary does not load every report."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.models import Incident, Unit


@dataclass(frozen=True)
class IncidentStats:
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    median_to_acknowledge: timedelta | None = None
    escalated: int = 0

    @property
    def escalated_share(self) -> float | None:
        return self.escalated / self.total if self.total else None


class seconds_between(FunctionElement[float]):
    """Seconds from the first timestamp to the second, on both engines."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    # date_part gives a float; EXTRACT gives a numeric, three times slower to sort.
    return f"date_part('epoch', {compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
        " * 86400.0)"
    )


def _within(paths: Sequence[str]) -> ColumnElement[bool] | None:
    """Places under any of ``paths``; ``None`` for the whole country."""
    if "/" in paths:
        return None
    if not paths:
        return false()
    places = select(Unit.id).where(or_(*(Unit.path.startswith(p, autoescape=True) for p in paths)))
    return Incident.unit_id.in_(places)


async def stats(
    session: AsyncSession,
    unit_paths: str | Sequence[str],
    start: datetime,
    end: datetime,
) -> IncidentStats:
    """Reports made in ``[start, end)`` at places under any of ``unit_paths``
    (``"/"`` is the whole country; several paths make a group of communes)."""
    paths = [unit_paths] if isinstance(unit_paths, str) else list(unit_paths)
    conditions: list[ColumnElement[bool]] = [
        Incident.reported_at >= start,
        Incident.reported_at < end,
    ]
    scope = _within(paths)
    if scope is not None:
        conditions.append(scope)
    # One pass for the counts and how many were acknowledged; the covering
    # index ``ix_incidents_reported_figures`` answers it without the table.
    grouped = (
        select(
            Incident.kind,
            Incident.status,
            Incident.escalated,
            func.count(),
            func.count(Incident.acknowledged_at),
        )
        .where(*conditions)
        .group_by(Incident.kind, Incident.status, Incident.escalated)
    )
    by_kind: dict[str, int] = {}
    by_status: dict[str, int] = {}
    total = escalated = acknowledged = 0
    for kind, status, was_escalated, count, answered in (await session.execute(grouped)).all():
        by_kind[kind.value] = by_kind.get(kind.value, 0) + count
        by_status[status.value] = by_status.get(status.value, 0) + count
        total += count
        escalated += count if was_escalated else 0
        acknowledged += answered
    median = await _median_wait(session, conditions, acknowledged)
    return IncidentStats(total, by_kind, by_status, median, escalated)


async def _median_wait(
    session: AsyncSession, conditions: list[ColumnElement[bool]], count: int
) -> timedelta | None:
    """The median of the ``count`` acknowledged reports' waits: the middle
    one or two in SQL order."""
    if not count:
        return None
    wait = seconds_between(Incident.reported_at, Incident.acknowledged_at)
    middle = (
        await session.scalars(
            select(wait)
            .where(*conditions, Incident.acknowledged_at.is_not(None))
            .order_by(wait)
            .offset((count - 1) // 2)
            .limit(2 - count % 2)
        )
    ).all()
    return timedelta(seconds=round(statistics.fmean(float(v) for v in middle), 3))

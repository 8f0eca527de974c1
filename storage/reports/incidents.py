"""The incident section of a summary (vụ việc): counts by type and status,
the median time to first acknowledgement, and the share escalated.

The figures come from ``storage.incidents.stats``. Without a table named
``incidents`` in the metadata (with the contract below) this returns
:meth:`IncidentFigures.unavailable`, and reports say "no data" rather than a
misleading zero.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, IncidentKind, IncidentStatus
from storage.reports import areas
from storage.reports.areas import Area, AreaKind
from storage.reports.labels import Gettext
from storage.reports.periods import Period

log = logging.getLogger(__name__)
TABLE = "incidents"
CONTRACT = ("unit_id", "kind", "status", "reported_at", "acknowledged_at", "escalated")


@dataclass(frozen=True)
class IncidentFigures:
    available: bool
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    median_to_acknowledge: timedelta | None = None
    escalated: int = 0

    @property
    def escalated_share(self) -> float | None:
        return self.escalated / self.total if self.total else None

    @classmethod
    def unavailable(cls) -> IncidentFigures:
        return cls(available=False)


def kind_name(value: str, t: Gettext) -> str:
    """An incident type (``domestic_violence``) as the incidents feature names
    it, in the reader's language; an unknown value as it is."""
    from storage.incidents.labels import KIND_NAMES

    return _named(KIND_NAMES, IncidentKind, value, t)


def status_name(value: str, t: Gettext) -> str:
    """An incident status (``new``) in the reader's language, as :func:`kind_name`."""
    from storage.incidents.labels import STATUS_NAMES

    return _named(STATUS_NAMES, IncidentStatus, value, t)


def _named(names: Mapping[Any, str], kind: type[enum.Enum], value: str, t: Gettext) -> str:
    try:
        return t(names[kind(value)])
    except (ValueError, KeyError):
        return value


def incidents_table() -> Table | None:
    table = Base.metadata.tables.get(TABLE)
    if table is None:
        return None
    missing = [c for c in CONTRACT if c not in table.c]
    if missing:
        log.warning("incidents table lacks %s; the summary shows no incident figures", missing)
        return None
    return table


async def incident_figures(
    session: AsyncSession, area: Area, period: Period, zone: ZoneInfo
) -> IncidentFigures:
    """The incident section for an area and a period, from the incidents
    feature's own figures (``storage.incidents.stats``)."""
    if incidents_table() is None:
        return IncidentFigures.unavailable()
    from storage.incidents.stats import stats

    begin, finish = period.utc_bounds(zone)
    if area.kind is AreaKind.GROUP and area.id is not None:
        paths: list[str] = [m.path for m in await areas.group_members(session, area.id)]
    else:
        paths = [area.path]
    found = await stats(session, paths, begin, finish)
    # Types by count, most first, types of the same count in the order the
    # feature lists them (the counts come grouped, in no defined order);
    # statuses in the order a report goes through them.
    listed = {k.value: i for i, k in enumerate(IncidentKind)}

    def by_count(item: tuple[str, int]) -> tuple[int, int, str]:
        return (-item[1], listed.get(item[0], len(listed)), item[0])

    return IncidentFigures(
        True,
        found.total,
        dict(sorted(found.by_kind.items(), key=by_count)),
        {s.value: found.by_status[s.value] for s in IncidentStatus if s.value in found.by_status},
        found.median_to_acknowledge,
        found.escalated,
    )

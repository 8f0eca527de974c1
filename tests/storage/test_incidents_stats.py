"""Incident figures for the summaries (storage.incidents.stats): counts, the
escalated share and the median wait to acknowledgement, computed in SQL from
one grouped pass and one read of the middle rows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.incidents.stats import IncidentStats, stats
from storage.models import (
    ContactMode,
    Incident,
    IncidentKind,
    IncidentStatus,
    Occurred,
    Unit,
)
from tests.storage.helpers import place, tra_bong

START = datetime(2025, 3, 1, tzinfo=UTC)
_codes = itertools.count(1)


def _incident(
    unit: Unit,
    hours: float,
    wait_minutes: int | None,
    kind: IncidentKind = IncidentKind.DOMESTIC_VIOLENCE,
    status: IncidentStatus = IncidentStatus.TAKEN,
    escalated: bool = False,
) -> Incident:
    number = next(_codes)
    reported = START + timedelta(hours=hours)
    return Incident(
        code=f"BD-T{number:03d}",
        submission_key=f"stats-{number}",
        kind=kind,
        status=status if wait_minutes is not None else IncidentStatus.NEW,
        occurred=Occurred.TODAY,
        unit_id=unit.id,
        contact=ContactMode.ANONYMOUS,
        escalated=escalated,
        reported_at=reported,
        acknowledged_at=(
            reported + timedelta(minutes=wait_minutes) if wait_minutes is not None else None
        ),
        updated_at=reported,
    )


async def test_counts_and_median_over_kinds_and_statuses(session: AsyncSession) -> None:
    commune, province = await tra_bong(session)
    other = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    session.add_all(
        [
            _incident(commune, 1, 40, IncidentKind.CHILD_MARRIAGE, IncidentStatus.CLOSED),
            _incident(commune, 2, 10),
            _incident(commune, 3, None, escalated=True),
            _incident(other, 4, 30, IncidentKind.TRAFFICKING, IncidentStatus.REFERRED, True),
            _incident(other, 5, 20),
            _incident(other, -1, 1),  # before the period
            _incident(other, 24 * 40, 1),  # after it
        ]
    )
    await session.flush()
    end = START + timedelta(days=31)
    # Four acknowledged in three groups: the median is the mean of the middle two.
    found = await stats(session, province.path, START, end)
    assert found.total == 5
    assert found.by_kind == {"domestic_violence": 3, "child_marriage": 1, "trafficking": 1}
    assert found.by_status == {"closed": 1, "taken": 2, "new": 1, "referred": 1}
    assert (found.escalated, found.escalated_share) == (2, 0.4)
    assert found.median_to_acknowledge == timedelta(minutes=25)
    assert await stats(session, "/", START, end) == found
    here = await stats(session, commune.path, START, end)
    assert (here.total, here.escalated) == (3, 1)
    assert here.median_to_acknowledge == timedelta(minutes=25)
    # Three acknowledged (10, 40 and 30 minutes): the middle one.
    odd = await stats(
        session, [commune.path, other.path], START, START + timedelta(hours=4, minutes=30)
    )
    assert (odd.total, odd.median_to_acknowledge) == (4, timedelta(minutes=30))
    # None acknowledged, and no place at all.
    waiting = await stats(session, commune.path, START + timedelta(hours=3), end)
    assert (waiting.total, waiting.median_to_acknowledge) == (1, None)
    assert await stats(session, [], START, end) == IncidentStats()

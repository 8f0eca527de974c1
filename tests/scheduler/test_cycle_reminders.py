"""Deadline reminders stop for a unit once its report for the deadline's
period is submitted or accepted, and start again if it is returned."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.settings import Settings
from scheduler.calendar_seed import seed_calendar
from storage.models import CycleKind, CycleState, PeriodReport, Role
from tests.harness import Clock
from tests.scheduler.test_reminders import People, Runtime, _villages, plan, queued
from tests.storage.helpers import person, place, tra_bong


@pytest.fixture
async def runtime_people(sessions):
    runtime = Runtime(Settings(_env_file=None), sessions, Clock())
    async with sessions.begin() as session:
        await seed_calendar(session)
        commune, _ = await tra_bong(session)
        other = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
        vi = await person(session, 101, Role.COLLABORATOR, commune, language="vi")
        en = await person(session, 102, Role.TEAM_MEMBER, commune, language="en")
        coordinator = await person(session, 103, Role.COMMUNE_COORDINATOR, commune)
        elsewhere = await person(session, 104, Role.COMMUNE_COORDINATOR, other, language="en")
    people = People(vi.telegram_id, en.telegram_id, coordinator.telegram_id, elsewhere.telegram_id)
    return runtime, people


async def _report(runtime, state: CycleState) -> None:
    async with runtime.sessions.begin() as session:
        commune, _ = await tra_bong(session)
        session.add(
            PeriodReport(
                unit_id=commune.id,
                kind=CycleKind.ANNUAL,
                year=2026,
                state=state,
                results="",
                difficulties="",
                proposals="",
                submissions=1,
                submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )


@pytest.mark.parametrize("state", [CycleState.SUBMITTED, CycleState.ACCEPTED])
async def test_a_submitted_report_stops_the_deadline_reminders(runtime_people, state):
    runtime, people = runtime_people
    v = await _villages(runtime)
    await _report(runtime, state)
    await plan(runtime, datetime(2026, 12, 4, 1, 0, tzinfo=UTC))
    # Without the report: the silent collaborator and both coordinators of
    # Trà Bồng, and Vĩnh Linh's (tests/scheduler/test_reminders.py).
    assert set(await queued(runtime)) == {people.elsewhere}
    assert v.silent_one not in await queued(runtime)


async def test_a_returned_report_is_reminded_again(runtime_people):
    runtime, people = runtime_people
    v = await _villages(runtime)
    await _report(runtime, CycleState.RETURNED)
    await plan(runtime, datetime(2026, 12, 4, 1, 0, tzinfo=UTC))
    assert set(await queued(runtime)) == {
        v.silent_one,
        people.coordinator,
        v.coordinator_en,
        people.elsewhere,
    }

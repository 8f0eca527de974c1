from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage import broadcasts, outbox, units
from storage.broadcasts import Audience, BroadcastError, Content, Schedule
from storage.models import (
    BroadcastRun,
    BroadcastStatus,
    OutboxEntry,
    OutboxStatus,
    Repeat,
    Role,
    RunStatus,
    UserStatus,
)
from tests.storage.helpers import person, place, profile, tra_bong

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 local, a Friday
DAY = timedelta(hours=24)


def render(language):
    return outbox.Message(text=f"[{language}] hello")


def test_daily_and_weekly_runs_in_local_time():
    first = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # 00:30 local on Saturday 21 November
    daily = Schedule(first, Repeat.DAILY, until=date(2026, 11, 23))
    assert [r.astimezone(ZONE).date().day for r in broadcasts.runs_of(daily, ZONE)] == [
        21,
        22,
        23,
    ]
    assert all(r.astimezone(ZONE).hour == 0 for r in broadcasts.runs_of(daily, ZONE))
    weekly = Schedule(first, Repeat.WEEKLY, weekdays=(0, 2), until=date(2026, 12, 2))
    days = [r.astimezone(ZONE).date() for r in broadcasts.runs_of(weekly, ZONE)]
    assert days == [date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 30), date(2026, 12, 2)]
    once = Schedule(first)
    assert broadcasts.runs_of(once, ZONE) == [first]
    assert broadcasts.next_run(once, first, ZONE) is None


def test_schedule_checks():
    with pytest.raises(BroadcastError, match="already passed"):
        Schedule(NOW - timedelta(hours=1)).check(NOW, ZONE)
    with pytest.raises(BroadcastError, match="needs a last day"):
        Schedule(NOW + DAY, Repeat.DAILY).check(NOW, ZONE)
    with pytest.raises(BroadcastError, match="one year"):
        Schedule(NOW + DAY, Repeat.DAILY, until=date(2027, 12, 1)).check(NOW, ZONE)
    with pytest.raises(BroadcastError, match="at least one day"):
        Schedule(NOW + DAY, Repeat.WEEKLY, until=date(2026, 12, 1)).check(NOW, ZONE)
    with pytest.raises(BroadcastError, match="before the first"):
        Schedule(NOW + DAY, Repeat.DAILY, until=date(2026, 11, 1)).check(NOW, ZONE)


async def _area(session):
    commune, province = await tra_bong(session)
    village = await units.add_village(session, commune, "Thôn 2")
    author = await person(session, 1, Role.PROVINCE_COORDINATOR, province)
    people = {
        "village": await person(session, 2, Role.COLLABORATOR, village, language="en"),
        "commune": await person(session, 3, Role.TEAM_MEMBER, commune),
        "blocked": await person(session, 4, Role.COLLABORATOR, commune),
        "pending": await person(session, 5, Role.COLLABORATOR, commune, UserStatus.PENDING),
        "other_province": await person(
            session, 6, Role.COLLABORATOR, await place(session, "Xã Kbang", "Gia Lai")
        ),
        "coordinator": await person(session, 7, Role.COMMUNE_COORDINATOR, commune),
    }
    people["blocked"].bot_blocked = True
    await session.flush()
    return province, commune, village, await profile(session, author), people


async def test_audience_filters(session):
    province, _commune, village, author, _ = await _area(session)
    everyone = Audience(root=province.path, exclude_user_id=author.id)
    assert {m.telegram_id for m in await broadcasts.members(session, everyone)} == {2, 3, 7}
    in_village = Audience(root=province.path, places=(village.path,), exclude_user_id=author.id)
    assert await broadcasts.count_audience(session, in_village) == 1
    coordinators = Audience(root=province.path, roles=(Role.COMMUNE_COORDINATOR,))
    assert [m.telegram_id for m in await broadcasts.members(session, coordinators)] == [7]
    outside = await place(session, "Xã Kbang", "Gia Lai")
    assert await broadcasts.narrowing_places(session, province.path, [outside.id, village.id]) == [
        village
    ]


async def test_start_once_per_run_and_skip_a_run_missed_for_too_long(session):
    province, _, _, author, _ = await _area(session)
    schedule = Schedule(NOW + DAY, Repeat.DAILY, until=date(2026, 11, 24))
    broadcast = await broadcasts.create(
        session, author, Content("Xin chào"), province.id, [], [], schedule, NOW, ZONE
    )
    assert await broadcasts.start_run(session, broadcast, NOW, ZONE, render, DAY) is None  # not yet
    first = await broadcasts.start_run(session, broadcast, NOW + DAY, ZONE, render, DAY)
    assert first is not None and first.recipients == 3
    assert broadcast.next_at == NOW + 2 * DAY
    rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.chat_id))).all()
    texts = {r.chat_id: (await outbox.message_of(session, r.payload_id)).text for r in rows}
    assert texts == {2: "[en] hello", 3: "[vi] hello", 7: "[vi] hello"}
    # the bot was down from the 22nd to the 24th, 12:00: the 22nd and 23rd are skipped
    late = NOW + 4 * DAY + timedelta(hours=2)
    second = await broadcasts.start_run(session, broadcast, late, ZONE, render, DAY)
    assert second is not None and second.skipped
    third = await broadcasts.start_run(session, broadcast, late, ZONE, render, DAY)
    assert third is not None and not third.skipped
    assert third.run.scheduled_for == NOW + 4 * DAY
    assert broadcast.next_at is None
    runs = (await session.scalars(select(BroadcastRun).order_by(BroadcastRun.id))).all()
    assert [r.status for r in runs] == [RunStatus.SENDING, RunStatus.SKIPPED, RunStatus.SENDING]


async def test_cancel_withdraws_what_is_not_sent(session):
    province, _, _, author, _ = await _area(session)
    broadcast = await broadcasts.create(
        session, author, Content("Dừng"), province.id, [], [], Schedule(NOW), NOW, ZONE
    )
    started = await broadcasts.start_run(session, broadcast, NOW, ZONE, render, DAY)
    assert started is not None
    claimed = await outbox.claim(session, NOW, 2)
    await outbox.finish(session, claimed[0].id, OutboxStatus.SENT, NOW, message_id=9)
    commune_coordinator = await profile(
        session,
        await person(session, 8, Role.COMMUNE_COORDINATOR, await place(session, "Xã Kbang")),
    )
    refused = await broadcasts.cancel(session, commune_coordinator, broadcast.id, NOW)
    assert refused.broadcast is None
    result = await broadcasts.cancel(session, author, broadcast.id, NOW)
    assert result.stopped and result.withdrawn == 1  # one sent, one being sent, one withdrawn
    progress = await broadcasts.progress(session, started.run)
    assert (progress.sent, progress.waiting, progress.cancelled) == (1, 1, 1)
    assert broadcast.status is BroadcastStatus.CANCELLED
    again = await broadcasts.cancel(session, author, broadcast.id, NOW)
    assert not again.stopped


async def test_only_coordinators_of_their_own_area(session):
    _province, commune, _, author, people = await _area(session)
    collaborator = await profile(session, people["commune"])
    with pytest.raises(BroadcastError, match="Only coordinators"):
        await broadcasts.create(
            session, collaborator, Content("x"), commune.id, [], [], Schedule(NOW), NOW, ZONE
        )
    with pytest.raises(BroadcastError, match="your own area"):
        await broadcasts.create(
            session, author, Content("x"), commune.id, [], [], Schedule(NOW), NOW, ZONE
        )

"""Reminders with a clock moved by hand, in Asia/Ho_Chi_Minh (UTC+7): local
08:00 is 01:00 UTC, local midnight is 17:00 UTC the day before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import translator
from bot.settings import Settings
from scheduler import reminders
from scheduler.calendar_seed import seed_calendar
from scheduler.quiet import parse_quiet_hours
from storage import calendar, outbox
from storage.models import (
    CalendarEvent,
    EventKind,
    OutboxEntry,
    OutboxStatus,
    ReminderRule,
    Role,
    Unit,
)
from storage.models.calendar import Anchor, ReminderPurpose
from storage.reports.completeness import Declared, declare_no_activity
from storage.users import get_by_telegram_id
from tests.harness import Clock
from tests.scheduler.test_sender import ScriptedBot, make_sender
from tests.storage.helpers import person, place, profile, tra_bong
from tests.storage.reports_data import JOINED, activity, log, member, villages

ZONE_NAME = "Asia/Ho_Chi_Minh"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Runtime:
    settings: Settings
    sessions: object
    clock: Clock


@dataclass
class People:
    vi: int
    en: int
    coordinator: int
    elsewhere: int


@pytest.fixture
async def world(sessions):
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


async def plan(runtime, at: datetime) -> int:
    runtime.clock.now = at
    return await reminders.plan_due(runtime, translator)


async def queued(runtime) -> dict[int, OutboxEntry]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
    return {row.chat_id: row for row in rows}


async def deliver(runtime) -> ScriptedBot:
    bot = ScriptedBot()
    await make_sender(runtime.sessions, bot, runtime.clock).drain()
    return bot


def test_quiet_hours_cross_midnight():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(ZONE_NAME)
    quiet = parse_quiet_hours("21:00-06:30")
    # 20:59 local is fine; 21:00 waits for 06:30 the next morning
    assert quiet.defer(utc(2026, 11, 15, 13, 59), zone) == utc(2026, 11, 15, 13, 59)
    assert quiet.defer(utc(2026, 11, 15, 14, 0), zone) == utc(2026, 11, 15, 23, 30)
    # 00:10 and 06:29 local wait until 06:30 the same local day
    assert quiet.defer(utc(2026, 11, 15, 17, 10), zone) == utc(2026, 11, 15, 23, 30)
    assert quiet.defer(utc(2026, 11, 15, 23, 29), zone) == utc(2026, 11, 15, 23, 30)
    assert quiet.defer(utc(2026, 11, 15, 23, 30), zone) == utc(2026, 11, 15, 23, 30)
    assert not parse_quiet_hours("00:00-00:00").contains(datetime(2026, 1, 1, 3).time())
    with pytest.raises(ValueError, match="HH:MM"):
        parse_quiet_hours("9pm-6am")


async def test_first_day_at_8_local_in_each_language(world):
    runtime, people = world
    assert await plan(runtime, utc(2026, 11, 15, 0, 59)) == 0  # 07:59 local
    # 08:00 local: the action month begins; the reminder of 1 November is long past
    assert await plan(runtime, utc(2026, 11, 15, 1, 0)) == 4
    assert await plan(runtime, utc(2026, 11, 15, 1, 5)) == 0  # never twice
    bot = await deliver(runtime)
    texts = {chat: text for _, chat, text in bot.calls}
    assert texts[people.vi].startswith("📣 Hôm nay bắt đầu <b>Tháng hành động vì bình đẳng giới")
    assert texts[people.en].startswith(
        "📣 <b>Action Month for Gender Equality and Prevention of Gender-Based Violence</b>"
        " begins today"
    )
    assert "/reminders" in texts[people.en]


async def test_reminder_missed_while_the_bot_was_down(world):
    runtime, people = world
    # Down from before 08:00 until 20:00 local: sent once, 12 hours late.
    assert await plan(runtime, utc(2026, 11, 15, 13, 0)) == 4
    bot = await deliver(runtime)
    assert sorted(bot.delivered) == sorted(
        [people.vi, people.en, people.coordinator, people.elsewhere]
    )
    # The restart after it: nothing again.
    assert await plan(runtime, utc(2026, 11, 15, 13, 0, 30)) == 0
    assert (await deliver(runtime)).delivered == []


async def test_back_in_quiet_hours_waits_for_morning(world):
    runtime, _ = world
    # Back at 21:30 local: queued now, sent at 06:30 the next morning.
    assert await plan(runtime, utc(2026, 11, 15, 14, 30)) == 4
    entry = next(iter((await queued(runtime)).values()))
    assert entry.not_before == utc(2026, 11, 15, 23, 30)
    assert entry.expires_at == utc(2026, 11, 16, 1, 0)  # 24 hours after 08:00
    assert (await deliver(runtime)).delivered == []
    runtime.clock.now = utc(2026, 11, 15, 23, 30)
    assert len((await deliver(runtime)).delivered) == 4


async def test_more_than_a_day_late_is_not_sent(world):
    runtime, _ = world
    assert await plan(runtime, utc(2026, 11, 16, 1, 1)) == 0  # 08:01 the next day


async def test_last_day_back_at_night_is_too_late(world):
    runtime, _ = world
    # Back at 22:00 local on the last day: morning would be after the end.
    assert await plan(runtime, utc(2026, 12, 15, 15, 0)) == 0
    assert await queued(runtime) == {}


async def test_last_day_back_in_the_afternoon(world):
    runtime, people = world
    # Back at 16:00 local on the last day: still useful, an invitation to log.
    assert await plan(runtime, utc(2026, 12, 15, 9, 0)) == 4
    bot = await deliver(runtime)
    texts = {chat: text for _, chat, text in bot.calls}
    assert texts[people.en].startswith("🏁 Today is the last day of <b>Action Month")
    assert texts[people.en].endswith(
        "see what was logged: /mine\n\nTo turn these reminders off: /reminders"
    )
    assert "/summary" in texts[people.coordinator]  # a coordinator's summary of the area
    entry = (await queued(runtime))[people.en]
    assert entry.expires_at == utc(2026, 12, 15, 17, 0)  # midnight local: the month is over


async def test_a_midnight_reminder_belongs_to_the_local_day(world):
    runtime, _ = world
    async with runtime.sessions.begin() as session:
        event = await session.scalar(
            select(CalendarEvent).where(CalendarEvent.code == "gender_equality_month")
        )
        for rule in (
            await session.scalars(select(ReminderRule).where(ReminderRule.event_id == event.id))
        ).all():
            rule.active = False
        session.add(
            ReminderRule(
                event_id=event.id,
                anchor=Anchor.START,
                offset_days=0,
                at_minute=0,
                purpose=ReminderPurpose.STARTS,
                roles=["collaborator"],
                only_incomplete=False,
                active=True,
            )
        )
    # 16:59 UTC on 14 November is 23:59 local: not yet the first day.
    assert await plan(runtime, utc(2026, 11, 14, 16, 59)) == 0
    # 17:00 UTC on 14 November is midnight local, 15 November: due, in quiet hours.
    assert await plan(runtime, utc(2026, 11, 14, 17, 0)) == 1
    async with runtime.sessions() as session:
        run = await session.scalar(select(calendar.ReminderRun))
    assert str(run.occurs_on) == "2026-11-15"
    entry = next(iter((await queued(runtime)).values()))
    assert entry.not_before == utc(2026, 11, 14, 23, 30)  # 06:30 local


async def test_opt_out_of_action_months_only(world):
    runtime, people = world
    async with runtime.sessions.begin() as session:
        users = {
            chat: await get_by_telegram_id(session, chat)
            for chat in (people.coordinator, people.vi)
        }
        await calendar.set_reminders(
            session, users[people.coordinator].id, EventKind.ACTION_MONTH, on=False
        )
        await calendar.set_reminders(session, users[people.vi].id, EventKind.ACTION_MONTH, on=False)
    assert await plan(runtime, utc(2026, 11, 15, 1, 0)) == 2
    assert set(await queued(runtime)) == {people.en, people.elsewhere}
    # The deadline reminder (5 December, 7 days before) still reaches the coordinator.
    assert await plan(runtime, utc(2026, 11, 28, 1, 0)) == 2
    assert {people.coordinator, people.elsewhere} <= set(await queued(runtime))
    # Back on.
    async with runtime.sessions.begin() as session:
        await calendar.set_reminders(session, users[people.vi].id, EventKind.ACTION_MONTH, on=True)
    assert await plan(runtime, utc(2026, 12, 15, 1, 0)) == 3


async def test_deadlines_follow_the_area_and_skip_complete_units(world):
    runtime, people = world
    async with runtime.sessions.begin() as session:
        commune, province = await tra_bong(session)
        chief = await profile(
            session, await person(session, 105, Role.PROVINCE_COORDINATOR, province)
        )
        annual = await session.scalar(
            select(CalendarEvent).where(CalendarEvent.code == "report_annual")
        )
        await calendar.set_deadline(session, chief, annual, province, 12, 10)
    # 28 November 08:00: 7 days before 5 December, outside Quảng Ngãi only.
    assert await plan(runtime, utc(2026, 11, 28, 1, 0)) == 1
    assert set(await queued(runtime)) == {people.elsewhere}
    # 3 December 08:00: 7 days before 10 December in Quảng Ngãi. Trà Bồng (no
    # villages) logged a session this year: it has reported; the province has not.
    async with runtime.sessions.begin() as session:
        reporter = await get_by_telegram_id(session, people.vi)
        await log(session, activity(commune, reporter, date(2026, 3, 8)))
    assert await plan(runtime, utc(2026, 12, 3, 1, 0)) == 1
    latest = await queued(runtime)
    assert 105 in latest and people.coordinator not in latest


@dataclass
class Villages:
    logged: Unit  # village 1: one of its two collaborators logged sessions
    silent: Unit  # village 2: nothing logged, its collaborator is silent
    declared: Unit  # village 3: nothing logged, its collaborator said "no activity"
    logger: int
    teammate: int  # in the village that logged, logged nothing themselves
    silent_one: int
    declarer: int
    coordinator_en: int


async def _villages(runtime) -> Villages:
    """Three villages of Trà Bồng in 2026, and the annual deadline (5 December)
    reminding collaborators, team members and commune coordinators the day before."""
    async with runtime.sessions.begin() as session:
        commune, _ = await tra_bong(session)
        first, second, third = await villages(session, commune, 3)
        logger = await member(session, first, telegram_id=201)
        teammate = await member(session, first, Role.TEAM_MEMBER, telegram_id=202)
        silent = await member(session, second, telegram_id=203)
        declarer = await member(session, third, telegram_id=204, joined=utc(2026, 12, 1))
        coordinator_en = await person(
            session, 205, Role.COMMUNE_COORDINATOR, commune, language="en"
        )
        for chat in (101, 102):  # the world's members at the commune itself joined long ago
            (await get_by_telegram_id(session, chat)).created_at = JOINED
        await log(
            session,
            activity(first, logger, date(2026, 3, 8), women=12, men=3, girls=2, ethnic=4),
            activity(first, logger, date(2026, 11, 20), women=8, men=6),
        )
        said = await declare_no_activity(
            session,
            await profile(session, declarer),
            date(2026, 12, 1),
            utc(2026, 12, 2, 3, 0),
            ZoneInfo(ZONE_NAME),
        )
        assert said is Declared.SAVED
        annual = await session.scalar(
            select(CalendarEvent).where(CalendarEvent.code == "report_annual")
        )
        for rule in (
            await session.scalars(select(ReminderRule).where(ReminderRule.event_id == annual.id))
        ).all():
            rule.active = False
        session.add(
            ReminderRule(
                event_id=annual.id,
                anchor=Anchor.START,
                offset_days=-1,
                at_minute=8 * 60,
                purpose=ReminderPurpose.DEADLINE,
                roles=["collaborator", "team_member", "commune_coordinator"],
                only_incomplete=True,
                active=True,
            )
        )
    return Villages(
        first,
        second,
        third,
        *(u.telegram_id for u in (logger, teammate, silent, declarer, coordinator_en)),
    )


async def test_deadline_skips_the_villages_that_reported(world):
    runtime, people = world
    v = await _villages(runtime)
    assert await plan(runtime, utc(2026, 12, 4, 1, 0)) == 4
    # Village 1 logged (the teammate too is done); village 3 said "no activity";
    # the members at the commune itself: their commune logged. Village 2 did not,
    # and neither has every place of either coordinator's commune.
    assert set(await queued(runtime)) == {
        v.silent_one,
        people.coordinator,
        v.coordinator_en,
        people.elsewhere,
    }
    texts = {c: t for _, c, t in (await deliver(runtime)).calls}
    assert "/mine" in texts[v.silent_one]
    assert "📊" not in texts[v.silent_one]  # no summary for a collaborator


async def test_coordinators_deadline_reminder_carries_the_draft(world):
    runtime, people = world
    v = await _villages(runtime)
    await plan(runtime, utc(2026, 12, 4, 1, 0))
    texts = {c: t for _, c, t in (await deliver(runtime)).calls}
    mine = texts[v.coordinator_en]
    assert mine.startswith("⏰ The <b>Annual report</b> is due in 1 day")
    assert "<b>📊 Xã Trà Bồng, Quảng Ngãi</b>\nYear 2026 (01/01/2026 – 31/12/2026)" in mine
    assert "<b>2 sessions, 31 participants</b>" in mine
    assert "Women 20 · Men 9 · Girls 2 · Boys 0" in mine
    assert "Ethnic-minority participants: 4" in mine
    assert "Collaborators: 6 (logged sessions: 1; said there was no activity: 1; silent: 4)" in mine
    assert f"Villages with nothing logged: 2 of 3: {v.silent.name}, {v.declared.name}" in mine
    assert mine.endswith("\n\nTo turn these reminders off: /reminders")
    # The Vietnamese coordinator of the same commune: the same figures, in Vietnamese.
    assert "<b>2 buổi, 31 người tham gia</b>" in texts[people.coordinator]
    assert "Năm 2026" in texts[people.coordinator]
    # Another commune: its own (empty) area.
    other = texts[people.elsewhere]
    assert "<b>📊 Xã Vĩnh Linh, Quảng Trị</b>" in other
    assert "<b>0 sessions, 0 participants</b>" in other
    assert "Communes with nothing logged: 1 of 1: Xã Vĩnh Linh" in other


async def test_a_deadline_rule_for_everyone_still_carries_the_draft(world):
    runtime, people = world
    v = await _villages(runtime)
    async with runtime.sessions.begin() as session:
        rule = await session.scalar(select(ReminderRule).order_by(ReminderRule.id.desc()))
        assert rule.roles == ["collaborator", "team_member", "commune_coordinator"]
        rule.only_incomplete = False
    # Everyone with one of the rule's roles: the world's four, and the five of the villages.
    assert await plan(runtime, utc(2026, 12, 4, 1, 0)) == 9
    texts = {c: t for _, c, t in (await deliver(runtime)).calls}
    assert "<b>2 sessions, 31 participants</b>" in texts[v.coordinator_en]
    assert "📊" not in texts[v.logger] and "📊" not in texts[people.vi]


async def test_deadline_text_counts_days(world):
    runtime, people = world
    assert await plan(runtime, utc(2026, 12, 4, 1, 0)) == 2  # 1 day before 5 December
    bot = await deliver(runtime)
    texts = {c: t for _, c, t in bot.calls}
    assert "The <b>Annual report</b> is due in 1 day, on" in texts[people.elsewhere]
    assert "Báo cáo năm" in texts[people.coordinator]
    entries = await queued(runtime)
    assert all(e.status is OutboxStatus.SENT for e in entries.values())
    message = await _message(runtime, entries[people.elsewhere].payload_id)
    assert message.buttons[0][0].callback_data == "menu:log"


async def _message(runtime, payload_id):
    async with runtime.sessions() as session:
        return await outbox.message_of(session, payload_id)

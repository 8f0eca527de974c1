"""/reminders and /calendar through the local Bot API (clock: 20 November
2026, 10:00 in Vietnam)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from scheduler import jobs
from storage import calendar
from storage.models import CalendarEvent, EventKind, Role, User
from tests.handlers.conftest import USER
from tests.harness import texts
from tests.storage.helpers import person, tra_bong

COLLABORATOR = 601
COORDINATOR = 500


async def _people(bot, sessions) -> None:
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        await person(session, COLLABORATOR, Role.COLLABORATOR, commune, language="en")
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")
    bot.api.add_user(COLLABORATOR, first_name="Mai", language_code="en")
    bot.api.add_user(COORDINATOR, first_name="Hoa", language_code="en")


async def _user_id(sessions, telegram_id: int) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(User.id).where(User.telegram_id == telegram_id)))


async def test_reminders_list_and_opt_out(bot, sessions):
    await _people(bot, sessions)
    replies = await bot.send(COLLABORATOR, "/reminders")
    text = texts(replies)[0]
    assert "International Day for the Elimination of Violence against Women (on the day)" in text
    assert (
        "Action Month for Gender Equality and Prevention of Gender-Based Violence (last day)"
        in text
    )
    assert "Annual report" not in text  # deadlines are for coordinators
    assert bot.labels(COLLABORATOR) == ["✅ Action months", "✅ Observance days"]

    await bot.send(COLLABORATOR, "/log")  # in the middle of another conversation
    await bot.press_data(COLLABORATOR, replies[0].message_id, "rm:action_month")
    assert bot.answer() == "Action months: off"
    shown = next(
        m for m in bot.api.bot_messages(COLLABORATOR) if m.message_id == replies[0].message_id
    )
    assert "🔕 Action months" in [b["text"] for row in shown.reply_markup for b in row]
    async with sessions() as session:
        off = await calendar.opted_out(session, await _user_id(sessions, COLLABORATOR))
    assert off == {EventKind.ACTION_MONTH}

    # The last day of the month comes: the opted-out collaborator gets nothing.
    bot.clock.now = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)
    await jobs.run_due(bot.app)
    assert not any((m.text or "").startswith("🏁") for m in bot.api.bot_messages(COLLABORATOR))
    assert any((m.text or "").startswith("🏁") for m in bot.api.bot_messages(COORDINATOR))

    await bot.press_data(COLLABORATOR, replies[0].message_id, "rm:action_month")
    assert bot.answer() == "Action months: on"
    await bot.press_data(COLLABORATOR, replies[0].message_id, "rm:deadline")  # forged
    assert bot.answer() == "That button is no longer valid."


async def test_reminders_need_registration(bot, sessions):
    replies = await bot.send(USER, "/reminders")
    assert "Send /start to register" in texts(replies)[0]


async def test_coordinator_adds_an_event_and_changes_a_deadline(bot, sessions):
    await _people(bot, sessions)
    replies = await bot.send(COLLABORATOR, "/calendar")
    assert "Only coordinators can change the calendar" in texts(replies)[0]

    replies = await bot.send(COORDINATOR, "/calendar")
    assert texts(replies)[0].startswith("🗓 Calendar of Xã Trà Bồng, the next 12 months:")
    assert "Annual report (report deadline)" in texts(replies)[0]
    await bot.press(COORDINATOR, label="➕ Add a local event")
    replies = await bot.send(COORDINATOR, "x" * 121)
    assert "A name has 1 to 120 characters" in texts(replies)[0]
    await bot.send(COORDINATOR, "Hội thi tìm hiểu Luật Phòng, chống bạo lực gia đình")
    await bot.press(COORDINATOR, label="One day")
    replies = await bot.send(COORDINATOR, "31/2")
    assert "cannot read “31/2” as dates" in texts(replies)[0]
    replies = await bot.send(COORDINATOR, "2/12")
    assert texts(replies)[0].startswith(
        "✅ Added: Hội thi tìm hiểu Luật Phòng, chống bạo lực gia đình, 12/2/26."
    )

    await bot.send(COORDINATOR, "/calendar")
    await bot.press(COORDINATOR, label="📅 Change a report deadline")
    await bot.press(COORDINATOR, label="Annual report (5/12)")
    replies = await bot.send(COORDINATOR, "10/12")
    assert "the Annual report is now due on 10/12 every year" in texts(replies)[0]
    replies = await bot.send(COORDINATOR, "/calendar")
    assert "12/10/26: Annual report (date of your area)" in texts(replies)[0]

    # The local day is reminded to its commune 7 days before, at 08:00.
    bot.clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    await jobs.run_due(bot.app)
    got = [m.text or "" for m in bot.api.bot_messages(COLLABORATOR)]
    assert any(t.startswith("📅 Hội thi tìm hiểu Luật") for t in got)

    await bot.send(COORDINATOR, "/calendar")
    await bot.press(COORDINATOR, label="🗑 Remove a local event")
    await bot.press(
        COORDINATOR, label="Hội thi tìm hiểu Luật Phòng, chống bạo lực gia đình (12/2/26)"
    )
    async with sessions() as session:
        local = await session.scalar(
            select(CalendarEvent).where(
                CalendarEvent.unit_id.is_not(None), CalendarEvent.base_id.is_(None)
            )
        )
    assert local is not None and not local.active

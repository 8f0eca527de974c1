"""/broadcast through the local Bot API, with the clock and the sender driven
by hand (``scheduler.jobs.run_due``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from scheduler import jobs
from storage import units
from storage.models import Broadcast, BroadcastStatus, Role, User, UserStatus
from tests.handlers.conftest import USER
from tests.harness import texts
from tests.storage.helpers import person, place, tra_bong

COORDINATOR = 500
VILLAGERS = (601, 602)  # collaborators in Thôn 1
TEAM = 603  # a team member at the commune
OUTSIDE = 700  # a collaborator in another province


async def _people(bot, sessions) -> None:
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        village = await units.add_village(session, commune, "Thôn 1")
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")
        for chat in VILLAGERS:
            await person(session, chat, Role.COLLABORATOR, village, language="vi")
        await person(session, TEAM, Role.TEAM_MEMBER, commune, language="en")
        await person(session, 604, Role.COLLABORATOR, commune, status=UserStatus.PENDING)
        other = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
        await person(session, OUTSIDE, Role.COLLABORATOR, other)
    bot.api.add_user(COORDINATOR, first_name="Hoa", language_code="en")
    for chat in (*VILLAGERS, TEAM, 604, OUTSIDE):
        bot.api.add_user(chat, first_name=f"U{chat}")


TEXT = "Họp dân thôn 1 lúc 19h tối nay & mang theo <sổ ghi chép>"


async def _compose_to_confirm(bot, text: str = TEXT) -> None:
    await bot.send(COORDINATOR, "/broadcast")
    replies = await bot.send(COORDINATOR, text)
    assert "Recipients now: <b>3</b>" in bot.last(COORDINATOR).html
    assert texts(replies)[-1].startswith("Who receives it")
    await bot.press(COORDINATOR, label="➡ Continue")
    await bot.press(COORDINATOR, label="📤 Now")


async def _weekly_from_25_november(bot, text: str) -> list[str]:
    """Compose ``text`` for everyone, to be sent every week from 25/11 08:00;
    returns what the bot answered to "Every week"."""
    await bot.send(COORDINATOR, "/broadcast")
    await bot.send(COORDINATOR, text)
    await bot.press(COORDINATOR, label="➡ Continue")
    await bot.press(COORDINATOR, label="🗓 Later")
    await bot.send(COORDINATOR, "25/11 08:00")
    return texts(await bot.press(COORDINATOR, label="Every week, on chosen days"))


def _received(bot, chat: int) -> list[str]:
    return [m.text or m.caption or "" for m in bot.api.bot_messages(chat)]


async def test_send_now_with_live_progress_and_final_report(bot, sessions):
    await _people(bot, sessions)
    bot.api.block(TEAM)
    await _compose_to_confirm(bot)
    preview, card = bot.api.bot_messages(COORDINATOR)[-2:]
    assert preview.text == f"📢 Announcement from Xã Trà Bồng\n\n{TEXT}"
    assert "Recipients now: 3" in card.text
    assert "When: now" in card.text
    await bot.press(COORDINATOR, label="📢 Send now")
    progress = bot.last(COORDINATOR)
    assert progress.text.startswith("📢 Broadcast #")
    assert progress.text.endswith("Delivered: 0 of 3")
    assert [b["text"] for row in progress.reply_markup for b in row] == ["⏹ Stop this broadcast"]

    await jobs.run_due(bot.app)
    for chat in VILLAGERS:  # in Vietnamese; what was typed arrives as typed
        [message] = bot.api.bot_messages(chat)
        assert message.text == f"📢 Thông báo của Xã Trà Bồng\n\n{TEXT}"
    assert _received(bot, TEAM) == [] and _received(bot, OUTSIDE) == []
    assert _received(bot, 604) == []  # not approved
    final = bot.api.bot_messages(COORDINATOR)[-2]
    assert final.message_id == progress.message_id and final.edited_count >= 1
    assert "finished" in final.text and "Delivered: 2 of 3" in final.text
    assert "Blocked the bot: 1" in final.text
    assert final.reply_markup is None
    report = bot.last(COORDINATOR)
    assert report.text.startswith("✅ Broadcast #")
    assert "2 of 3 delivered, 1 blocked the bot, 0 failed" in report.text
    async with sessions() as session:
        blocked = await session.scalar(select(User).where(User.telegram_id == TEAM))
        status = await session.scalar(select(Broadcast.status))
    assert blocked.bot_blocked and status is BroadcastStatus.DONE
    # Nothing is sent twice, whatever runs again.
    await jobs.run_due(bot.app)
    assert [len(_received(bot, chat)) for chat in VILLAGERS] == [1, 1]


async def test_narrow_by_village_and_role(bot, sessions):
    await _people(bot, sessions)
    await bot.send(COORDINATOR, "/broadcast")
    await bot.send(COORDINATOR, "Tập huấn cho cộng tác viên")
    await bot.press(COORDINATOR, label="📍 Places")
    assert "Thôn 1" in bot.labels(COORDINATOR)
    await bot.press(COORDINATOR, label="Thôn 1")
    assert "✓ Thôn 1" in bot.labels(COORDINATOR)
    await bot.press(COORDINATOR, label="✅ Done")
    assert "Places: Thôn 1" in bot.last(COORDINATOR).text
    assert "Recipients now: 2" in bot.last(COORDINATOR).text
    await bot.press(COORDINATOR, label="👥 Roles")
    await bot.press(COORDINATOR, label="Community communication team member")
    assert "✓ Community communication team member" in bot.labels(COORDINATOR)
    await bot.press(COORDINATOR, label="✅ Done")
    assert "Recipients now: 0" in bot.last(COORDINATOR).text
    await bot.press(COORDINATOR, label="➡ Continue")  # nobody: refused, step kept
    assert "Nobody would receive it" in bot.answer()
    await bot.press(COORDINATOR, label="↺ Everyone in my area")
    assert "Recipients now: 3" in bot.last(COORDINATOR).text


async def test_wrong_input_at_each_step(bot, sessions):
    await _people(bot, sessions)
    await bot.send(COORDINATOR, "/broadcast")
    update_id = await bot.api.send_voice(COORDINATOR, b"OggS voice")
    replies = await bot._settle(update_id)
    assert texts(replies)[0] == "Please send a text, a photo or a document."
    replies = await bot.send(COORDINATOR, "x" * 4096)  # Telegram's limit: more may follow
    assert texts(replies) == []
    replies = await bot.send(COORDINATOR, "!")  # the rest: read as one message
    assert "Your message has 4,097 characters; a broadcast can have at most" in texts(replies)[0]
    update_id = await bot.api.send_photo(COORDINATOR, b"\x89PNG fake", caption="c" * 1024)
    replies = await bot._settle(update_id)
    assert texts(replies)[0].startswith("The caption has 1,024 characters")
    replies = await bot.send(COORDINATOR, "/frobnicate")  # an unknown command mid-way
    assert "finish this step" in texts(replies)[0]
    replies = await bot.send(COORDINATOR, "🙂 Chúc mừng ngày 20/10! 🌸")
    assert texts(replies)[-1].startswith("Who receives it")
    replies = await bot.send(COORDINATOR, "hello")  # text where a button is expected
    assert texts(replies)[0] == "Please choose one of the buttons below."
    audience = bot.last(COORDINATOR)
    replies = await bot.press_data(COORDINATOR, audience.message_id, "bp:add:1")  # forged
    assert texts(replies)[-1].startswith("Who receives it")
    await bot.press(COORDINATOR, label="📍 Places")
    replies = await bot.send(COORDINATOR, "vinh linh")  # not in the coordinator's area
    assert "No commune or village in your area matches" in texts(replies)[0]
    places = bot.last(COORDINATOR)
    replies = await bot.press_data(COORDINATOR, places.message_id, "bp:add:999999")
    assert texts(replies)[-1].startswith("Type the name of a commune or village")
    await bot.press(COORDINATOR, label="✅ Done")
    await bot.press(COORDINATOR, label="➡ Continue")
    await bot.press(COORDINATOR, label="🗓 Later")
    replies = await bot.send(COORDINATOR, "tomorrow")
    assert "cannot read “tomorrow” as a day and a time" in texts(replies)[0]
    replies = await bot.send(COORDINATOR, "19/11 08:00")  # the clock says 20 November
    assert "next" not in texts(replies)[0] and "Once" in bot.labels(COORDINATOR)


async def test_only_coordinators(bot, sessions):
    replies = await bot.send(USER, "/broadcast")
    assert texts(replies) == ["Only coordinators can send broadcasts."]
    replies = await bot.send(USER, "/broadcasts")
    assert texts(replies) == ["Only coordinators can send broadcasts."]


async def test_repeating_broadcast_runs_each_day_then_ends(bot, sessions):
    await _people(bot, sessions)
    await _weekly_from_25_november(bot, "Tháng hành động: ghi lại mỗi buổi sinh hoạt")
    assert "✓ Wed" in bot.labels(COORDINATOR)  # 25 November 2026 is a Wednesday
    await bot.press(COORDINATOR, label="Fri")
    await bot.press(COORDINATOR, label="✅ Done")
    replies = await bot.send(COORDINATOR, "4/12")
    card = texts(replies)[-1]
    assert "When: every Wed, Fri at 08:00, from 11/25/26 to 12/4/26 (4 times)" in card
    replies = await bot.press(COORDINATOR, label="🗓 Schedule it")
    assert "Scheduled as broadcast #" in texts(replies)[-1]
    replies = await bot.send(COORDINATOR, "/broadcasts")
    assert "next: 11/25/26, 8:00" in texts(replies)[0]

    def received() -> int:  # calendar reminders arrive too; count the broadcasts
        return sum(t.startswith("📢") for t in _received(bot, VILLAGERS[0]))

    for moment, expected in (
        (datetime(2026, 11, 25, 0, 59, tzinfo=UTC), 0),  # 07:59 local
        (datetime(2026, 11, 25, 1, 0, tzinfo=UTC), 1),
        (datetime(2026, 11, 26, 1, 0, tzinfo=UTC), 1),  # Thursday: nothing
        (datetime(2026, 11, 27, 1, 0, tzinfo=UTC), 2),
        (datetime(2026, 12, 2, 1, 0, tzinfo=UTC), 3),
        (datetime(2026, 12, 4, 1, 0, tzinfo=UTC), 4),  # the last day
        (datetime(2026, 12, 9, 1, 0, tzinfo=UTC), 4),
    ):
        bot.clock.now = moment
        await jobs.run_due(bot.app)
        assert received() == expected, moment
    reports = [t for t in _received(bot, COORDINATOR) if t.startswith("✅ Broadcast #")]
    assert all(" is finished: 3 of 3 delivered" in t for t in reports)
    assert len(reports) == 4
    async with sessions() as session:
        assert await session.scalar(select(Broadcast.status)) is BroadcastStatus.DONE
    replies = await bot.send(COORDINATOR, "/broadcasts")
    assert "You have no broadcast" in texts(replies)[0]


async def test_cancel_a_running_broadcast(bot, sessions):
    await _people(bot, sessions)
    await _compose_to_confirm(bot)
    await bot.press(COORDINATOR, label="📢 Send now")
    progress = bot.last(COORDINATOR)
    await bot.send(COORDINATOR, "/calendar")  # the stop button works from anywhere
    await bot.press_data(COORDINATOR, progress.message_id, progress_data(progress))
    assert bot.answer() == "Stopped. 3 messages will not be sent."
    await jobs.run_due(bot.app)
    assert all(_received(bot, chat) == [] for chat in (*VILLAGERS, TEAM))
    shown = next(
        m for m in bot.api.bot_messages(COORDINATOR) if m.message_id == progress.message_id
    )
    assert "stopped" in shown.text and "Not sent, stopped: 3" in shown.text
    assert bot.last(COORDINATOR).text.startswith("⏹ Broadcast #")
    await bot.press_data(COORDINATOR, progress.message_id, progress_data(progress))
    assert bot.answer() == "This broadcast is already over."


def progress_data(message) -> str:
    return "bcx:" + message.text.split("#", 1)[1].split(":", 1)[0].split("<", 1)[0]


async def test_conversation_survives_a_restart(bot, sessions):
    await _people(bot, sessions)
    await bot.send(COORDINATOR, "/broadcast")
    await bot.send(COORDINATOR, "Nhắc lịch họp")
    await bot.restart()
    await bot.press(COORDINATOR, label="➡ Continue")
    replies = await bot.press(COORDINATOR, label="🗓 Later")
    assert "Type the day and the time" in texts(replies)[-1]


def _buttons(bot, chat: int) -> list[tuple[str, str]]:
    message = next(m for m in reversed(bot.api.bot_messages(chat)) if m.reply_markup)
    return [(b["text"], b["callback_data"]) for b in message.buttons()]


async def test_roles_are_ticked_and_unticked_in_the_order_chosen(bot, sessions):
    await _people(bot, sessions)
    await bot.send(COORDINATOR, "/broadcast")
    await bot.send(COORDINATOR, "Họp tổ truyền thông")
    replies = await bot.press(COORDINATOR, label="👥 Roles")
    assert texts(replies)[0].startswith("Who should receive it? Tap the roles")
    assert _buttons(bot, COORDINATOR) == [
        ("Village collaborator", "br:collaborator"),
        ("Community communication team member", "br:team_member"),
        ("Trusted address staff", "br:ta_staff"),
        ("Commune coordinator", "br:commune_coordinator"),
        ("Province coordinator", "br:province_coordinator"),
        ("✅ Done", "br:done"),
    ]
    for label in ("Commune coordinator", "Village collaborator", "Trusted address staff"):
        await bot.press(COORDINATOR, label=label)
    await bot.press(COORDINATOR, label="✓ Trusted address staff")  # taken back
    assert [label for label in bot.labels(COORDINATOR) if label.startswith("✓")] == [
        "✓ Village collaborator",
        "✓ Commune coordinator",
    ]
    roles = bot.last(COORDINATOR)
    replies = await bot.press_data(COORDINATOR, roles.message_id, "br:admin")  # forged
    assert texts(replies)[0].startswith("Who should receive it? Tap the roles")
    await bot.press(COORDINATOR, label="✅ Done")
    assert "Roles: Commune coordinator, Village collaborator" in bot.last(COORDINATOR).text
    assert "Recipients now: 2" in bot.last(COORDINATOR).text


async def test_weekdays_are_kept_in_order_and_one_is_needed(bot, sessions):
    await _people(bot, sessions)
    replies = await _weekly_from_25_november(bot, "Nhắc ghi sổ")
    assert replies == ["On which days of the week? Tap to choose, then Done."]
    assert _buttons(bot, COORDINATOR)[:3] == [("Mon", "bd:0"), ("Tue", "bd:1"), ("✓ Wed", "bd:2")]
    assert _buttons(bot, COORDINATOR)[-1] == ("✅ Done", "bd:done")
    await bot.press(COORDINATOR, label="✓ Wed")
    await bot.press(COORDINATOR, label="✅ Done")
    assert bot.answer() == "Choose at least one day of the week."
    days = bot.last(COORDINATOR)
    replies = await bot.press_data(COORDINATOR, days.message_id, "bd:7")  # forged
    assert texts(replies) == ["On which days of the week? Tap to choose, then Done."]
    for label in ("Fri", "Mon", "Wed"):
        await bot.press(COORDINATOR, label=label)
    await bot.press(COORDINATOR, label="✅ Done")
    replies = await bot.send(COORDINATOR, "4/12")
    assert "When: every Mon, Wed, Fri at 08:00" in texts(replies)[-1]

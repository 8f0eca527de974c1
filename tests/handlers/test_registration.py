from __future__ import annotations

from sqlalchemy import select

from scheduler import jobs
from storage.models import RegistrationRequest, Role, Unit, User, UserStatus
from tests.handlers.conftest import ADMIN, USER
from tests.harness import texts


async def _register_until_commune(bot) -> None:
    replies = await bot.send(USER, "/start")
    assert bot.labels(USER)[0] == "English"  # suggested from Telegram's language_code
    assert "Choose your language" in texts(replies)[0]
    await bot.press(USER, label="English")
    await bot.press(USER, label="Village collaborator")
    await bot.send(USER, "quang ngai")  # the full name: chosen, no list of one
    assert "commune" in bot.last(USER).text


async def test_full_registration_with_a_new_village_and_approval(bot, sessions):
    await _register_until_commune(bot)
    replies = await bot.send(USER, "tra bong")
    assert {"Xã Trà Bồng", "Xã Đông Trà Bồng", "Xã Tây Trà Bồng"} <= set(bot.labels(USER))
    await bot.press(USER, label="Xã Trà Bồng")
    replies = await bot.press(USER, label="➕ My village is not listed")
    assert "Type the name of your village" in texts(replies, USER)[-1]
    replies = await bot.send(USER, "Thôn Nước Nia")
    summary = texts(replies, USER)[-1]
    assert "Village collaborator" in summary
    assert "Thôn Nước Nia (new), Xã Trà Bồng, Quảng Ngãi" in summary

    replies = await bot.press(USER, label="✅ Send request")
    assert "has been sent" in texts(replies, USER)[-1]
    await jobs.sender_of(bot.app).drain()  # the request goes through the outbox
    to_admin = texts(bot.api.bot_messages(ADMIN))
    assert len(to_admin) == 1
    assert "Yêu cầu đăng ký mới" in to_admin[0]  # the admin reads Vietnamese

    await bot.press(ADMIN, label="✅ Duyệt")
    await jobs.sender_of(bot.app).drain()
    assert any("approved" in t for t in texts(bot.api.bot_messages(USER)))
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.telegram_id == USER))
        village = await session.get(Unit, user.unit_id)
    assert (user.status, user.role) == (UserStatus.ACTIVE, Role.COLLABORATOR)
    assert village.name == "Thôn Nước Nia"

    # A second tap on the same request is answered, not applied twice.
    async with sessions() as session:
        request_id = await session.scalar(select(RegistrationRequest.id))
    notice = next(m for m in bot.api.bot_messages(ADMIN) if "Yêu cầu" in (m.text or ""))
    assert notice.reply_markup is None  # the buttons are gone after the decision
    replies = await bot.press_data(ADMIN, notice.message_id, f"ap:{request_id}:n")
    assert replies == []
    assert bot.answer() == "Yêu cầu này đã được Admin xử lý."
    help_text = texts(await bot.send(USER, "/help"), USER)[0]
    assert "/invite" not in help_text
    assert "Village collaborator" in help_text


async def test_wrong_input_at_each_step_keeps_the_step(bot):
    await bot.send(USER, "/start")
    replies = await bot.send(USER, "hello")  # text where a button is expected
    assert texts(replies)[0] == "Please choose one of the buttons below."
    assert bot.labels(USER)[0] == "English"
    await bot.press(USER, label="English")
    replies = await bot.photo(USER)  # a photo where a button is expected
    assert texts(replies)[0] == "Please choose one of the buttons below."
    await bot.press(USER, label="Village collaborator")
    replies = await bot.send(USER, "/help")  # a command in the middle: answered, same step
    assert texts(replies)[0].startswith("What you can do here")
    assert "province" in texts(replies)[1]
    replies = await bot.send(USER, "/foo")  # one that does not fit here
    assert "finish this step" in texts(replies)[0]
    assert "province" in texts(replies)[1]
    # 5,000 characters reach a bot as two messages: Telegram splits at 4,096.
    for part in ("x" * 4096, "x" * 904):
        replies = await bot.send(USER, part)
        assert texts(replies)[0].startswith("No province matches “" + "x" * 60 + "”")
    replies = await bot.send(USER, "🙂🙂🙂")
    assert "No province" in texts(replies)[0]
    await bot.press(USER, label="Quảng Ngãi")
    replies = await bot.send(USER, "atlantis")
    assert "No commune in Quảng Ngãi matches “atlantis”" in texts(replies)[0]
    replies = await bot.photo(USER)
    assert texts(replies)[0] == "Please type your answer as text."
    # A forged button for a commune of another province is refused.
    last = bot.api.bot_messages(USER)[-1]
    replies = await bot.press_data(USER, last.message_id, "rc:1")
    assert "Type the name of your commune" in texts(replies)[-1]
    # Nothing was lost: the commune step still works.
    await bot.send(USER, "binh son")
    assert bot.labels(USER)[0] == "Xã Bình Sơn"


async def test_a_village_name_typed_that_is_not_listed_is_added_with_one_tap(bot):
    await _register_until_commune(bot)
    await bot.send(USER, "tra bong")
    await bot.press(USER, label="Xã Trà Bồng")
    replies = await bot.send(USER, "  Thôn   Nước Nia ")
    assert "No village with that name yet" in texts(replies)[0]
    assert bot.labels(USER) == ["➕ Add “Thôn Nước Nia”", "➕ My village is not listed"]
    replies = await bot.press(USER, label="➕ Add “Thôn Nước Nia”")
    assert "Thôn Nước Nia (new), Xã Trà Bồng, Quảng Ngãi" in texts(replies, USER)[-1]
    # a formula is never offered as a name
    await bot.press(USER, label="↺ Start over")
    await bot.press(USER, label="Village collaborator")
    await bot.send(USER, "quang ngai")
    await bot.send(USER, "tra bong")
    await bot.press(USER, label="Xã Trà Bồng")
    await bot.send(USER, "=HYPERLINK(1)")
    assert bot.labels(USER) == ["➕ My village is not listed"]


async def test_stale_button_from_an_earlier_step(bot):
    await bot.send(USER, "/start")
    first = bot.api.bot_messages(USER)[-1]
    await bot.press(USER, label="English")
    replies = await bot.press_data(USER, first.message_id, "rl:vi")
    # rl: is a language button; at the role step it is an earlier step's button
    assert "What is your role?" in texts(replies)[-1]
    assert "earlier step" in bot.answer()


async def test_registration_survives_a_restart(bot):
    await _register_until_commune(bot)
    await bot.restart()
    replies = await bot.send(USER, "tra bong")
    assert "Xã Trà Bồng" in bot.labels(USER)
    assert "Which one is yours?" in texts(replies)[0]


async def test_cancel_leaves_and_unknown_command(bot):
    await bot.send(USER, "/start")
    replies = await bot.send(USER, "/cancel")
    assert "Cancelled" in texts(replies)[0]
    replies = await bot.send(USER, "hello")
    assert "not waiting for a message" in texts(replies)[0]
    replies = await bot.send(USER, "/frobnicate")
    assert "do not know that command" in texts(replies)[0]
    replies = await bot.send(USER, "/cancel")
    assert "nothing to cancel" in texts(replies)[0]


async def test_language_switch(bot):
    await bot.send(USER, "/language")
    replies = await bot.press(USER, label="Tiếng Việt")
    assert texts(replies)[-1].startswith("Đã đổi ngôn ngữ")
    replies = await bot.send(USER, "/help")
    assert "Bot có thể giúp gì" in texts(replies)[0] or "Bạn có thể làm gì" in texts(replies)[0]


async def test_commands_menu_in_both_languages(bot):
    vi = bot.api.commands(language_code="vi")
    en = bot.api.commands(language_code="en")
    assert {c["command"] for c in vi} == {c["command"] for c in en} >= {"start", "help", "language"}
    assert [c["description"] for c in en if c["command"] == "help"] == [
        "What this bot can do for you"
    ]

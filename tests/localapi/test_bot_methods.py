"""The bot side of the local Bot API, driven by a real PTB ``telegram.Bot``."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot, BotCommand
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.localapi import Limits, LocalBotApi, SentMessage

from .conftest import TOKEN, USER
from .helpers import keyboard, tiny_png

pytestmark = pytest.mark.asyncio


async def test_get_me_identifies_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == "binhdang_bot"
    assert bot.id == me.id


async def test_send_edit_delete(api: LocalBotApi, bot: Bot) -> None:
    sent = await bot.send_message(
        USER, "<b>Xin chào</b> bạn", parse_mode="HTML", protect_content=True
    )
    assert sent.text == "Xin chào bạn"
    assert sent.entities[0].type == "bold"
    assert sent.entities[0].length == len("Xin chào")
    assert sent.has_protected_content
    assert sent.from_user is not None
    assert sent.from_user.id == bot.id

    stored = api.bot_messages(USER)
    assert [m.text for m in stored] == ["Xin chào bạn"]
    assert stored[0].html == "<b>Xin chào</b> bạn"
    assert stored[0].protect_content

    markup = keyboard([("OK", "ok")])
    edited = await bot.edit_message_text(
        "Tạm biệt", chat_id=USER, message_id=sent.message_id, reply_markup=markup
    )
    assert isinstance(edited, type(sent))
    assert edited.text == "Tạm biệt"
    assert edited.edit_date is not None
    current = api.bot_messages(USER)[0]
    assert current.edited_count == 1
    assert current.reply_markup == [[{"text": "OK", "callback_data": "ok"}]]

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Tạm biệt", chat_id=USER, message_id=sent.message_id, reply_markup=markup
        )
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=None)
    assert api.bot_messages(USER)[0].reply_markup is None

    assert await bot.delete_message(USER, sent.message_id)
    assert api.messages(USER) == []
    assert api.messages(USER, include_deleted=True)[0].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)


async def test_text_length_limits(api: LocalBotApi, bot: Bot) -> None:
    ok = await bot.send_message(USER, "a" * 4096)
    assert len(ok.text or "") == 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(USER, tiny_png(), caption="c" * 1025)
    assert len(api.bot_messages(USER)) == 1


async def test_html_must_be_balanced(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "<b>bold <i>both</b></i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Unsupported start tag"):
        await bot.send_message(USER, "<div>x</div>", parse_mode="HTML")
    sent = await bot.send_message(
        USER, "1 &lt; 2 <a href='https://x.org'>link</a>", parse_mode="HTML"
    )
    assert sent.text == "1 < 2 link"
    assert sent.entities[0].url == "https://x.org"


async def test_callback_data_limit(bot: Bot) -> None:
    sent = await bot.send_message(USER, "ok", reply_markup=keyboard([("é", "é" * 32)]))
    assert sent.text == "ok"  # accepted (the aiohttp client drops answers' keyboards: bot/http.py)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "bad", reply_markup=keyboard([("x", "x" * 65)]))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "bad", reply_markup=keyboard([("x", "é" * 32 + "a")]))


async def test_blocked_user_and_unknown_chat(api: LocalBotApi, bot: Bot) -> None:
    api.block(USER)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(USER, "hello?")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(987654, "who?")
    api.block(USER, blocked=False)
    assert (await bot.send_message(USER, "back")).text == "back"
    outcomes = [r.outcome for r in api.log if r.method == "sendMessage"]
    assert outcomes == ["403", "4xx", "ok"]


async def test_per_chat_rate_limit_gives_retry_after() -> None:
    async with (
        LocalBotApi(Limits(per_chat_per_s=0.1)) as api,
        Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as bot,
    ):
        api.add_user(1)
        api.add_user(2)
        await bot.send_message(1, "first")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(1, "second")
        retry_after = caught.value.retry_after
        seconds = (
            retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else retry_after
        )
        assert seconds >= 1
        assert (await bot.send_message(2, "other chat")).text == "other chat"
        assert (await bot.get_me()).is_bot  # not rate limited
        sends = [r for r in api.log if r.is_send]
        assert [r.outcome for r in sends] == ["ok", "429", "ok"]
        assert sends[1].retry_after is not None
        assert sends[1].retry_after >= 1
        assert len(api.bot_messages(1)) == 1


async def test_global_rate_limit() -> None:
    async with (
        LocalBotApi(Limits(global_per_s=0.1)) as api,
        Bot(TOKEN, base_url=api.base_url) as bot,
    ):
        api.add_user(1)
        api.add_user(2)
        await bot.send_message(1, "first")
        with pytest.raises(RetryAfter):
            await bot.send_message(2, "second")


async def test_server_errors_are_injected() -> None:
    async with (
        LocalBotApi(Limits(server_error_rate=1.0)) as api,
        Bot(TOKEN, base_url=api.base_url) as bot,
    ):
        api.add_user(USER)
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await bot.send_message(USER, "lost")
        assert api.bot_messages(USER) == []
        assert api.log[-1].status == 502
        assert api.log[-1].outcome == "5xx"


async def test_photo_upload_and_download(api: LocalBotApi, bot: Bot) -> None:
    png = tiny_png(3, 2)
    sent = await bot.send_photo(USER, png, caption="<i>ảnh</i>", parse_mode="HTML")
    assert sent.caption == "ảnh"
    photo = sent.photo[-1]
    assert (photo.width, photo.height) == (3, 2)
    file = await bot.get_file(photo.file_id)
    assert bytes(await file.download_as_bytearray()) == png
    stored = api.bot_messages(USER)[0]
    assert stored.kind == "photo"
    assert stored.file_id == photo.file_id
    # resending by file_id reuses the stored file
    again = await bot.send_photo(USER, photo.file_id)
    assert again.photo[-1].file_unique_id == photo.file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(USER, "no-such-file-id")


async def test_document_voice_location(api: LocalBotApi, bot: Bot) -> None:
    doc = await bot.send_document(USER, b"a,b\n1,2\n", filename="data.csv")
    assert doc.document is not None
    assert doc.document.file_name == "data.csv"
    voice = await bot.send_voice(USER, b"OggS-fake", duration=3)
    assert voice.voice is not None
    assert voice.voice.mime_type == "audio/ogg"
    assert voice.voice.file_size == len(b"OggS-fake")
    assert voice.api_kwargs == {}
    loc = await bot.send_location(USER, 21.03, 105.85)
    assert loc.location is not None
    assert loc.location.latitude == pytest.approx(21.03)
    assert [m.kind for m in api.bot_messages(USER)] == ["document", "voice", "location"]
    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"


async def test_commands_per_language(api: LocalBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")], language_code="vi")
    await bot.set_my_commands([BotCommand("start", "Start")])
    assert api.commands("vi") == [{"command": "start", "description": "Bắt đầu"}]
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_hook_and_wait_for_bot_message(api: LocalBotApi, bot: Bot) -> None:
    seen: list[SentMessage] = []
    api.on_bot_message = seen.append
    before = api.bot_message_count(USER)
    sent = await bot.send_message(USER, "one")
    await bot.edit_message_text("two", chat_id=USER, message_id=sent.message_id)
    first = await api.wait_for_bot_message(USER, before, timeout=2)
    assert first.message_id == sent.message_id
    assert [(m.text, m.edited_count) for m in seen] == [("one", 0), ("two", 1)]
    with pytest.raises(TimeoutError):
        await api.wait_for_bot_message(USER, before + 1, timeout=0.05)


async def test_menu_buttons_and_web_app_buttons_need_https(api: LocalBotApi, bot: Bot) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo

    with pytest.raises(BadRequest, match=r"(?i)web_app_url_invalid"):
        await bot.set_chat_menu_button(
            chat_id=USER, menu_button=MenuButtonWebApp("App", WebAppInfo("http://x.org/app/"))
        )
    await bot.set_chat_menu_button(
        chat_id=USER, menu_button=MenuButtonWebApp("App", WebAppInfo("https://x.org/app/"))
    )
    found = await bot.get_chat_menu_button(chat_id=USER)
    assert isinstance(found, MenuButtonWebApp) and found.web_app.url == "https://x.org/app/"
    assert api.world.menu_buttons[USER]["text"] == "App"
    plain = InlineKeyboardMarkup([[InlineKeyboardButton("App", web_app=WebAppInfo("http://x"))]])
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.send_message(USER, "open", reply_markup=plain)

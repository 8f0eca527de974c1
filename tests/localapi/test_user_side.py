"""The simulated user's side: text, buttons, media, blocking, long polling."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.localapi import LocalBotApi

from .conftest import USER
from .helpers import keyboard, tiny_png

pytestmark = pytest.mark.asyncio


async def test_command_gets_bot_command_entity(api: LocalBotApi, bot: Bot) -> None:
    update_id = await api.send_text(USER, "/start abc")
    (update,) = await bot.get_updates(timeout=0)
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "/start abc"
    (entity,) = update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "vi"

    await api.send_text(USER, "chào /start")
    (_old, plain) = await bot.get_updates(timeout=0)
    assert plain.message is not None
    assert plain.message.entities == ()


async def test_offset_confirms_updates(api: LocalBotApi, bot: Bot) -> None:
    first = await api.send_text(USER, "one")
    second = await api.send_text(USER, "two")
    assert second == first + 1
    assert api.pending_updates() == 2
    updates = await bot.get_updates(offset=second, timeout=0)
    assert [u.update_id for u in updates] == [second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()
    assert api.pending_updates() == 0


async def test_long_poll_returns_when_update_arrives(api: LocalBotApi, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0.2)
    assert not poll.done()  # the request is being held
    await api.send_text(USER, "hello")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert time.monotonic() - started < 10


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.5) == ()  # type: ignore[arg-type]
    assert time.monotonic() - started >= 0.4


async def test_press_button_by_index_and_label(api: LocalBotApi, bot: Bot) -> None:
    markup = keyboard([("Có", "yes"), ("Không", "no")], [("Bỏ qua", "skip")])
    sent = await bot.send_message(USER, "Tiếp tục?", reply_markup=markup)
    await bot.send_message(USER, "no keyboard here")

    by_label = await api.press_button(USER, label="Không")
    by_index = await api.press_button(USER, index=3)
    updates = await bot.get_updates(timeout=0)
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.data for q in queries] == ["no", "skip"]
    assert [u.update_id for u in updates] == [by_label, by_index]
    assert queries[0].message is not None
    assert queries[0].message.message_id == sent.message_id

    await queries[0].answer("Đã lưu", show_alert=True)
    answer = api.answers_for(queries[0].id)
    assert answer is not None
    assert (answer.text, answer.show_alert) == ("Đã lưu", True)
    assert api.answers_for(by_index) is None  # not answered yet, looked up by update_id

    with pytest.raises(LookupError, match="no button"):
        await api.press_button(USER, label="Missing")
    with pytest.raises(LookupError, match="out of range"):
        await api.press_button(USER, index=4)


async def test_press_uses_current_markup_and_skips_deleted(api: LocalBotApi, bot: Bot) -> None:
    old = await bot.send_message(USER, "old", reply_markup=keyboard([("Old", "old")]))
    new = await bot.send_message(USER, "new", reply_markup=keyboard([("A", "a")]))
    await bot.edit_message_reply_markup(USER, new.message_id, reply_markup=keyboard([("B", "b")]))
    await api.press_button(USER, index=1)
    await bot.delete_message(USER, new.message_id)
    await api.press_button(USER, index=1)
    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query.data for u in updates if u.callback_query] == ["b", "old"]
    await bot.delete_message(USER, old.message_id)
    with pytest.raises(LookupError, match="inline keyboard"):
        await api.press_button(USER, index=1)


async def test_url_button_cannot_be_pressed(api: LocalBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Web", url="https://example.org")]])
    await bot.send_message(USER, "link", reply_markup=markup)
    with pytest.raises(ValueError, match="no callback_data"):
        await api.press_button(USER, label="Web")


async def test_user_media_can_be_downloaded(api: LocalBotApi, bot: Bot) -> None:
    png = tiny_png()
    await api.send_photo(USER, png, caption="bằng chứng")
    await api.send_voice(USER, b"OggS voice", duration=4)
    await api.send_document(USER, b"%PDF-1.4", "report.pdf")
    await api.send_location(USER, 10.78, 106.7)
    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message]
    assert len(messages) == 4
    photo, voice, document, location = messages
    assert photo.caption == "bằng chứng"
    assert voice.voice is not None
    assert document.document is not None
    assert document.document.mime_type == "application/pdf"
    assert location.location is not None
    assert location.location.longitude == pytest.approx(106.7)
    downloads = []
    for file_id in (photo.photo[-1].file_id, voice.voice.file_id, document.document.file_id):
        file = await bot.get_file(file_id)
        downloads.append(bytes(await file.download_as_bytearray()))
    assert downloads == [png, b"OggS voice", b"%PDF-1.4"]
    assert [m.kind for m in api.messages(USER)] == ["photo", "voice", "document", "location"]
    assert not any(m.from_bot for m in api.messages(USER))


async def test_bot_deletes_both_sides(api: LocalBotApi, bot: Bot) -> None:
    await api.send_text(USER, "bí mật")
    reply = await bot.send_message(USER, "đã nhận")
    mine = api.messages(USER)
    assert [(m.from_bot, m.text) for m in mine] == [(False, "bí mật"), (True, "đã nhận")]
    assert await bot.delete_messages(USER, [m.message_id for m in mine])
    assert api.messages(USER) == []
    assert api.bot_messages(USER, include_deleted=True)[0].message_id == reply.message_id


async def test_block_queues_member_update_and_user_restart_unblocks(
    api: LocalBotApi, bot: Bot
) -> None:
    api.block(USER)
    await api.send_text(USER, "/start")
    updates = await bot.get_updates(timeout=0)
    statuses = [
        u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member is not None
    ]
    assert statuses == ["kicked", "member"]
    assert (await bot.send_message(USER, "welcome back")).text == "welcome back"


async def test_invalid_user_actions_raise(api: LocalBotApi) -> None:
    with pytest.raises(LookupError, match="no bot message"):
        await api.press(USER, 12345, "x")
    with pytest.raises(ValueError, match="empty or over-long"):
        await api.send_text(USER, " ")
    with pytest.raises(ValueError, match="exactly one"):
        await api.press_button(USER)
    assert api.pending_updates() == 0


async def test_stop_releases_pending_long_poll() -> None:
    api = await LocalBotApi().start()
    async with Bot("1:x", base_url=api.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        assert not poll.done()
        started = time.monotonic()
        await asyncio.wait_for(api.stop(), timeout=5)
        (result,) = await asyncio.wait_for(asyncio.gather(poll, return_exceptions=True), 5)
        assert result == () or isinstance(result, Exception)
        assert time.monotonic() - started < 5

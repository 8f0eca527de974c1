"""Raw HTTP behaviour, control endpoints, and a full PTB Application round trip."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import Bot, Update
from telegram.error import Forbidden
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.localapi import LocalBotApi

from .conftest import TOKEN, USER
from .helpers import keyboard

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def http(api: LocalBotApi) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=5) as client:
        yield client


async def test_unknown_method_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/bot{TOKEN}/sendTelepathy")
    assert response.status_code == 404
    assert response.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }


async def test_json_form_and_query_encodings(api: LocalBotApi, http: httpx.AsyncClient) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    as_json = await http.post(
        f"/bot{TOKEN}/sendMessage", json={"chat_id": USER, "text": "json", "reply_markup": markup}
    )
    assert as_json.status_code == 200
    assert as_json.json()["result"]["reply_markup"] == markup
    as_form = await http.post(
        f"/bot{TOKEN}/sendMessage",
        data={"chat_id": str(USER), "text": "form", "reply_markup": json.dumps(markup)},
    )
    assert as_form.json()["ok"] is True
    as_query = await http.get(f"/bot{TOKEN}/sendMessage", params={"chat_id": USER, "text": "q"})
    assert as_query.json()["result"]["text"] == "q"
    bad = await http.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": USER, "text": ""})
    assert bad.status_code == 400
    assert bad.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }
    assert [m.text for m in api.bot_messages(USER)] == ["json", "form", "q"]
    assert api.bot_messages(USER)[1].reply_markup == markup["inline_keyboard"]


async def test_control_endpoints(api: LocalBotApi, bot: Bot, http: httpx.AsyncClient) -> None:
    response = await http.post(f"/_control/users/{USER}/text", json={"text": "/start"})
    assert response.status_code == 200
    update_id = response.json()["result"]["update_id"]
    (update,) = await bot.get_updates(timeout=0)
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "/start"

    sent = await bot.send_message(USER, "Chọn", reply_markup=keyboard([("A", "a"), ("B", "b")]))
    for body in ({"label": "B"}, {"index": 1}, {"message_id": sent.message_id, "data": "raw"}):
        pressed = await http.post(f"/_control/users/{USER}/press", json=body)
        assert pressed.status_code == 200, pressed.text
    missing = await http.post(f"/_control/users/{USER}/press", json={"label": "Z"})
    assert missing.status_code == 404
    assert "no button" in missing.json()["description"]
    updates = await bot.get_updates(offset=update_id + 1, timeout=0)
    assert [u.callback_query.data for u in updates if u.callback_query] == ["b", "a", "raw"]

    listing = await http.get(f"/_control/chats/{USER}/messages")
    rows = listing.json()
    assert [(row["from_bot"], row["text"]) for row in rows] == [(False, "/start"), (True, "Chọn")]
    assert rows[1]["reply_markup"][0][1] == {"text": "B", "callback_data": "b"}

    blocked = await http.post(f"/_control/users/{USER}/block", json={})
    assert blocked.json() == {"ok": True, "result": True}
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "still there?")

    log = (await http.get("/_control/log")).json()
    assert log[-1]["method"] == "sendMessage"
    assert log[-1]["outcome"] == "403"


async def test_application_round_trip(api: LocalBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(
            "echo " + " ".join(context.args or []), reply_markup=keyboard([("OK", "ok")])
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("saved")
        await query.edit_message_text(f"pressed {query.data}")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            before = api.bot_message_count(USER)
            await api.send_text(USER, "/start xin chao")
            reply = await api.wait_for_bot_message(USER, before, timeout=5)
            assert reply.text == "echo xin chao"
            update_id = await api.press_button(USER, label="OK")
            await api.wait_until(lambda: api.bot_messages(USER)[-1].text == "pressed ok", timeout=5)
            answer = api.answers_for(update_id)
            assert answer is not None
            assert answer.text == "saved"
        finally:
            await app.updater.stop()
            await app.stop()
    assert any(r.method == "getUpdates" for r in api.log)

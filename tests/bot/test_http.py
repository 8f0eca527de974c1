"""The bot's HTTP client (bot/http.py): errors become PTB's errors, so that the
sender's retry and back-off rules apply to it as they did to httpx."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.http import AiohttpRequest
from bot.localapi import Limits, LocalBotApi

TOKEN = "123456:http-test"


@pytest_asyncio.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def _answer_true(writer: asyncio.StreamWriter) -> None:
    """The Bot API's answer ``true``, and the connection closed."""
    body = b'{"ok": true, "result": true}'
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )
    await writer.drain()
    writer.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_server_that_does_not_answer_is_a_timeout(silent_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{silent_server}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{_free_port()}/bot{TOKEN}/getMe")
        assert not isinstance(raised.value, TimedOut)
        assert "aiohttp" in str(raised.value)
    finally:
        await request.shutdown()


async def test_fields_arrive_as_sent() -> None:
    async with LocalBotApi() as api:
        api.add_user(7, first_name="Lan")
        request = AiohttpRequest()
        await request.initialize()
        try:
            data = RequestData(
                [
                    RequestParameter.from_input("chat_id", 7),
                    RequestParameter.from_input("text", "Xin chào & <b>bạn</b> 🌸"),
                ]
            )
            await request.post(f"{api.base_url}{TOKEN}/sendMessage", data)
        finally:
            await request.shutdown()
        assert [m.text for m in api.bot_messages(7)] == ["Xin chào & <b>bạn</b> 🌸"]


async def test_a_request_without_files_is_json_with_its_values_typed() -> None:
    """Not a form, which escapes Vietnamese text byte by byte, in Python."""
    seen: list[bytes] = []

    async def server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        seen.extend([head, await reader.readexactly(length)])
        await _answer_true(writer)

    listening = await asyncio.start_server(server, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        data = RequestData(
            [
                RequestParameter.from_input("chat_id", 7),
                RequestParameter.from_input("text", "Bạo lực gia đình"),
                RequestParameter.from_input(
                    "reply_markup",
                    InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="y")]]),
                ),
            ]
        )
        assert await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage", data)
    finally:
        await request.shutdown()
        listening.close()
        await listening.wait_closed()
    head, body = seen
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body) == {
        "chat_id": 7,
        "text": "Bạo lực gia đình",
        "reply_markup": {"inline_keyboard": [[{"text": "Có", "callback_data": "y"}]]},
    }


async def test_flood_control_reaches_the_sender_as_retry_after() -> None:
    limits = Limits.telegram(per_chat_per_s=1.0)
    async with LocalBotApi(limits=limits) as api:
        api.add_user(7, first_name="Lan")
        async with Bot(
            TOKEN,
            base_url=api.base_url,
            request=AiohttpRequest(),
            get_updates_request=AiohttpRequest(),
        ) as bot:
            await bot.send_message(7, "một")
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(7, "hai")
        assert int(raised.value.retry_after) >= 1  # type: ignore[arg-type]


async def test_requests_before_initialize_are_refused() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:1/", "POST")


async def test_the_proxy_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from HTTP_PROXY gets the request; NO_PROXY hosts are reached directly."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readline())
        while (await reader.readline()).strip():
            pass
        await _answer_true(writer)

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    request = AiohttpRequest()
    await request.initialize()
    try:
        assert await request.post(f"http://api.example.invalid/bot{TOKEN}/close") is True
        assert seen == [f"POST http://api.example.invalid/bot{TOKEN}/close HTTP/1.1\r\n".encode()]
        with pytest.raises(NetworkError):  # 127.0.0.1 is in NO_PROXY: no proxy, nobody there
            await request.post(f"http://127.0.0.1:{_free_port()}/bot{TOKEN}/close")
        assert len(seen) == 1
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()

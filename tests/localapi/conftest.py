"""Fixtures for the local Bot API tests: a running server and a PTB Bot bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from telegram import Bot

from bot.http import AiohttpRequest
from bot.localapi import LocalBotApi

TOKEN = "123456:local-test-token"
USER = 42


@pytest_asyncio.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        server.add_user(USER, first_name="Lan", language_code="vi")
        yield server


@pytest_asyncio.fixture(params=["aiohttp", "httpx"])
async def bot(api: LocalBotApi, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """A PTB Bot on the bot's own HTTP client (bot/http.py) and on PTB's default."""
    clients: dict[str, Any] = {}
    if request.param == "aiohttp":
        clients = {"request": AiohttpRequest(), "get_updates_request": AiohttpRequest()}
    async with Bot(
        TOKEN, base_url=api.base_url, base_file_url=api.base_file_url, **clients
    ) as client:
        yield client

"""Fixtures for the local Bot API tests: a running server and a PTB Bot bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from telegram import Bot

from bot.localapi import LocalBotApi

TOKEN = "123456:local-test-token"
USER = 42


@pytest_asyncio.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        server.add_user(USER, first_name="Lan", language_code="vi")
        yield server


@pytest_asyncio.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client

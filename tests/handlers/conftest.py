from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import BotHarness

ADMIN = 1
USER = 1001


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN])
    harness.api.add_user(ADMIN, first_name="Admin", language_code="vi")
    harness.api.add_user(USER, first_name="Lan", language_code="en")
    async with harness:
        yield harness

"""Issue 13, confidentiality: nothing of a report in the logs at any level,
nothing at rest that links an anonymous report to its reporter, and a receipt
that names no report."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.handlers.report_helpers import (
    ADMIN,
    REPORTER,
    SECRET,
    STAFF_A,
    deliver,
    file_report,
    setup_world,
)
from tests.harness import BotHarness

DESCRIPTION = "Chồng chị Thuý đánh chị ấy tối qua gần trường"
PHONE = "0905 123 456"


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN], secret_key=SECRET)
    harness.api.add_user(ADMIN, first_name="Admin", language_code="en")
    harness.api.add_user(
        REPORTER, first_name="Phương Nguyễn", language_code="en", username="phuong_ng"
    )
    async with harness:
        yield harness


async def test_a_report_at_debug_leaves_no_text_or_identity_in_the_logs(bot, caplog):
    await setup_world(bot)
    caplog.set_level(logging.DEBUG)
    said = await file_report(
        bot,
        details=DESCRIPTION,
        contact="📞 Give a phone number",
        phone=PHONE,
        consent=True,
    )
    assert "BD-" in said[0]
    await deliver(bot)
    await bot.press(STAFF_A, label="📄 Open")
    await deliver(bot)
    logged = caplog.text
    assert "Calling Bot API endpoint" in logged  # PTB did log at DEBUG
    for secret in (
        DESCRIPTION,
        "Thuý",
        PHONE,
        "905123456",
        "905 123 456",
        "Phương",
        "Nguyễn",
        "phuong_ng",
        SECRET,
    ):
        assert secret not in logged, secret

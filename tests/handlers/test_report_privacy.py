"""Issue 13, confidentiality: nothing of a report in the logs at any level,
nothing at rest that links an anonymous report to its reporter, and a receipt
that names no report."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import time

import pytest
from sqlalchemy import select

from storage.models import Incident, PersistedState, User
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


async def test_an_anonymous_report_by_a_visitor_leaves_nothing_tied_to_her_id(bot):
    await setup_world(bot)
    said = await file_report(bot)
    assert "BD-" in said[0]
    assert bot.app is not None
    await bot.app.update_persistence()
    async with bot.services.sessions() as session:
        row = await session.scalar(select(User).where(User.telegram_id == REPORTER))
        states = list((await session.scalars(select(PersistedState))).all())
        (incident,) = (await session.scalars(select(Incident))).all()
    assert row is None  # /report created no users row
    assert incident.reporter_enc is None and incident.phone_enc is None
    mine = [s for s in states if str(REPORTER) in s.key]
    # The conversation's state is gone, and no draft of the report is kept.
    assert not [s for s in mine if s.namespace.startswith("conv:")]
    assert all("report" not in s.data for s in mine)
    assert mine and all(s.updated_at.time() == time(0) for s in mine)
    # A later visit makes the visitor's row; its times say only the day.
    await bot.send(REPORTER, "/help")
    async with bot.services.sessions() as session:
        row = await session.scalar(select(User).where(User.telegram_id == REPORTER))
    assert row is not None and row.created_at.time() == row.updated_at.time() == time(0)

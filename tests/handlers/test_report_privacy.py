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
from tests.harness import BotHarness, texts

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


FORBIDDEN = ("report", "violence", "incident", "báo", "bạo lực", "vụ việc", "tố giác")


@pytest.mark.parametrize("language", ["en", "vi"])
async def test_the_receipt_names_no_report_and_clears_the_hotline_lookup(bot, language):
    await setup_world(bot)
    bot.api.add_user(REPORTER, first_name="Phương", language_code=language)
    # The same visit: numbers and addresses looked up, a location shared.
    await bot.send(REPORTER, "/hotline")
    update_id = await bot.api.send_location(REPORTER, 15.26, 108.51)
    await bot.app.wait_processed(update_id)
    assert len(bot.api.messages(REPORTER)) >= 4  # /hotline, numbers, question, location, addresses
    if language == "vi":
        said = await _file_report_in_vietnamese(bot)
    else:
        said = await file_report(bot)
    (receipt,) = bot.api.messages(REPORTER)[-1:]
    assert receipt.text == said[-1] and "BD-" in receipt.text
    assert not [w for w in FORBIDDEN if w in receipt.text.lower()]
    (label,) = bot.labels(REPORTER)
    assert not [w for w in FORBIDDEN if w in label.lower()]
    # One tap erases the lookup and the location too; only the receipt stays.
    await bot.press(REPORTER, label=label)
    left = bot.api.messages(REPORTER)
    assert [m.message_id for m in left] == [receipt.message_id]
    assert bot.labels(REPORTER) == []
    async with bot.services.sessions() as session:
        assert await session.scalar(select(User).where(User.telegram_id == REPORTER)) is not None
        # The row is the /hotline visit's (before the report), never /report's.


async def _file_report_in_vietnamese(bot) -> list[str]:
    user = REPORTER
    await bot.send(user, "/report")
    await bot.press(user, label="Không")
    await bot.press(user, label="Bạo lực gia đình")
    await bot.press(user, label="Phụ nữ")
    await bot.press(user, label="Xong ➜")
    await bot.send(user, "tra bong")
    await bot.press(user, label="Xã Trà Bồng — Quảng Ngãi")
    await bot.press(user, label="Hôm nay")
    await bot.send(user, DESCRIPTION)
    await bot.press(user, label="Xong ➜")
    await bot.press(user, label="🙈 Giữ ẩn danh")
    return texts(await bot.press(user, label="✅ Gửi tin báo"), user)


async def test_no_offer_to_clear_without_a_lookup_before(bot):
    await setup_world(bot)
    await file_report(bot)
    assert bot.labels(REPORTER) == []


async def test_an_error_logs_the_update_id_not_the_update(bot, caplog, monkeypatch):
    await setup_world(bot)
    from handlers.report import conversation

    async def broken(*args, **kwargs):
        raise RuntimeError("storage exploded")

    monkeypatch.setattr(conversation.incidents, "submit", broken)
    caplog.set_level(logging.INFO)
    said = await file_report(bot, details=DESCRIPTION)
    assert any("went wrong" in text for text in said)
    assert "unhandled error for update" in caplog.text and "storage exploded" in caplog.text
    for secret in ("Phương", "phuong_ng", DESCRIPTION):
        assert secret not in caplog.text, secret

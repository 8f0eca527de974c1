"""A /report left half-way: after ``BINHDANG_REPORT_DRAFT_MINUTES`` without
input, both sides are erased from the reporter's chat, the draft and the
conversation state are forgotten, and nothing is said."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.settings import Settings
from scheduler import jobs
from storage.models import PersistedState
from tests.handlers.report_helpers import (
    REPORTER,
    SECRET,
    file_report,
    incidents_in_db,
    setup_world,
)
from tests.harness import BotHarness, texts

NOT_WAITING = "I am not waiting for a message right now. Send /help to see what you can do."


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, secret_key=SECRET)
    harness.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    async with harness:
        yield harness


async def stop_at_step_two(bot: BotHarness) -> None:
    """/report, "No" to danger, then a typed answer where a button is expected."""
    await bot.send(REPORTER, "/report")
    await bot.press(REPORTER, label="No")
    replies = await bot.send(REPORTER, "my husband")
    assert "What happened?" in texts(replies)


def on_screen(bot: BotHarness) -> list[str]:
    return [m.text or "" for m in bot.api.messages(REPORTER)]


async def persisted(bot: BotHarness, namespace: str) -> list[PersistedState]:
    async with bot.services.sessions() as session:
        rows = await session.scalars(
            select(PersistedState).where(
                PersistedState.namespace == namespace, PersistedState.key.contains(str(REPORTER))
            )
        )
        return list(rows)


async def test_an_abandoned_draft_is_erased_across_a_restart(bot):
    await stop_at_step_two(bot)
    shown = on_screen(bot)
    assert "/report" in shown and "my husband" in shown and "What happened?" in shown
    bot.clock.now += timedelta(minutes=29)
    await jobs.run_due(bot.app)
    assert on_screen(bot) == shown  # not yet
    # The bot is down while the deadline passes, then comes back.
    bot.clock.now += timedelta(minutes=2)
    await bot.restart()
    assert bot.app.user_data[REPORTER]["report"]["step"] == "KIND"  # the draft was kept
    sent_before = len(bot.seen)
    await jobs.run_due(bot.app)

    everything = bot.api.messages(REPORTER, include_deleted=True)
    assert len(everything) >= 6 and on_screen(bot) == []  # both sides gone
    assert {m.from_bot for m in everything} == {True, False}
    assert bot.seen[sent_before:] == []  # and not a word about it
    assert "report" not in bot.app.user_data[REPORTER]

    # What is forgotten stays forgotten after another restart.
    await bot.restart()
    assert "report" not in bot.app.user_data[REPORTER]
    assert await persisted(bot, "conv:report") == []
    (user_row,) = await persisted(bot, "user")
    assert "report" not in user_row.data
    # The next text is not taken as the answer to the old question.
    assert texts(await bot.send(REPORTER, "Domestic violence")) == [NOT_WAITING]
    assert await incidents_in_db(bot) == []


async def test_the_deadline_counts_from_the_last_input(bot):
    await stop_at_step_two(bot)
    bot.clock.now += timedelta(minutes=20)
    await bot.press(REPORTER, label="Domestic violence")  # a button is input too
    bot.clock.now += timedelta(minutes=20)  # 40 since the start, 20 since the last input
    await jobs.run_due(bot.app)
    assert "Who is affected? Choose one or more, then tap Done." in on_screen(bot)
    assert bot.app.user_data[REPORTER]["report"]["kind"] == "domestic_violence"
    replies = await bot.press(REPORTER, label="Woman")
    assert replies == [] and "✅ Woman" in bot.labels(REPORTER)  # the step goes on

    bot.clock.now += timedelta(minutes=30)
    await jobs.run_due(bot.app)
    assert on_screen(bot) == []
    assert texts(await bot.send(REPORTER, "tra bong")) == [NOT_WAITING]


async def test_a_new_report_after_the_erasure_starts_afresh(bot):
    await stop_at_step_two(bot)
    bot.clock.now += timedelta(hours=1)
    await jobs.run_due(bot.app)
    replies = await bot.send(REPORTER, "/report")
    assert "Is someone in danger right now?" in texts(replies)
    draft = bot.app.user_data[REPORTER]["report"]
    assert draft["step"] == "DANGER" and "kind" not in draft
    assert draft["seen"] == bot.clock().timestamp() and draft["chat"] == REPORTER


async def test_a_submitted_report_is_left_alone(bot):
    await setup_world(bot)
    said = await file_report(bot)
    assert "Your code: BD-" in said[0]
    bot.clock.now += timedelta(hours=2)
    await jobs.run_due(bot.app)
    assert on_screen(bot) == said  # the receipt stays
    assert len(await incidents_in_db(bot)) == 1


async def test_the_setting_sets_the_deadline(engine, sessions):
    harness = BotHarness(engine, sessions, secret_key=SECRET, report_draft_minutes=10)
    harness.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    async with harness:
        await stop_at_step_two(harness)
        harness.clock.now += timedelta(minutes=9)
        await jobs.run_due(harness.app)
        assert on_screen(harness) != []
        harness.clock.now += timedelta(minutes=1)
        await jobs.run_due(harness.app)
        assert on_screen(harness) == []


@pytest.mark.parametrize("minutes", [4, 1441])
def test_the_setting_is_bounded(minutes):
    with pytest.raises(ValidationError, match="report_draft_minutes"):
        Settings(_env_file=None, report_draft_minutes=minutes)
    assert Settings(_env_file=None).report_draft_minutes == 30


async def test_a_report_whose_erasure_failed_is_erased_by_the_next_check(bot, monkeypatch):
    from telegram.error import TimedOut

    from handlers.report import discreet
    from storage.models import DiscreetErasure

    await setup_world(bot)

    async def unreachable(*args: object, **kwargs: object) -> bool:
        raise TimedOut("Telegram did not answer")

    async def no_wait(_seconds: float) -> None:
        return None

    monkeypatch.setattr(type(bot.app.bot), "delete_messages", unreachable)
    monkeypatch.setattr(discreet.asyncio, "sleep", no_wait)
    said = await file_report(bot)
    assert "Your code: BD-" in said[0]
    assert "He hit her again last night, near the school." in on_screen(bot)  # still there
    monkeypatch.undo()  # Telegram answers again

    await jobs.run_due(bot.app)
    assert on_screen(bot) == said  # the conversation is gone, the receipt stays
    async with bot.services.sessions() as session:
        assert (await session.scalars(select(DiscreetErasure))).all() == []

"""/report with bad input at every step, a database that fails at the moment of
submitting, a restart mid-way, and /report CODE."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.exc import OperationalError

import storage.db
import storage.incidents
from bot.localapi import Limits
from bot.localapi.limits import FaultInjector
from storage import units
from storage.models import IncidentNote, Role
from tests.handlers.report_helpers import (
    ADMIN,
    REPORTER,
    SECRET,
    STAFF_A,
    deliver,
    file_report,
    incidents_in_db,
    setup_world,
)
from tests.harness import BotHarness, texts
from tests.storage.helpers import person, tra_bong

BUTTONS = "Please choose one of the buttons below."


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN], secret_key=SECRET)
    harness.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    async with harness:
        await setup_world(harness)
        yield harness


async def _to_the_place_step(bot: BotHarness) -> None:
    await bot.send(REPORTER, "/report")
    await bot.press(REPORTER, label="No")
    await bot.press(REPORTER, label="Human trafficking")
    await bot.press(REPORTER, label="Older person")
    await bot.press(REPORTER, label="Done ➜")


async def test_an_edit_is_answered_protected_and_erased_with_the_rest(bot):
    await _to_the_place_step(bot)
    await bot.send(REPORTER, "cho Tra Bong")  # the place, typed
    replies = await bot.edit_last(REPORTER, "cho Tra Bong, gan truong")
    (notice,) = replies
    assert notice.text == (
        "I read only new messages, not edits. Please send the corrected answer as a new message."
    )
    assert notice.protect_content
    await bot.send(REPORTER, "/exit")
    assert bot.api.world.find_message(REPORTER, notice.message_id).deleted
    left = [m.text or "" for m in bot.api.messages(REPORTER)]
    assert not any("Tra Bong" in text or "new messages" in text for text in left)


async def test_wrong_input_keeps_the_step_and_is_erased_too(bot):
    await bot.send(REPORTER, "/report")
    replies = await bot.send(REPORTER, "maybe")  # text that fits no button
    assert texts(replies) == [BUTTONS, "Is someone in danger right now?"]
    replies = await bot.photo(REPORTER)
    assert texts(replies)[0] == BUTTONS
    stale = bot.api.bot_messages(REPORTER)[1]  # the first question, answered again since
    await bot.press(REPORTER, label="No")
    await bot.press_data(REPORTER, stale.message_id, "rp:danger:y")
    assert bot.answer() == "That button is from an earlier step. Please use the latest message."
    await bot.press_data(REPORTER, bot.last(REPORTER).message_id, "rp:kind:forged")
    assert bot.last(REPORTER).text == "What happened?"  # a forged value asks again
    await bot.press(REPORTER, label="Human trafficking")
    await bot.press(REPORTER, label="Done ➜")  # nobody chosen yet
    assert bot.answer() == "Choose at least one."
    await bot.press(REPORTER, label="Man")
    await bot.press(REPORTER, label="Older person")
    await bot.press(REPORTER, label="✅ Man")  # unselect
    replies = await bot.press(REPORTER, label="Done ➜")
    assert "➜ Older person" in bot.api.bot_messages(REPORTER, include_deleted=True)[-2].text
    replies = await bot.send(REPORTER, "/log")  # another command mid-way
    assert texts(replies)[0] == "Please finish this step first, or send /exit to leave."
    assert texts(replies)[1].startswith("Where did it happen?")
    replies = await bot.send(REPORTER, "🙂🙂🙂")
    assert texts(replies)[0].startswith("No village, commune or ward matches “🙂🙂🙂”")
    replies = await bot.photo(REPORTER)
    assert texts(replies)[0] == "Please type your answer as text."
    await bot.send(REPORTER, "tra bong")
    await bot.press(REPORTER, label="Xã Trà Bồng — Quảng Ngãi")
    await bot.press(REPORTER, label="Earlier")
    # Long text: three messages of 4,096 characters do not fit one report.
    for _ in range(2):
        replies = await bot.send(REPORTER, "x" * 4096)
        assert texts(replies)[0].startswith("Received: ")
    replies = await bot.send(REPORTER, "y" * 4096)
    assert texts(replies)[0].startswith("That is more text than one report can hold.")
    await bot.photo(REPORTER)
    replies = await bot.send(REPORTER, "Ảnh chụp ở chợ 📷")
    assert texts(replies)[0] == (
        "Received: 3 written, 1 photos or recordings. Send more, or tap Done."
    )
    # The draft holds no clear text.
    draft = bot.app.user_data[REPORTER]["report"]
    assert all(p.startswith("v1.") for p in draft["text"]) and "chợ" not in str(draft)
    await bot.press(REPORTER, label="Done ➜")
    await bot.press(REPORTER, label="📞 Give a phone number")
    replies = await bot.send(REPORTER, "call me")
    assert texts(replies)[0].startswith("That does not look like a phone number.")
    await bot.send(REPORTER, "0912 345 678")
    replies = await bot.press(REPORTER, label="Yes, share it")
    summary = texts(replies)[0]
    assert "Type: Human trafficking" in summary and "Affected: Older person" in summary
    assert "Details: 3 written, 1 photos or recordings" in summary
    assert "Contact: Call me on my phone (shared with the responders)" in summary
    said = texts(await bot.press(REPORTER, label="✅ Send the report"), REPORTER)
    assert [m.text for m in bot.api.messages(REPORTER)] == said  # wrong inputs erased too
    await deliver(bot)
    replies = await bot.press(STAFF_A, label="📄 Open")
    details = "\n".join(texts(replies, STAFF_A))
    assert "Ảnh chụp ở chợ 📷" in details and "📞 +84 912 345 678" in details
    assert [m.kind for m in replies if m.chat_id == STAFF_A][-1] == "photo"


async def test_a_restart_mid_way_keeps_the_draft(bot):
    await bot.send(REPORTER, "/report")
    await bot.press(REPORTER, label="No")
    await bot.press(REPORTER, label="Child marriage")
    await bot.restart()
    replies = await bot.press(REPORTER, label="Girl")
    assert replies == [] and "✅ Girl" in bot.labels(REPORTER)
    await bot.press(REPORTER, label="Done ➜")
    replies = await bot.send(REPORTER, "tra bong")
    assert "Xã Trà Bồng — Quảng Ngãi" in bot.labels(REPORTER)


async def test_a_database_error_at_submit_is_retried(bot, monkeypatch):
    real = storage.incidents.submit
    calls = []

    async def flaky(session, *args, **kwargs):
        calls.append(1)
        result = await real(session, *args, **kwargs)
        if len(calls) == 1:
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
        return result

    monkeypatch.setattr(storage.incidents, "submit", flaky)
    said = await file_report(bot)
    assert len(calls) == 2
    assert "Your code: BD-" in said[0]
    assert len(await incidents_in_db(bot)) == 1


async def test_a_database_down_at_submit_keeps_everything(bot, monkeypatch):
    real = storage.incidents.submit

    async def down(session, *args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(storage.incidents, "submit", down)
    monkeypatch.setattr(storage.db, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    said = await file_report(bot)
    assert said[0].startswith("Your report is NOT saved yet")
    assert await incidents_in_db(bot) == []
    monkeypatch.setattr(storage.incidents, "submit", real)
    said = texts(await bot.press(REPORTER, label="✅ Send the report"), REPORTER)
    assert "Your code: BD-" in said[0]
    assert len(await incidents_in_db(bot)) == 1
    assert [m.text for m in bot.api.messages(REPORTER)] == said


async def test_adding_information_with_the_code(bot):
    said = await file_report(bot)
    (incident,) = await incidents_in_db(bot)
    status = await bot.send(REPORTER, f"/report {incident.code.lower()}")
    assert texts(status, REPORTER)[:2] == [
        f"Status of {incident.code}: received.",
        "Is someone in danger right now?",
    ]
    await bot.press(REPORTER, label="No")
    await bot.send(REPORTER, "They moved to her mother's house.")
    await bot.photo(REPORTER, caption="The door was broken last night.")
    replies = await bot.press(REPORTER, label="Done ➜")
    assert texts(replies, REPORTER) == [f"✅ Added to {incident.code}. Thank you."]
    assert [m.text for m in bot.api.messages(REPORTER)] == [*said, *texts(replies, REPORTER)]
    async with bot.services.sessions() as session:
        (note,) = (await session.scalars(IncidentNote.__table__.select())).all()
    await deliver(bot)
    assert (
        texts(bot.api.bot_messages(STAFF_A))[-1] == f"{incident.code}: new information was added."
    )
    replies = await bot.press(STAFF_A, label="📄 Open")
    opened = "\n".join(texts(replies, STAFF_A))
    assert "They moved to her mother's house." in opened
    assert "The door was broken last night." in opened  # a caption is information too
    assert note


async def test_wrong_codes_are_limited(bot):
    for _ in range(5):
        replies = await bot.send(REPORTER, "/report BD-2345")
        assert texts(replies) == [
            "No report has this reference. Check it and send /report followed by the code again."
        ]
    replies = await bot.send(REPORTER, "/report BD-2345")
    assert texts(replies) == ["Too many wrong reference codes. Please try again in an hour."]
    # The tries themselves are erased; only the answers stay.
    assert all(m.from_bot for m in bot.api.messages(REPORTER))


async def test_report_and_hotline_work_in_the_middle_of_a_log(bot):
    """Whatever a member was doing, help and a report are one command away, and
    what they were doing is still there afterwards."""
    async with bot.services.sessions.begin() as session:
        commune, _ = await tra_bong(session)
        village = await units.add_village(session, commune, "Thôn 9")
        await person(session, REPORTER, Role.COLLABORATOR, village, language="en")
    await bot.send(REPORTER, "/log")
    await bot.press(REPORTER, label="Policy dialogue")
    replies = await bot.send(REPORTER, "/hotline")
    assert texts(replies)[0].startswith("National hotlines")
    replies = await bot.send(REPORTER, "/report")
    assert texts(replies)[-1] == "Is someone in danger right now?"
    await bot.send(REPORTER, "/exit")
    # The /log draft is where it was: the date step.
    assert bot.app.user_data[REPORTER]["log"]["kind"] == "policy_dialogue"
    replies = await bot.send(REPORTER, "18/11")
    assert any(text.startswith("Where did it take place?") for text in texts(replies))


async def test_a_failed_reply_mid_report_still_erases_everything_at_the_end(bot):
    await _to_the_place_step(bot)
    bot.api.methods.faults = FaultInjector(Limits(server_error_rate=1.0))  # Telegram is down
    await bot.send(REPORTER, "cho Tra Bong")
    bot.api.methods.faults = FaultInjector(Limits())
    typed = [m for m in bot.api.world.chats[REPORTER] if not m.from_bot][-1]
    assert typed.text == "cho Tra Bong"
    await bot.send(REPORTER, "tra bong")  # the step is still the place
    assert bot.labels(REPORTER)[0] == "Xã Trà Bồng — Quảng Ngãi"
    await bot.send(REPORTER, "/exit")
    assert bot.api.world.find_message(REPORTER, typed.message_id).deleted
    assert not any("Tra Bong" in (m.text or "") for m in bot.api.messages(REPORTER))

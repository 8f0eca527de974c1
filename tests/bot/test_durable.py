"""Durable at every step (issue 12): each update's state is committed when the
update ends; a process that dies mid-update leaves the state of the update
before, the update is delivered again and runs once more, and nothing is
created twice; discreet mode erases what a crashed update sent; several
processes on one PostgreSQL database take turns on a user's conversation."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select

from scheduler import jobs
from storage.models import (
    Activity,
    ApprovalNotice,
    DiscreetErasure,
    Incident,
    RegistrationRequest,
)
from tests.conftest import TEST_URL
from tests.handlers.activities_helpers import setup_people
from tests.handlers.report_helpers import REPORTER, SECRET, file_report, setup_world
from tests.harness import BotHarness, texts

ADMIN = 1
USER = 1001
postgres_only = pytest.mark.skipif(
    TEST_URL.startswith("sqlite"), reason="several processes need PostgreSQL"
)


class Died(BaseException):
    """The process is killed after the update's effects, before its state is committed."""


@contextlib.contextmanager
def dies_before_commit(bot: BotHarness) -> Iterator[None]:
    """The next updates run, and the process dies before their state is written."""
    assert bot.app is not None and bot.app.states is not None
    states = bot.app.states

    def killed(*args: object, **kwargs: object) -> None:
        raise Died

    states._changes = killed  # type: ignore[method-assign]
    try:
        yield
    finally:
        del states._changes


async def crash_during(bot: BotHarness, action: object) -> int:
    """Run ``action`` (an awaitable of one update) in a process that dies
    before committing; a new process starts and Telegram delivers the update
    again. Returns the update's id."""
    with dies_before_commit(bot):
        await action  # type: ignore[misc]
    update_id = bot.api.world.next_update_id - 1
    await bot.crash()
    await bot.redeliver(update_id)
    return update_id


def step(app: object, name: str, user: int = USER) -> object:
    for handlers in app.handlers.values():  # type: ignore[attr-defined]
        for handler in handlers:
            if getattr(handler, "name", None) == name:
                return handler._conversations.get((user, user))
    raise LookupError(name)


async def count(bot: BotHarness, model: type) -> int:
    async with bot.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN], secret_key=SECRET)
    harness.api.add_user(ADMIN, first_name="Admin", language_code="en")
    harness.api.add_user(USER, first_name="Lan", language_code="en")
    async with harness:
        yield harness


async def to_the_date_step(bot: BotHarness) -> None:
    await bot.send(USER, "/log")
    await bot.press(USER, label="Policy dialogue")


# Committed per update.
async def test_the_state_of_each_update_survives_a_process_that_dies(bot):
    await setup_people(bot)
    await to_the_date_step(bot)
    await bot.send(USER, "18/11")
    await bot.crash()  # no stop, no flush: only what each update committed
    assert step(bot.app, "activity_log") == "PLACE"
    assert bot.app.user_data[USER]["log"]["held_on"]
    await bot.press(USER, label="Xã Trà Bồng")
    assert step(bot.app, "activity_log") == "COUNT_TOTAL"


async def test_an_answer_lost_in_a_crash_is_read_again_at_the_same_step(bot):
    await setup_people(bot)
    await to_the_date_step(bot)
    await bot.send(USER, "18/11")
    await bot.press(USER, label="Xã Trà Bồng")
    await crash_during(bot, bot.send(USER, "60"))
    # Read once, at the step it answered, not as the number of women.
    assert step(bot.app, "activity_log") == "COUNT_WOMEN"
    assert bot.app.user_data[USER]["log"]["participants"] == {"total": 60}


async def test_a_topic_ticked_just_before_a_crash_is_ticked_once_without_asking_again(bot):
    """The dead process had ticked the topic on screen; the press, delivered
    again, ticks it in the saved draft and finds the buttons as they should
    be. Before, it took that for a failure and asked the question again (an
    edit of its own that a user, or bench/instances.py, read as the answer
    to their next press)."""
    await setup_people(bot)
    await to_the_date_step(bot)
    await bot.send(USER, "18/11")
    await bot.press(USER, label="Xã Trà Bồng")
    for number in ("45", "30", "15"):
        await bot.send(USER, number)
    await bot.press(USER, label="All (45)")  # the topics question in its place
    topic = bot.labels(USER)[0]
    question = next(m for m in reversed(bot.api.bot_messages(USER)) if m.reply_markup)
    await crash_during(bot, bot.press(USER, label=topic))
    shown = next(m for m in bot.api.bot_messages(USER) if m.message_id == question.message_id)
    assert shown.edited_count == question.edited_count + 1  # the dead process's tick only
    assert bot.labels(USER)[0] == "✓ " + topic
    assert len(bot.app.user_data[USER]["log"]["topics"]) == 1
    assert step(bot.app, "activity_log") == "TOPICS"


# Created once, whatever the moment of the crash.
async def test_a_registration_request_sent_in_a_crash_is_filed_once(bot):
    await bot.send(USER, "/start")
    await bot.press(USER, label="English")
    await bot.press(USER, label="Village collaborator")
    await bot.send(USER, "quang ngai")
    await bot.send(USER, "tra bong")
    await bot.press(USER, label="Xã Trà Bồng")
    await bot.press(USER, label="➕ My village is not listed")
    await bot.send(USER, "Thôn Nước Nia")
    await crash_during(bot, bot.press(USER, label="✅ Send request"))
    await jobs.sender_of(bot.app).drain()  # the request goes to the approvers through the outbox
    assert await count(bot, RegistrationRequest) == 1
    assert await count(bot, ApprovalNotice) == 1
    notices = [m for m in bot.api.bot_messages(ADMIN) if "ap:" in str(m.reply_markup)]
    assert len(notices) == 1  # the administrator got the request once
    assert "has been sent" in bot.last(USER).text
    assert step(bot.app, "registration") is None


async def test_an_activity_confirmed_in_a_crash_is_stored_once(bot):
    await setup_people(bot)
    await bot.send(USER, "/log th 19/11 20/10/10/0/0/0 kinh-te")
    await crash_during(bot, bot.press(USER, label="✅ Confirm"))
    assert await count(bot, Activity) == 1


async def test_a_report_sent_in_a_crash_is_stored_once_and_erased(bot):
    await setup_world(bot)
    bot.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    await file_report(bot, send=False)
    await crash_during(bot, bot.press(REPORTER, label="✅ Send the report"))
    assert await count(bot, Incident) == 1
    left = [m.text or "" for m in bot.api.messages(REPORTER)]
    assert left and all("Your code: " in text for text in left)
    assert await count(bot, DiscreetErasure) == 0


# Discreet mode's erase row.
async def test_what_a_crashed_update_sent_is_erased_with_the_report(bot):
    await setup_world(bot)
    bot.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    command = await bot.api.send_text(REPORTER, "/report")
    await bot.app.wait_processed(command, 10)
    first = bot.api.messages(REPORTER, include_deleted=True)[0]
    async with bot.services.sessions() as session:
        row = await session.get(DiscreetErasure, REPORTER)
    assert row is not None and row.from_message_id == first.message_id
    await bot.press(REPORTER, label="No")
    await bot.press(REPORTER, label="Domestic violence")
    await bot.press(REPORTER, label="Woman")
    await bot.press(REPORTER, label="Done ➜")
    await bot.send(REPORTER, "tra bong")
    await bot.press(REPORTER, label="Xã Trà Bồng — Quảng Ngãi")
    await bot.press(REPORTER, label="Today")
    # "Received" is sent, then the process dies: that message's id is in no saved draft.
    with dies_before_commit(bot):
        lost = await bot.send(REPORTER, "He hit her again last night.")
    assert any("Received" in t for t in texts(lost, REPORTER))
    await bot.crash()  # and this time Telegram does not deliver it again
    await bot.send(REPORTER, "He hit her again last night.")
    await bot.press(REPORTER, label="Done ➜")
    await bot.press(REPORTER, label="🙈 Stay anonymous")
    said = texts(await bot.press(REPORTER, label="✅ Send the report"), REPORTER)
    assert [m.text for m in bot.api.messages(REPORTER)] == said
    visible = {m.message_id for m in bot.api.messages(REPORTER)}
    assert lost and not visible & {m.message_id for m in lost}
    assert await count(bot, DiscreetErasure) == 0


async def test_a_report_cut_short_by_a_crash_is_erased_by_the_sweep(bot):
    from scheduler import jobs

    await setup_world(bot)
    bot.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    await bot.send(REPORTER, "/report")
    await bot.press(REPORTER, label="No")
    with dies_before_commit(bot):
        await bot.press(REPORTER, label="Domestic violence")
    await bot.crash()
    assert bot.api.messages(REPORTER)
    bot.clock.now = bot.clock.now.replace(hour=bot.clock.now.hour + 1)
    await jobs.run_due(bot.app)
    assert bot.api.messages(REPORTER) == []
    assert await count(bot, DiscreetErasure) == 0
    assert step(bot.app, "report", REPORTER) is None


# Several processes on one PostgreSQL database.
@postgres_only
async def test_two_processes_take_turns_on_one_conversation(bot):
    await setup_people(bot)
    first = bot.app
    second = await bot.new_app()  # started before the conversation: its memory knows nothing
    await to_the_date_step(bot)
    await bot.switch_to(second)
    await bot.send(USER, "18/11")
    assert step(second, "activity_log") == "PLACE"
    await bot.switch_to(first)
    await bot.press(USER, label="Xã Trà Bồng")  # the first sees the second's step and date
    assert step(first, "activity_log") == "COUNT_TOTAL"
    assert first.user_data[USER]["log"]["held_on"]
    await bot.send(USER, "60")
    await bot.switch_to(second)
    await bot.send(USER, "35")
    assert second.user_data[USER]["log"]["participants"] == {"total": 60, "women": 35}


@postgres_only
async def test_an_update_redelivered_to_another_process_is_skipped(bot):
    await setup_people(bot)
    second = await bot.new_app()
    await to_the_date_step(bot)
    await bot.send(USER, "18/11")
    await bot.press(USER, label="Xã Trà Bồng")
    await bot.send(USER, "60")
    total = bot.api.world.next_update_id - 1
    await bot.switch_to(second)
    assert await bot.redeliver(total) == []
    assert step(second, "activity_log") == "COUNT_WOMEN"
    assert second.user_data[USER]["log"]["participants"] == {"total": 60}


async def test_an_approval_cut_short_by_a_crash_is_finished_when_delivered_again(bot, monkeypatch):
    """The process dies after the decision's commit, before anything is sent:
    the applicant's answer was queued with the decision, so it is not lost,
    and the press delivered again queues nothing twice."""
    import handlers.approval

    await bot.send(USER, "/start")
    await bot.press(USER, label="English")
    await bot.press(USER, label="Village collaborator")
    await bot.send(USER, "quang ngai")
    await bot.send(USER, "tra bong")
    await bot.press(USER, label="Xã Trà Bồng")
    await bot.press(USER, label="I work for the whole commune")
    await bot.press(USER, label="✅ Send request")
    await jobs.sender_of(bot.app).drain()

    def killed(*args: object, **kwargs: object) -> None:
        raise Died  # after the decision's commit, before anything is sent

    async with bot.services.sessions() as session:
        public_id = await session.scalar(select(RegistrationRequest.public_id))
    approve = f"ap:{public_id}:y"
    notice = next(m for m in bot.api.bot_messages(ADMIN) if approve in str(m.reply_markup))
    with monkeypatch.context() as patched:
        patched.setattr(handlers.approval, "wake_sender", killed)
        await bot.press_data(ADMIN, notice.message_id, approve)
    press = bot.last_press
    assert not any("approved" in (m.text or "") for m in bot.api.bot_messages(USER))
    await bot.crash()
    await bot.redeliver(press)
    await jobs.sender_of(bot.app).drain()
    approved = [m for m in bot.api.bot_messages(USER) if "approved" in (m.text or "")]
    assert len(approved) == 1  # told once, although the press was handled twice
    verdicts = [m for m in bot.api.bot_messages(ADMIN) if (m.text or "").startswith("✅")]
    assert len(verdicts) == 1
    # Another press on the same request is still refused, and tells nobody.
    told = len(bot.api.bot_messages(USER))
    await bot.press_data(ADMIN, notice.message_id, approve)
    await jobs.sender_of(bot.app).drain()
    assert bot.answer() != ""
    assert len(bot.api.bot_messages(USER)) == told


async def test_an_approval_whose_buttons_went_already_still_tells_the_approver(bot):
    """A process took the buttons off the notice and died before the
    approver's "Approved by": the press delivered again finds the buttons
    gone ("message is not modified") and must still tell the approver, who
    has nothing left to press (bench/crash_points.py: "no notice for
    request"). The edit and the verdict are separate messages of the outbox."""
    await bot.send(USER, "/start")
    await bot.press(USER, label="English")
    await bot.press(USER, label="Village collaborator")
    await bot.send(USER, "quang ngai")
    await bot.send(USER, "tra bong")
    await bot.press(USER, label="Xã Trà Bồng")
    await bot.press(USER, label="I work for the whole commune")
    await bot.press(USER, label="✅ Send request")
    await jobs.sender_of(bot.app).drain()
    async with bot.services.sessions() as session:
        public_id = await session.scalar(select(RegistrationRequest.public_id))
    approve = f"ap:{public_id}:y"
    notice = next(m for m in bot.api.bot_messages(ADMIN) if approve in str(m.reply_markup))
    assert bot.app is not None
    await bot.app.bot.edit_message_reply_markup(ADMIN, notice.message_id, reply_markup=None)
    await bot.press_data(ADMIN, notice.message_id, approve)
    await jobs.sender_of(bot.app).drain()
    verdicts = [m for m in bot.api.bot_messages(ADMIN) if (m.text or "").startswith("✅")]
    assert len(verdicts) == 1
    assert any("approved" in (m.text or "") for m in bot.api.bot_messages(USER))

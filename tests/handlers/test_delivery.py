"""Updates that are not new input: a redelivered update and an edited message
(for a discreet /report: tests/handlers/test_report_input.py)."""

from __future__ import annotations

import pytest

from bot.localapi import Limits
from bot.localapi.limits import FaultInjector
from handlers.delivery import KEEP, seen_before
from tests.handlers.activities_helpers import (
    conversation_state,
    count_stored,
    draft,
    one_line,
    setup_people,
    stored,
)
from tests.handlers.conftest import USER
from tests.harness import BotHarness, texts

EDIT_NOTICE = (
    "I read only new messages, not edits. Please send the corrected answer as a new message."
)


@pytest.fixture
async def places(bot):
    return await setup_people(bot)


def last_update_id(bot: BotHarness) -> int:
    return bot.api.world.next_update_id - 1


async def to_the_total_step(bot: BotHarness) -> None:
    await bot.send(USER, "/log")
    await bot.press(USER, label="Policy dialogue")
    await bot.send(USER, "18/11")
    await bot.press(USER, label="Xã Trà Bồng")
    assert conversation_state(bot) == "COUNT_TOTAL"


async def test_a_redelivered_answer_is_not_read_again_at_the_next_step(bot, places):
    await to_the_total_step(bot)
    await bot.send(USER, "60")
    total = last_update_id(bot)
    assert conversation_state(bot) == "COUNT_WOMEN"

    assert await bot.redeliver(total) == []
    # Not taken as the number of women: still asked, still empty.
    assert conversation_state(bot) == "COUNT_WOMEN"
    assert draft(bot)["participants"] == {"total": 60}
    await bot.send(USER, "35")
    assert draft(bot)["participants"] == {"total": 60, "women": 35}


async def test_an_answer_redelivered_after_a_restart_is_not_read_again(bot, places):
    await to_the_total_step(bot)
    await bot.send(USER, "60")
    total = last_update_id(bot)
    await bot.restart()  # the ids handled before the restart were saved with the draft
    assert await bot.redeliver(total) == []
    assert conversation_state(bot) == "COUNT_WOMEN"
    assert draft(bot)["participants"] == {"total": 60}


async def test_a_redelivered_confirm_stores_once_and_is_not_answered_again(bot, places):
    await one_line(bot, "th 19/11 20/10/10/0/0/0 kinh-te")
    await bot.press(USER, label="✅ Confirm")
    confirm = last_update_id(bot)

    def answered() -> int:
        return sum(1 for r in bot.api.log if r.method == "answerCallbackQuery")

    before = answered()
    assert await bot.redeliver(confirm) == []
    # Skipped before any handler: not even answered "Already saved" as a late tap.
    assert answered() == before
    (activity,) = await stored(bot)
    assert activity.total == 20


async def test_an_edited_answer_is_explained_and_changes_nothing(bot, places):
    await to_the_total_step(bot)
    await bot.send(USER, "60")
    replies = await bot.edit_last(USER, "70")
    assert texts(replies) == [EDIT_NOTICE]
    assert conversation_state(bot) == "COUNT_WOMEN"
    assert draft(bot)["participants"] == {"total": 60}
    await bot.send(USER, "40")
    assert draft(bot)["participants"] == {"total": 60, "women": 40}
    assert await count_stored(bot) == 0


async def test_an_edit_outside_any_conversation_is_explained(bot, places):
    await bot.send(USER, "hello")
    replies = await bot.edit_last(USER, "/log")
    assert texts(replies) == [EDIT_NOTICE]
    assert conversation_state(bot) is None


def test_only_the_last_ids_are_kept_and_equal_ids_match():
    data: dict[object, object] = {}
    assert not any(seen_before(data, i) for i in range(100, 100 + KEEP + 5))
    assert seen_before(data, 100 + KEEP + 4)
    assert not seen_before(data, 100)  # forgotten: long past, and Telegram may reuse it
    # After a week without updates Telegram may start from a lower id.
    assert not seen_before(data, 7)
    assert seen_before(data, 7)


GROUP = -100200300
PRIVATE_ONLY = (
    "I work only in a private chat, so that what you tell me stays between us. "
    "Tap the button below to open it."
)


async def _in_group(bot: BotHarness, text: str) -> list:
    bot.api.add_group(GROUP, "Tổ truyền thông thôn 1")
    before = len(bot.seen)
    update_id = await bot.api.send_group_text(GROUP, USER, text)
    await bot.app.wait_processed(update_id, 10)
    return bot.seen[before:]


async def test_in_a_group_a_command_gets_a_pointer_to_the_private_chat(bot, places):
    (notice,) = await _in_group(bot, "/report")
    assert notice.chat_id == GROUP and notice.text == PRIVATE_ONLY
    (button,) = notice.buttons()
    assert button["url"] == "https://t.me/binhdang_bot"
    # Nothing started, nothing kept for that user.
    assert bot.app.user_data.get(USER, {}) == {}
    assert await _in_group(bot, "/log tt 20/11 45/30/15/0/0/40 bdg") != []
    assert conversation_state(bot) is None and await count_stored(bot) == 0


async def test_in_a_group_plain_messages_are_not_read(bot, places):
    assert await _in_group(bot, "Chị Lan bị chồng đánh") == []
    assert bot.api.bot_messages(GROUP) == []


async def test_added_to_a_group_the_bot_says_where_it_works(bot, places):
    group = bot.api.add_group(GROUP, "Tổ truyền thông thôn 1")
    adder = bot.api.world.users[USER]
    update_id = bot.api.world.push_update(
        "my_chat_member",
        {
            "chat": group.chat_json(),
            "from": adder.to_json(),
            "date": 0,
            "old_chat_member": {"status": "left", "user": bot.api.world.bot.to_json()},
            "new_chat_member": {"status": "member", "user": bot.api.world.bot.to_json()},
        },
    )
    bot.api.notify()
    await bot.app.wait_processed(update_id, 10)
    assert [m.text for m in bot.api.bot_messages(GROUP)] == [PRIVATE_ONLY]


async def test_an_answer_whose_reply_failed_is_read_again_at_the_same_step(bot, places):
    await to_the_total_step(bot)
    bot.api.methods.faults = FaultInjector(Limits(server_error_rate=1.0))  # Telegram is down
    await bot.send(USER, "60")
    bot.api.methods.faults = FaultInjector(Limits())
    # Nothing of the failed update is kept: the same answer is the total again.
    assert conversation_state(bot) == "COUNT_TOTAL"
    assert draft(bot).get("participants", {}) == {}
    replies = await bot.send(USER, "60")
    assert texts(replies) == ["How many of them were women (16 and over)?"]
    assert draft(bot)["participants"] == {"total": 60}

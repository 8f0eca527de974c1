"""/targets step by step through the local Bot API: the questions of each
step, wrong or forged answers asked again, and what is saved. (The CSV import
and the summary's use of targets: tests/handlers/test_summary.py; the area
step: tests/handlers/test_area_period.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import ActivityKind, Indicator, ParticipantField, Role, Target, Topic
from tests.harness import BotHarness, texts
from tests.storage.helpers import person, tra_bong

COORDINATOR = 4201
INDICATOR_QUESTION = "What does the target count?"
KIND_QUESTION = "Which kind of activity?"
KEYWORD_QUESTION = "Count only the sessions whose note names something"
VALUE_QUESTION = "What is the target for the year? Type a number."
LABEL_QUESTION = "Type the wording of this line in your plan"


@pytest.fixture
async def coordinator(bot: BotHarness) -> int:
    async with bot.services.sessions.begin() as session:
        commune, _province = await tra_bong(session)
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")
    bot.api.add_user(COORDINATOR, first_name="Hoa", language_code="en")
    return COORDINATOR


async def saved(bot: BotHarness) -> list[Target]:
    async with bot.services.sessions() as session:
        return list((await session.scalars(select(Target).order_by(Target.id))).all())


async def test_keyword_and_label_are_typed_within_their_limits(bot, coordinator):
    await bot.send(coordinator, "/targets")
    replies = await bot.press(coordinator, label="➕ Add a target")
    assert texts(replies) == [INDICATOR_QUESTION]
    await bot.press(coordinator, label="Number of sessions")
    replies = await bot.press(coordinator, label="Training class")
    assert texts(replies)[0].startswith(KEYWORD_QUESTION)
    assert bot.labels(coordinator) == ["Count them all"]
    replies = await bot.send(coordinator, "x" * 61)
    assert texts(replies)[0] == "Please type 1 to 60 characters."
    assert texts(replies)[1].startswith(KEYWORD_QUESTION)
    replies = await bot.send(coordinator, "  Chương   trình 3 ")
    assert texts(replies) == [VALUE_QUESTION]
    await bot.send(coordinator, "4")
    replies = await bot.send(coordinator, "y" * 301)
    assert texts(replies)[0] == "Please type 1 to 300 characters."
    assert texts(replies)[1].startswith(LABEL_QUESTION)
    assert bot.labels(coordinator) == ["Keep the name shown"]
    replies = await bot.send(coordinator, "Tập huấn   lồng ghép giới")
    assert texts(replies)[0] == "Saved: Tập huấn lồng ghép giới, target 4."
    (target,) = await saved(bot)
    assert (target.indicator, target.activity_kind, target.value) == (
        Indicator.SESSIONS,
        ActivityKind.TRAINING,
        4,
    )
    assert target.keyword is not None and "3" in target.keyword
    assert target.label == "Tập huấn lồng ghép giới"


async def test_count_them_all_and_keep_the_name(bot, coordinator):
    await bot.send(coordinator, "/targets")
    await bot.press(coordinator, label="➕ Add a target")
    await bot.press(coordinator, label="Number of sessions")
    await bot.press(coordinator, label="Training class")
    replies = await bot.press(coordinator, label="Count them all")
    assert texts(replies) == [VALUE_QUESTION]
    await bot.send(coordinator, "2")
    replies = await bot.press(coordinator, label="Keep the name shown")
    assert texts(replies)[0] == "Saved: Training class, target 2."
    (target,) = await saved(bot)
    assert (target.keyword, target.label) == (None, None)


async def test_a_share_goes_through_topic_field_and_population(bot, coordinator):
    await bot.send(coordinator, "/targets")
    await bot.press(coordinator, label="➕ Add a target")
    replies = await bot.press(coordinator, label="Share of a group reached")
    assert texts(replies) == ["Reached by sessions on which topic?"]
    replies = await bot.press(coordinator, label="Child marriage")
    assert texts(replies) == ["Which participants?"]
    replies = await bot.press(coordinator, label="women")
    assert texts(replies)[0].startswith("How many women are in the group to reach")
    replies = await bot.send(coordinator, "0")
    assert texts(replies)[0] == "Please type a whole number greater than 0."
    replies = await bot.send(coordinator, "1.200")
    assert texts(replies) == [
        "What share must be reached, in percent? Type a number from 1 to 100."
    ]
    replies = await bot.send(coordinator, "101")
    assert texts(replies)[0] == "Please type a whole number from 1 to 100."
    await bot.send(coordinator, "80%")
    await bot.press(coordinator, label="Keep the name shown")
    (target,) = await saved(bot)
    assert (target.topic, target.field, target.population, target.value) == (
        Topic.CHILD_MARRIAGE,
        ParticipantField.WOMEN,
        1200,
        80,
    )


async def test_forged_buttons_ask_the_same_step_again(bot, coordinator):
    await bot.send(coordinator, "/targets")
    await bot.press(coordinator, label="➕ Add a target")
    for data, question, then in (
        ("tg:i:bogus", INDICATOR_QUESTION, "Share of a group reached"),
        ("tg:t:bogus", "Reached by sessions on which topic?", "Child marriage"),
        ("tg:f:bogus", "Which participants?", None),
    ):
        message = bot.last(coordinator)
        replies = await bot.press_data(coordinator, message.message_id, data)
        assert texts(replies) == [question], data
        if then is not None:
            await bot.press(coordinator, label=then)
    await bot.send(coordinator, "/cancel")
    await bot.send(coordinator, "/targets")
    await bot.press(coordinator, label="➕ Add a target")
    await bot.press(coordinator, label="Number of sessions")
    replies = await bot.press_data(coordinator, bot.last(coordinator).message_id, "tg:k:bogus")
    assert texts(replies) == [KIND_QUESTION]
    assert await saved(bot) == []

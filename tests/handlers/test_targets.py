"""/targets step by step through the local Bot API: the questions of each
step, wrong or forged answers asked again, and what is saved. (The CSV import
and the summary's use of targets: tests/handlers/test_summary.py; the area
step: tests/handlers/test_area_period.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import (
    ActivityKind,
    FundingSource,
    Indicator,
    ParticipantField,
    RegisterKind,
    Role,
    Target,
    Topic,
    Unit,
    User,
)
from storage.reports import targets
from tests.harness import BotHarness, texts
from tests.storage.helpers import person, profile, tra_bong

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


async def test_a_budget_of_a_funding_source_is_set_in_the_bot(bot, coordinator):
    """The budget, once CSV only: source, an amount as people type it, saved by
    the function the CSV import uses (a file line of the same spec updates it)."""
    await bot.send(coordinator, "/targets")
    await bot.press(coordinator, label="➕ Add a target")
    replies = await bot.press(coordinator, label="Budget (đồng), against the costs recorded")
    assert texts(replies) == ["A budget of which funding source?"]
    assert bot.labels(coordinator)[-2:] == ["Socialised funds (xã hội hóa)", "Any source"]
    replies = await bot.press(coordinator, label="Local budget")
    assert texts(replies)[0].startswith("What is the budget for the year, in đồng?")
    replies = await bot.send(coordinator, "năm mươi")
    assert texts(replies)[0] == "Please type an amount in đồng, such as 50.000.000 or 50 triệu."
    assert texts(replies)[1].startswith("What is the budget for the year, in đồng?")
    replies = await bot.send(coordinator, "2,5 tỷ")
    assert texts(replies)[0] == "Please type an amount in đồng, such as 50.000.000 or 50 triệu."
    replies = await bot.send(coordinator, "50 triệu")
    assert texts(replies)[0].startswith(LABEL_QUESTION)
    replies = await bot.press(coordinator, label="Keep the name shown")
    assert texts(replies)[0] == "Saved: Budget spent (đồng) – Local budget, target 50,000,000 đồng."
    (target,) = await saved(bot)
    assert (target.indicator, target.funding_source, target.value) == (
        Indicator.BUDGET,
        FundingSource.LOCAL_BUDGET,
        50_000_000,
    )
    async with bot.services.sessions.begin() as session:
        unit = await session.get(Unit, target.unit_id)
        user = await session.scalar(select(User).where(User.telegram_id == coordinator))
        header = ",".join(targets.CSV_COLUMNS)
        line = f"{unit.code},2026,budget,,,,,60.000.000,,,nsdp,"
        chief = await profile(session, user)
        done = await targets.import_csv(session, chief, f"{header}\n{line}\n")
    assert (done.created, done.updated) == (0, 1)
    (target,) = await saved(bot)
    assert target.value == 60_000_000


async def test_register_targets_by_typed_labels(bot, coordinator):
    """Every button step of /targets takes its label typed: the view, the
    indicator, the register, "keep the name shown", removing, going back."""
    await bot.send(coordinator, "/targets")
    replies = await bot.send(coordinator, "add a target")
    assert texts(replies) == [INDICATOR_QUESTION]
    replies = await bot.send(coordinator, "strengthened or newly set up")
    assert texts(replies) == ["Entries of which register?"]
    replies = await bot.send(coordinator, "bogus register")
    assert texts(replies) == [
        "Please choose one of the buttons below.",
        "Entries of which register?",
    ]
    replies = await bot.send(coordinator, "trusted addresses")
    assert texts(replies) == [VALUE_QUESTION]
    await bot.send(coordinator, "4")
    replies = await bot.send(coordinator, "keep the name shown")
    assert texts(replies)[0] == (
        "Saved: Trusted addresses: Strengthened or newly set up (from the registers), target 4."
    )
    (target,) = await saved(bot)
    assert (target.indicator, target.register_kind, target.value, target.label) == (
        Indicator.RENEWED,
        RegisterKind.TRUSTED_ADDRESS,
        4,
        None,
    )
    replies = await bot.send(coordinator, "Remove a target")
    assert texts(replies) == ["Which target do you want to remove?"]
    replies = await bot.send(coordinator, "Back")
    assert texts(replies)[0].startswith("Targets 2026 of")
    replies = await bot.send(coordinator, "done")
    assert texts(replies) == ["Done. Send /summary to see the figures."]

"""The area step that /summary (and /export) and /targets share, through the
local Bot API: the same buttons and answers in both, under each
conversation's own callback prefix, which buttons already sent keep."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.localapi import SentMessage
from storage import units, users
from storage.models import Role, Unit
from tests.handlers.conftest import ADMIN, USER
from tests.harness import BotHarness, texts
from tests.storage.helpers import person, place, tra_bong

COORDINATOR = 4101


@dataclass
class Places:
    commune: Unit
    village: Unit
    elsewhere: Unit  # a commune that is not the coordinator's


@dataclass(frozen=True)
class Flow:
    command: str
    prefix: str
    first_question: str  # of the step the area step goes back to
    about: str  # how that step names an area: "{area}" stands for it


SUMMARY = Flow("/summary", "sm", "Which period?", "Summary of {area}. Which period?")
TARGETS = Flow("/targets", "tg", "Targets 2026 of", "Targets 2026 of {area}")
in_both = pytest.mark.parametrize("flow", [SUMMARY, TARGETS], ids=["summary", "targets"])
AREA_QUESTION = "Choose an area, or type the name of a commune or village under yours:"


@pytest.fixture
async def places(bot: BotHarness) -> Places:
    async with bot.services.sessions.begin() as session:
        commune, _province = await tra_bong(session)
        village = await units.add_village(session, commune, "Thôn 1")
        elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")
        await person(session, USER, Role.COLLABORATOR, village, language="en")
    bot.api.add_user(COORDINATOR, first_name="Hoa", language_code="en")
    return Places(commune, village, elsewhere)


def buttons(bot: BotHarness, chat: int) -> list[tuple[str, str]]:
    """(label, callback data) of the newest message with buttons."""
    message = next(m for m in reversed(bot.api.bot_messages(chat)) if m.reply_markup)
    return [(b["text"], b["callback_data"]) for b in message.buttons()]


async def open_area_step(bot: BotHarness, flow: Flow) -> SentMessage:
    """Start the conversation and press "Other area"; returns the question."""
    await bot.send(COORDINATOR, flow.command)
    replies = await bot.press(COORDINATOR, label="📍 Other area")
    assert texts(replies) == [AREA_QUESTION]
    return bot.last(COORDINATOR)


@in_both
async def test_choosing_an_area_by_button_or_by_name(bot, places, flow):
    replies = await bot.send(COORDINATOR, flow.command)
    assert flow.about.format(area="Xã Trà Bồng") in texts(replies)[0]
    assert ("📍 Other area", f"{flow.prefix}:area") in buttons(bot, COORDINATOR)
    replies = await bot.press(COORDINATOR, label="📍 Other area")
    assert texts(replies) == [AREA_QUESTION]
    assert buttons(bot, COORDINATOR) == [
        ("Xã Trà Bồng", f"{flow.prefix}:a:u{places.commune.id}"),
        ("◀ Back", f"{flow.prefix}:back"),
    ]
    # A place outside the coordinator's commune is not offered.
    replies = await bot.send(COORDINATOR, "binh son")
    assert texts(replies)[0] == "No place under your area matches “binh son”. Type it again."
    assert texts(replies)[1] == AREA_QUESTION
    replies = await bot.send(COORDINATOR, "thon 1")
    assert texts(replies) == ["Which one?"]
    assert buttons(bot, COORDINATOR) == [
        ("Thôn 1, Xã Trà Bồng, Quảng Ngãi", f"{flow.prefix}:a:u{places.village.id}"),
        ("◀ Back", f"{flow.prefix}:back"),
    ]
    replies = await bot.press(COORDINATOR, label="Thôn 1, Xã Trà Bồng, Quảng Ngãi")
    assert flow.about.format(area="Thôn 1") in texts(replies)[0]
    # The area stays chosen for the rest of the conversation.
    await bot.press(COORDINATOR, label="📍 Other area")
    replies = await bot.press(COORDINATOR, label="◀ Back")
    assert flow.about.format(area="Thôn 1") in texts(replies)[0]


@in_both
async def test_forged_and_stale_area_buttons_ask_again(bot, places, flow):
    question = await open_area_step(bot, flow)
    for data in (
        f"{flow.prefix}:a:u{places.elsewhere.id}",  # not under the coordinator's commune
        f"{flow.prefix}:a:u99999999",  # no such unit
        f"{flow.prefix}:a:n",  # the whole country: administrators only
        f"{flow.prefix}:a:zz",
    ):
        replies = await bot.press_data(COORDINATOR, question.message_id, data)
        assert texts(replies) == [AREA_QUESTION], data
    replies = await bot.press_data(
        COORDINATOR, question.message_id, f"{flow.prefix}:a:u{places.commune.id}"
    )
    assert flow.about.format(area="Xã Trà Bồng") in texts(replies)[0]


@in_both
async def test_the_area_step_survives_a_restart(bot, places, flow):
    sent_before = await open_area_step(bot, flow)
    await bot.restart()
    replies = await bot.send(COORDINATOR, "🙂")
    assert texts(replies)[0] == "No place under your area matches “🙂”. Type it again."
    replies = await bot.photo(COORDINATOR)
    assert texts(replies)[0] == "Please type your answer as text."
    assert texts(replies)[1] == AREA_QUESTION
    # A button sent before the restart still works.
    replies = await bot.press_data(
        COORDINATOR, sent_before.message_id, f"{flow.prefix}:a:u{places.village.id}"
    )
    assert flow.about.format(area="Thôn 1") in texts(replies)[0]


async def test_an_administrator_may_choose_the_whole_country(bot, places):
    async with bot.services.sessions.begin() as session:
        admin = await users.get_by_telegram_id(session, ADMIN)
        assert admin is not None
        admin.language = "en"
    replies = await bot.send(ADMIN, "/targets")
    assert "Targets 2026 of Việt Nam" in texts(replies)[0]
    # Any place of the country can be typed.
    await bot.press(ADMIN, label="📍 Other area")
    await bot.send(ADMIN, "binh son")
    replies = await bot.press(ADMIN, label="Xã Bình Sơn, Quảng Ngãi")
    assert "Targets 2026 of Xã Bình Sơn" in texts(replies)[0]
    assert "➕ Add a target" in bot.labels(ADMIN)
    await bot.press(ADMIN, label="📍 Other area")
    assert buttons(bot, ADMIN)[0] == ("🇻🇳 Whole country", "tg:a:n")
    replies = await bot.press(ADMIN, label="🇻🇳 Whole country")
    view = texts(replies)[0]
    assert "Targets 2026 of Việt Nam" in view
    assert "Targets are set for a province, a commune or a group of communes." in view
    assert "➕ Add a target" not in bot.labels(ADMIN)


async def test_who_may_start(bot, places):
    assert texts(await bot.send(USER, "/targets")) == ["Only coordinators can set targets."]
    assert texts(await bot.send(USER, "/export")) == [
        "Only coordinators can see summaries and export reports."
    ]
    async with bot.services.sessions.begin() as session:
        await person(session, 4102, Role.COMMUNE_COORDINATOR, None, language="en")
    bot.api.add_user(4102, first_name="Nobody", language_code="en")
    for command in ("/targets", "/summary"):
        replies = await bot.send(4102, command)
        assert texts(replies) == ["Your account has no area to report on. Ask an administrator."]

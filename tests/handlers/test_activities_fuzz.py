"""Random text, numbers and Unicode at every typed step of /log, through the
local Bot API: each input gets an answer, the conversation stays where the
draft says it is, nothing entered before is lost, and no exception escapes."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.handlers.activities_helpers import (
    conversation_state,
    count_stored,
    draft,
    one_line,
    setup_people,
)
from tests.handlers.conftest import USER
from tests.harness import texts

# Which summary button opens the step, and what to answer first to reach it.
STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "KIND": ("✏️ Activity", ()),
    "KIND_OTHER": ("✏️ Activity", ("khac",)),
    "DATE": ("✏️ Date", ()),
    "PLACE": ("✏️ Place", ()),
    "COUNT_TOTAL": ("✏️ Participants", ()),
    "COUNT_WOMEN": ("✏️ Participants", ("45",)),
    "COUNT_BOYS": ("✏️ Participants", ("45", "20", "15", "5")),
    "COUNT_ETHNIC_MINORITY": ("✏️ Participants", ("45", "20", "15", "5", "5")),
    "TOPICS": ("✏️ Topics", ()),
    "LANGUAGE": ("✏️ Language", ()),
    "LANG_NAME": ("✏️ Language", ("dt",)),
    "OPTIONAL": ("✏️ Photos, note", ()),
}
# Fields a step may change; every other field of the draft must survive it.
STEP_FIELDS = {
    "KIND": {"kind", "kind_other", "participants"},
    "KIND_OTHER": {"kind", "kind_other", "participants"},
    "DATE": {"held_on"},
    "PLACE": {"unit_id"},
    "TOPICS": {"topics", "topics_done"},
    "LANGUAGE": {"language", "ethnic_language"},
    "LANG_NAME": {"language", "ethnic_language"},
    "OPTIONAL": {"note", "optional_done"},
}
KEPT = ("kind", "held_on", "unit_id", "participants", "topics", "language", "note")

inputs = st.one_of(
    st.text(min_size=1, max_size=120),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=4096),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.lists(st.integers(-5, 12_000), min_size=1, max_size=8).map(
        lambda xs: "/".join(map(str, xs))
    ),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.sampled_from(
        [
            "hôm nay",
            "31/02",
            "tt",
            "khac:Hội thi",
            "bdg,tao-hon",
            "dt:Cor",
            "vi+dt",
            "thon 2",
            "xa tra bong",
            "🙂🙂",
            "forty-five",
            "10^9",
            "/frobnicate",
            "x" * 4096,
        ]
    ),
).filter(lambda s: s.strip() != "")


@pytest.fixture
async def at_summary(bot):
    await setup_people(bot)
    replies = await one_line(bot, "tt 20/11 45/20/15/5/5/40 bdg,tao-hon dt:Cor họp dân")
    assert replies[0].startswith("Please check the activity")
    return bot


async def _back_to_summary(bot) -> None:
    if conversation_state(bot) != "SUMMARY":
        last = bot.api.bot_messages(USER)[-1]
        await bot.press_data(USER, last.message_id, "lb:back")
    assert conversation_state(bot) == "SUMMARY"


async def _open(bot, step: str) -> None:
    label, answers = STEPS[step]
    await bot.press(USER, label=label)
    for answer in answers:
        await bot.send(USER, answer)
    assert conversation_state(bot) == step, (step, draft(bot).get("step"))


async def _answered_cleanly(bot, caplog, text: str) -> dict:
    """Send ``text``: it gets an answer, no error is logged, and the conversation
    is at the step its draft says. Returns the draft."""
    with caplog.at_level(logging.ERROR):
        replies = await bot.send(USER, text)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    caplog.clear()
    answered = texts(replies, USER)
    assert answered, f"no answer to {text!r}"
    assert not any(a.startswith("Sorry, something went wrong") for a in answered)
    state = draft(bot)
    assert conversation_state(bot) == state["step"]
    return state


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(step=st.sampled_from(sorted(STEPS)), text=inputs)
async def test_random_input_at_every_typed_step(at_summary, caplog, step, text):
    bot = at_summary
    await _back_to_summary(bot)
    before = {k: draft(bot).get(k) for k in KEPT}
    await _open(bot, step)
    state = await _answered_cleanly(bot, caplog, text)
    changeable = STEP_FIELDS.get(step, {"participants"})
    for key, value in before.items():
        if key not in changeable and key in state:
            assert state[key] == value, (step, key)
    if conversation_state(bot) != "SUMMARY":
        await _back_to_summary(bot)
        assert {k: draft(bot).get(k) for k in KEPT} == before  # "keep as it was" restores it


async def test_after_the_storm_the_draft_still_confirms(at_summary):
    bot = at_summary
    for step in ("COUNT_BOYS", "LANG_NAME", "KIND_OTHER"):
        await _open(bot, step)
        await bot.send(USER, "🙂" * 50)
        await _back_to_summary(bot)
    await bot.press(USER, label="✅ Confirm")
    assert await count_stored(bot) == 1


one_line_inputs = st.lists(
    st.one_of(inputs, st.sampled_from(["tt", "20/11", "45/30/15/0/0/40", "bdg", "dt:Cor"])),
    min_size=1,
    max_size=6,
).map(" ".join)


@pytest.fixture
async def registered(bot):
    await setup_people(bot)
    return bot


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=one_line_inputs.filter(lambda s: len(s) <= 4000))
async def test_random_one_line_forms(registered, caplog, text):
    bot = registered
    await bot.send(USER, "/cancel")
    await _answered_cleanly(bot, caplog, f"/log {text}")
    assert await count_stored(bot) == 0  # nothing is stored before the summary is confirmed

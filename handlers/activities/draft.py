"""The /log draft (bản nháp) in ``user_data["log"]``: its steps, which one
comes next, and the helpers every step uses."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.i18n import N_
from handlers.activities.asking import answer, ask, choose, say
from handlers.activities.texts import explain
from handlers.flow import draft, drop_draft
from handlers.kit import pressed_data
from storage.activities import (
    COUNT_FIELDS,
    ActivityProblem,
    Problem,
    first_missing,
)
from storage.models.activities import KIND_CODES, TOPIC_CODES
from storage.users import Profile

KEY = "log"
PREFS = "log_prefs"
KIND, KIND_OTHER, DATE, PLACE = "KIND", "KIND_OTHER", "DATE", "PLACE"
COUNT_STEPS = {field: f"COUNT_{field.upper()}" for field in COUNT_FIELDS}
TOPICS, LANGUAGE, LANG_NAME, OPTIONAL, SUMMARY = (
    "TOPICS",
    "LANGUAGE",
    "LANG_NAME",
    "OPTIONAL",
    "SUMMARY",
)
AUDIENCE, PRODUCTS, COST, FUNDING = "AUDIENCE", "PRODUCTS", "COST", "FUNDING"
HELD_BY = "HELD_BY"
MAX_PLACE_BUTTONS = 12
Step = Callable[[Update, BotContext], Awaitable[str | int]]
TOPIC_BY_CODE = {code: topic for topic, code in TOPIC_CODES.items()}
KIND_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}

# What each button of the summary card clears, so that the step is asked again.
EDITS: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "kind_other", "audience"),
    "date": ("held_on",),
    "place": ("unit_id",),
    "counts": ("participants",),
    "topics": ("topics_done",),
    "lang": ("language", "ethnic_language"),
    "more": ("optional_done",),
    "products": ("products",),
    "audience": ("audience",),
    "cost": ("cost", "funding_source", "ask_cost"),
    "held_by": ("held_by_id", "ask_held_by"),
}
# What "keep as it was" puts back: the cleared fields, and those the step
# changes while it keeps them on screen (the ✓ topics, the photos and note).
BACKUPS: dict[str, tuple[str, ...]] = {
    **EDITS,
    "topics": ("topics", "topics_done"),
    "more": ("photo_file_ids", "voice_file_id", "note", "optional_done"),
}
EDIT_LABELS = {
    "kind": N_("✏️ Activity"),
    "date": N_("✏️ Date"),
    "place": N_("✏️ Place"),
    "counts": N_("✏️ Participants"),
    "topics": N_("✏️ Topics"),
    "lang": N_("✏️ Language"),
    "more": N_("✏️ Photos, note"),
    "products": N_("✏️ Products"),
    "audience": N_("✏️ Audience"),
    "cost": N_("✏️ Cost"),
    "held_by": N_("✏️ Held by"),
}
# The draft fields to ask again when the whole activity breaks a rule.
PROBLEM_FIELDS: dict[Problem, tuple[str, ...]] = {
    Problem.FUTURE_DATE: ("held_on",),
    Problem.TOO_OLD: ("held_on",),
    Problem.KIND_OTHER_MISSING: ("kind_other",),
    Problem.NO_PARTICIPANTS: ("participants",),
    Problem.NO_TOPIC: ("topics_done",),
    Problem.ETHNIC_LANGUAGE_MISSING: ("ethnic_language",),
    Problem.TOO_MANY_PHOTOS: ("photo_file_ids", "optional_done"),
    Problem.PLACE_NOT_ALLOWED: ("unit_id",),
    Problem.HELD_BY_ELSEWHERE: ("held_by_id",),
}


def state_of(context: BotContext) -> dict[str, Any]:
    return draft(context, KEY)


def prefs_of(context: BotContext) -> dict[str, Any]:
    return draft(context, PREFS)


def today_of(context: BotContext) -> date:
    services = context.services
    return services.clock().astimezone(services.settings.zone).date()


def reporter_of(context: BotContext) -> Profile:
    profile = context.profile
    assert profile is not None
    return profile


def pressed(update: Update) -> str:
    data = pressed_data(update)  # pressed, or its label typed
    assert data is not None
    return data


async def refuse_button(update: Update, context: BotContext) -> None:
    """A button whose value this step does not know (from an older version of
    the bot, or forged): said in its toast; the caller asks the step again."""
    await answer(update, context.t("That button is no longer valid."))


def with_back(context: BotContext, rows: list[list[tuple[str, str]]]) -> list[list[Any]]:
    """A step asked from the summary card can go back to it unchanged."""
    if state_of(context).get("backup") is not None:
        rows = [*rows, [(context.t("↩ Keep as it was"), "lb:back")]]
    return rows


FIELD_STEPS = {
    "kind": KIND,
    "kind_other": KIND_OTHER,
    "held_on": DATE,
    "unit_id": PLACE,
    "topics": TOPICS,
    "language": LANGUAGE,
    "ethnic_language": LANG_NAME,
    "audience": AUDIENCE,
    "products": PRODUCTS,
}


def next_step(state: dict[str, Any]) -> str:
    """The step of the first thing the draft still lacks (the rules are
    ``storage.activities.first_missing``); the topics count once Done was
    pressed, the optional step once Continue was; the cost and the team that
    held it only when asked from the summary card."""
    view = state if state.get("topics_done") else {**state, "topics": []}
    missing = first_missing(view)
    if missing is not None:
        if missing.startswith("participants."):
            return COUNT_STEPS[missing.split(".", 1)[1]]
        return FIELD_STEPS[missing]
    if not state.get("optional_done"):
        return OPTIONAL
    if state.get("ask_cost"):
        return COST
    if state.get("cost") and "funding_source" not in state:
        return FUNDING
    if state.get("ask_held_by"):
        return HELD_BY
    return SUMMARY


async def proceed(update: Update, context: BotContext) -> str | int:
    """Ask the first thing the draft still lacks."""
    # The questions live in the step modules, which import this one.
    from handlers.activities.conversation import ASKS

    return await ASKS[next_step(state_of(context))](update, context)


async def advance_to_next(update: Update, context: BotContext, chosen: str | None) -> str | int:
    """The next question, in place of the one whose button gave ``chosen``."""
    choose(update, chosen)
    return await proceed(update, context)


async def ask_step(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    await ask(update, state_of(context), text, markup)


def new_draft(context: BotContext) -> dict[str, Any]:
    drop_draft(context, KEY)
    state = state_of(context)
    state.update(key=uuid.uuid4().hex, rev=0)
    return state


async def explain_all(update: Update, context: BotContext, found: list[ActivityProblem]) -> None:
    """Reasons for what a message got wrong (a button's go in its toast)."""
    if not found:
        return
    text = "\n".join(explain(context.t, p) for p in found)
    if update.callback_query is not None:
        await answer(update, text, alert=True)
    else:
        await say(update, text)


TYPE_NUMBER = N_("Please type the number as digits, for example 45.")

"""/log step: the participants, one number at a time or six at once."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.i18n import N_
from handlers.activities.asking import answer, say
from handlers.activities.draft import (
    COUNT_STEPS,
    Step,
    advance_to_next,
    ask_step,
    pressed,
    state_of,
    with_back,
)
from handlers.activities.texts import explain
from handlers.kit import STALE_BUTTON, match_label
from handlers.ui import keyboard, text_of
from storage import activities
from storage.activities import (
    COUNT_FIELDS,
    ActivityProblem,
    Problem,
)
from storage.models import ActivityKind

# Participants.
COUNT_QUESTIONS = {
    "total": N_(
        "How many people took part in total? Type a number, or all six at once: total/women/men/girls/boys/ethnic minority, for example 45/30/15/0/0/40."
    ),
    "women": N_("How many of them were women (16 and over)?"),
    "men": N_("How many men (16 and over)?"),
    "girls": N_("How many girls under 16?"),
    "boys": N_("How many boys under 16?"),
    "ethnic_minority": N_("How many of the participants were from an ethnic minority?"),
}


def _counts(context: BotContext) -> dict[str, int]:
    counts = state_of(context).setdefault("participants", {})
    assert isinstance(counts, dict)
    return counts


def _count_shortcuts(context: BotContext, field: str) -> list[tuple[str, str]]:
    """Buttons for the answers that are most often right, from what is known."""
    t = context.t
    counts = _counts(context)
    total = counts.get("total", 0)
    remaining = total - sum(counts.get(f, 0) for f in activities.PEOPLE_FIELDS)
    options: list[tuple[str, int]] = []
    if field in ("men", "boys") and remaining >= 0:
        options.append((t.number(remaining), remaining))
    elif field == "girls":
        options += [("0", 0)] + ([(t.number(remaining), remaining)] if remaining > 0 else [])
    elif field == "ethnic_minority":
        options += [(t("None (0)"), 0), (t("All ({count})").format(count=t.number(total)), total)]
    return [(label, f"ln:{field}:{value}") for label, value in options]


def ask_count(field: str) -> Step:
    async def ask(update: Update, context: BotContext) -> str | int:
        state_of(context)["step"] = COUNT_STEPS[field]
        buttons = _count_shortcuts(context, field)
        rows = with_back(context, [buttons] if buttons else [])
        await ask_step(
            update, context, context.t(COUNT_QUESTIONS[field]), keyboard(rows) if rows else None
        )
        return COUNT_STEPS[field]

    return ask


def _current_count_field(context: BotContext) -> str:
    step = state_of(context).get("step")
    for field, name in COUNT_STEPS.items():
        if name == step:
            return field
    return "total"


async def _set_counts(update: Update, context: BotContext, field: str, text: str) -> str | int:
    state = state_of(context)
    counts = _counts(context)
    kind = ActivityKind(state["kind"])
    try:
        if activities.is_compact_counts(text):
            found = activities.parse_compact_counts(text)
        else:
            found = {**counts, field: activities.parse_count(text, field)}
            activities.check_counts(found)
        activities.check_total(kind, found["total"])
    except ActivityProblem as problem:
        message = explain(context.t, problem)
        if problem.problem in (Problem.SUM_NOT_TOTAL, Problem.SUM_EXCEEDS_TOTAL):
            message += "\n" + context.t(
                "If an earlier number is wrong, type all six again, for example 45/30/15/0/0/40."
            )
        if update.callback_query is not None:
            await answer(update, message, alert=True)
        else:
            await say(update, message)
        return await ask_count(field)(update, context)
    if found["total"] == 0:
        found = dict.fromkeys(COUNT_FIELDS, 0)
    elif (
        "men" in found and "girls" not in found and found["women"] + found["men"] == found["total"]
    ):
        found.update(girls=0, boys=0)  # adults only: no need to ask about children
    state["participants"] = found
    chosen = context.t.number(found[field]) if field in found else None
    return await advance_to_next(update, context, chosen)


async def count_typed(update: Update, context: BotContext) -> str | int:
    field = _current_count_field(context)
    text = text_of(update)
    shortcut = match_label(text, _count_shortcuts(context, field))  # "Không (0)" typed
    if shortcut is not None:
        text = shortcut.rsplit(":", 1)[1]
    return await _set_counts(update, context, field, text)


async def count_chosen(update: Update, context: BotContext) -> str | int:
    _, field, value = [*pressed(update).split(":"), "", ""][:3]
    current = _current_count_field(context)
    if field != current:
        await answer(update, context.t(STALE_BUTTON))
        return await ask_count(current)(update, context)
    return await _set_counts(update, context, field, value)

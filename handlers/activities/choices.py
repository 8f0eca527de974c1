"""/log steps: the topics (multi-select) and the language of the session."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update

from bot.context import BotContext
from bot.i18n import N_
from handlers.activities.asking import answer, edit_keyboard, say
from handlers.activities.draft import (
    LANG_NAME,
    LANGUAGE,
    TOPIC_BY_CODE,
    TOPICS,
    advance_to_next,
    ask_step,
    explain_all,
    prefs_of,
    pressed,
    proceed,
    refuse_button,
    state_of,
    with_back,
)
from handlers.kit import STALE_BUTTON, match_label, match_labels
from handlers.ui import esc, keyboard, text_of
from storage import activities
from storage.activities import (
    ActivityProblem,
)
from storage.models import Topic
from storage.models.activities import TOPIC_CODES
from storage.reports.labels import TOPIC_NAMES


# Topics.
def _topic_rows(context: BotContext) -> list[list[Any]]:
    t = context.t
    chosen = set(state_of(context).get("topics") or [])
    buttons = [
        (("✓ " if topic.value in chosen else "") + t(TOPIC_NAMES[topic]), f"lt:{code}")
        for topic, code in TOPIC_CODES.items()
    ]
    rows = [[b] for b in buttons]
    rows.append([(t("Done ➡"), "lt:done")])
    return with_back(context, rows)


async def ask_topics(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = TOPICS
    await ask_step(
        update,
        context,
        context.t("Which topics did it cover? Tap to select (✓), then press Done."),
        keyboard(_topic_rows(context)),
    )
    return TOPICS


async def topic_pressed(update: Update, context: BotContext) -> str | int:
    query = update.callback_query
    assert query is not None
    t = context.t
    state = state_of(context)
    code = pressed(update).split(":", 1)[1]
    chosen: list[str] = list(state.get("topics") or [])
    if code == "done":
        if not chosen:
            await answer(update, t("Choose at least one topic."), alert=True)
            return TOPICS
        state["topics_done"] = True
        names = ", ".join(t(TOPIC_NAMES[Topic(v)]) for v in chosen)
        return await advance_to_next(update, context, names)
    topic = TOPIC_BY_CODE.get(code)
    if topic is None:
        await answer(update, t(STALE_BUTTON))
        return await ask_topics(update, context)
    if topic.value in chosen:
        chosen.remove(topic.value)
    else:
        chosen.append(topic.value)
    state["topics"] = [x.value for x in activities.sort_topics([Topic(v) for v in chosen])]
    if not await edit_keyboard(update, keyboard(_topic_rows(context))):
        return await ask_topics(update, context)  # an older topics message: a fresh one
    return TOPICS


async def topics_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)
    state = state_of(context)
    if match_label(text, [(t("Done ➡"), True)]) and state.get("topics"):
        state["topics_done"] = True
        return await proceed(update, context)
    # Names as on the buttons, or the codes of the one-line form.
    options = [(t(TOPIC_NAMES[x]), x) for x in Topic] + [(c, x) for x, c in TOPIC_CODES.items()]
    found = match_labels(text, options)
    if found is None:
        wrong = next(
            (
                p
                for p in re.split(r"[,;\n]", text)
                if p.strip() and match_labels(p, options) is None
            ),
            text,
        )
        await say(
            update,
            t(
                "“{text}” is not one of the topics below. Tap the topics, or type their names separated by commas."
            ).format(text=esc(wrong.strip()[:40])),
        )
        return await ask_topics(update, context)
    found = activities.sort_topics(found)
    state.update(topics=[x.value for x in found], topics_done=True)
    return await proceed(update, context)


# Language.
LANGUAGE_BUTTONS = {
    "vi": N_("Vietnamese"),
    "dt": N_("Ethnic-minority language"),
    "vi+dt": N_("Both"),
}


async def ask_language(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = LANGUAGE
    t = context.t
    rows = [[(t(label), f"ll:{code}")] for code, label in LANGUAGE_BUTTONS.items()]
    await ask_step(
        update,
        context,
        t("In which language was the session held?"),
        keyboard(with_back(context, rows)),
    )
    return LANGUAGE


async def _set_language(update: Update, context: BotContext, text: str, label: str) -> str | int:
    try:
        language, name = activities.parse_language_words(text)
    except ActivityProblem:
        await say(
            update,
            context.t(
                "Please choose a button, or type the language, for example “tiếng Việt”, “Cor” or “tiếng Việt và Cor”."
            ),
        )
        return await ask_language(update, context)
    state = state_of(context)
    state["language"] = language.value
    state.pop("ethnic_language", None)
    if name:
        state["ethnic_language"] = name
    return await advance_to_next(update, context, label)


async def language_chosen(update: Update, context: BotContext) -> str | int:
    code = pressed(update).split(":", 1)[1]
    if code not in LANGUAGE_BUTTONS:
        await refuse_button(update, context)
        return await ask_language(update, context)
    return await _set_language(update, context, code, context.t(LANGUAGE_BUTTONS[code]))


async def language_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = text_of(update)
    code = match_label(text, [(t(label), code) for code, label in LANGUAGE_BUTTONS.items()])
    if code is not None:
        return await _set_language(update, context, code, t(LANGUAGE_BUTTONS[code]))
    return await _set_language(update, context, text, text)


async def ask_language_name(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = LANG_NAME
    last = prefs_of(context).get("ethnic_language")
    rows = [[(str(last), "lm:last")]] if isinstance(last, str) else []
    rows = with_back(context, rows)
    await ask_step(
        update,
        context,
        context.t("Type the name of the ethnic-minority language, for example Cor or H'rê:"),
        keyboard(rows) if rows else None,
    )
    return LANG_NAME


async def _set_language_name(update: Update, context: BotContext, text: str) -> str | int:
    try:
        name = activities.clean_text(text, "ethnic_language", activities.MAX_ETHNIC_LANGUAGE)
    except ActivityProblem as problem:
        await explain_all(update, context, [problem])
        return await ask_language_name(update, context)
    state_of(context)["ethnic_language"] = name
    return await advance_to_next(update, context, name)


async def language_name_typed(update: Update, context: BotContext) -> str | int:
    return await _set_language_name(update, context, text_of(update))


async def language_name_chosen(update: Update, context: BotContext) -> str | int:
    last = prefs_of(context).get("ethnic_language")
    if not isinstance(last, str):
        return await ask_language_name(update, context)
    return await _set_language_name(update, context, last)

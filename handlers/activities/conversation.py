"""/log: logging an activity (ghi hoạt động) step by step, or in one line.

kind (→ a class's audience) → date → place → participants → topics →
language (→ the products of a campaign, launch, exhibition or documented
model) → optional media and note → summary card (→ cost and source, or the
team, club or group that held it, when asked there). The draft is ``user_data["log"]``; every step is asked
by :func:`proceed`, which finds the first thing still missing, so the guided
form, the one-line form, corrections from the summary card and the edit of a
stored activity share one path.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.i18n import N_
from handlers.activities import texts
from handlers.activities.asking import answer, say
from handlers.activities.choices import (
    ask_language,
    ask_language_name,
    ask_topics,
    language_chosen,
    language_name_chosen,
    language_name_typed,
    language_typed,
    topic_pressed,
    topics_typed,
)
from handlers.activities.counts import (
    ask_count,
    count_chosen,
    count_typed,
)
from handlers.activities.details import (
    ask_audience,
    ask_cost,
    ask_funding,
    ask_held_by,
    ask_products,
    audience_chosen,
    audience_typed,
    cost_none,
    cost_typed,
    funding_chosen,
    held_by_chosen,
    products_none,
    products_typed,
)
from handlers.activities.draft import (
    AUDIENCE,
    COST,
    COUNT_STEPS,
    DATE,
    FUNDING,
    HELD_BY,
    KEY,
    KIND,
    KIND_OTHER,
    LANG_NAME,
    LANGUAGE,
    OPTIONAL,
    PLACE,
    PRODUCTS,
    SUMMARY,
    TOPICS,
    TYPE_NUMBER,
    Step,
    explain_all,
    new_draft,
    pressed,
    proceed,
    state_of,
    today_of,
)
from handlers.activities.extras import (
    ask_optional,
    note_typed,
    optional_pressed,
    photo_received,
    voice_received,
)
from handlers.activities.steps import (
    ask_date,
    ask_kind,
    ask_kind_other,
    ask_place,
    date_chosen,
    date_typed,
    kind_chosen,
    kind_other_typed,
    kind_typed,
    place_chosen,
    place_typed,
)
from handlers.activities.summary import (
    ask_summary,
    back_to_summary,
    late_confirm,
    summary_pressed,
)
from handlers.activities.texts import explain
from handlers.kit import BUTTONS, fallbacks, guards
from handlers.ui import keyboard
from storage import activities
from storage.activities import (
    ActivityProblem,
    Problem,
)


# Entry.
async def start(update: Update, context: BotContext) -> str | int:
    t = context.t
    profile = context.profile
    if profile is None or not profile.is_active:
        await say(
            update,
            t(
                "Only registered collaborators and coordinators can log activities. Send /start to register."
            ),
        )
        return ConversationHandler.END
    message = update.effective_message
    rest = ""
    if update.callback_query is None and message is not None and message.text:
        parts = message.text.split(maxsplit=1)
        rest = parts[1] if len(parts) > 1 else ""
    return await _start_with(update, context, rest)


async def _start_with(update: Update, context: BotContext, rest: str) -> str | int:
    t = context.t
    profile = context.profile
    assert profile is not None
    state = new_draft(context)
    if not rest.strip():
        return await proceed(update, context)
    settings = context.services.settings
    line = activities.parse_one_line(rest, today_of(context), settings.activity_max_age_days)
    state.update(line.values)
    async with context.services.sessions() as session:
        home = await activities.default_place(session, profile)
    if home is not None:
        state["unit_id"] = home.id
    # A line that stops early is a shortcut, not a mistake: the guided steps
    # ask for the rest. Mistakes get their reasons, and a line both short and
    # wrong the form's help as well.
    incomplete = any(p.problem is Problem.ONE_LINE_INCOMPLETE for p in line.problems)
    if len(line.problems) > int(incomplete):
        await explain_all(update, context, line.problems)
        if incomplete:
            await say(update, texts.one_line_help(t))
    return await proceed(update, context)


async def start_edit(update: Update, context: BotContext) -> str | int:
    """From an activity's card: the stored activity becomes a draft at its summary."""
    query = update.callback_query
    assert query is not None
    t = context.t
    profile = context.profile
    if profile is None or not profile.is_active:
        await answer(update, t("That button is no longer valid."))
        return ConversationHandler.END
    activity_id = int(pressed(update).rsplit(":", 1)[1])
    settings = context.services.settings
    try:
        async with context.services.sessions() as session:
            activity, _ = await activities.load(
                session,
                profile,
                activity_id,
                context.services.clock(),
                settings.activity_edit_days,
                for_edit=True,
            )
            values = activities.draft_values(activity)
    except ActivityProblem as problem:
        await answer(update, explain(t, problem), alert=True)
        return ConversationHandler.END
    state = new_draft(context)
    state.update(values, activity_id=activity_id, original_held_on=values["held_on"])
    state.update(topics_done=True, optional_done=True)
    return await ask_summary(update, context)


# Every step's question, for :func:`draft.proceed` and the fallbacks.
ASKS: Mapping[str, Step] = MappingProxyType(
    {
        KIND: ask_kind,
        KIND_OTHER: ask_kind_other,
        DATE: ask_date,
        PLACE: ask_place,
        TOPICS: ask_topics,
        LANGUAGE: ask_language,
        LANG_NAME: ask_language_name,
        AUDIENCE: ask_audience,
        PRODUCTS: ask_products,
        COST: ask_cost,
        FUNDING: ask_funding,
        HELD_BY: ask_held_by,
        OPTIONAL: ask_optional,
        SUMMARY: ask_summary,
        **{step: ask_count(field) for field, step in COUNT_STEPS.items()},
    }
)


async def say_plain(update: Update, context: BotContext, text: str) -> None:
    await say(update, text)


# A one-line /log while a draft is open: which one to keep.
PENDING_LINE = "pending_line"


async def log_again(update: Update, context: BotContext) -> str | int | None:
    """``/log …`` with a line in the middle of a draft: the line is kept aside
    and the user chooses; a bare /log asks the current step again."""
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1) if message is not None else []
    state = state_of(context)
    if len(parts) < 2 or not parts[1].strip():
        await say(update, context.t("Please finish this step first, or send /cancel to stop."))
        return await _ask_again(update, context)
    state[PENDING_LINE] = parts[1][:4096]
    t = context.t
    rows = [
        [(t("Keep the activity I was logging"), "lq:old")],
        [(t("Use the new line instead"), "lq:new")],
    ]
    await say(
        update,
        t("You are in the middle of logging an activity. Which one do you want to keep?"),
        keyboard(rows),
    )
    return None


async def line_chosen(update: Update, context: BotContext) -> str | int | None:
    state = state_of(context)
    line = state.pop(PENDING_LINE, None)
    if not isinstance(line, str):
        await answer(update, context.t("That button is no longer valid."))
        return await _ask_again(update, context)
    if pressed(update) == "lq:new":
        await answer(update)
        return await _start_with(update, context, line)
    await answer(update)
    return await _ask_again(update, context)


async def _ask_again(update: Update, context: BotContext) -> str | int | None:
    """The draft's current step asked again (None if it has none)."""
    step = state_of(context).get("step")
    return await ASKS[str(step)](update, context) if step in ASKS else None


def build() -> ConversationHandler[BotContext]:
    text = filters.TEXT & ~filters.COMMAND
    back = CallbackQueryHandler(back_to_summary, pattern=r"^lb:back$")
    asks = ASKS

    def step(ask: Step, *handlers: Any, reason: str | None = None) -> list[Any]:
        """A step's own handlers, the way back to the summary, and its guards."""
        return [*handlers, back, *guards(ask, say=say_plain, reason=reason)]

    def typed(pattern: str, chosen: Any, typed_: Any) -> tuple[Any, Any]:
        return CallbackQueryHandler(chosen, pattern=pattern), MessageHandler(text, typed_)

    states: dict[object, list[Any]] = {
        KIND: step(ask_kind, *typed(r"^lk:", kind_chosen, kind_typed)),
        KIND_OTHER: step(
            ask_kind_other,
            MessageHandler(text, kind_other_typed),
            reason=N_("Please type the name of the activity as text."),
        ),
        DATE: step(
            ask_date,
            *typed(r"^ld:", date_chosen, date_typed),
            reason=N_("Please type the date, for example 20/11, or use the buttons."),
        ),
        PLACE: step(
            ask_place,
            *typed(r"^lp:", place_chosen, place_typed),
            reason=N_("Please choose a place from the buttons or type its name."),
        ),
        TOPICS: step(
            ask_topics,
            *typed(r"^lt:", topic_pressed, topics_typed),
            reason=N_("Please choose topics with the buttons, then press Done."),
        ),
        LANGUAGE: step(ask_language, *typed(r"^ll:", language_chosen, language_typed)),
        LANG_NAME: step(
            ask_language_name,
            MessageHandler(text, language_name_typed),
            CallbackQueryHandler(language_name_chosen, pattern=r"^lm:last$"),
            reason=N_("Please type the name of the language as text."),
        ),
        AUDIENCE: step(ask_audience, *typed(r"^lh:", audience_chosen, audience_typed)),
        PRODUCTS: step(
            ask_products,
            *typed(r"^lw:none$", products_none, products_typed),
            reason=N_(
                "Please type the products and how many, for example: tờ rơi 200, or press None."
            ),
        ),
        COST: step(
            ask_cost,
            *typed(r"^lc:none$", cost_none, cost_typed),
            reason=N_("Please type the amount in đồng, for example 1.500.000."),
        ),
        FUNDING: step(ask_funding, CallbackQueryHandler(funding_chosen, pattern=r"^lf:")),
        HELD_BY: step(ask_held_by, CallbackQueryHandler(held_by_chosen, pattern=r"^lg:")),
        OPTIONAL: step(
            ask_optional,
            MessageHandler(filters.PHOTO, photo_received),
            MessageHandler(filters.VOICE, voice_received),
            MessageHandler(text, note_typed),
            CallbackQueryHandler(optional_pressed, pattern=r"^lo:(done|clear)$"),
            reason=N_("Here I can take photos, one voice note or a text note only."),
        ),
        SUMMARY: [
            CallbackQueryHandler(summary_pressed, pattern=r"^ls:"),
            *guards(
                ask_summary,
                say=say_plain,
                buttons_of=lambda context: state_of(context).get(BUTTONS),
                press=summary_pressed,
                reason=N_(
                    "Please use the buttons under the summary: confirm, change a field, or cancel."
                ),
            ),
        ],
    }
    for count_step in COUNT_STEPS.values():
        states[count_step] = step(
            asks[count_step],
            MessageHandler(text, count_typed),
            CallbackQueryHandler(count_chosen, pattern=r"^ln:"),
            reason=TYPE_NUMBER,
        )
    choose_line = CallbackQueryHandler(line_chosen, pattern=r"^lq:(old|new)$")
    for handlers in states.values():
        handlers.insert(0, choose_line)
    return ConversationHandler(
        entry_points=[
            CommandHandler("log", start),
            CallbackQueryHandler(start, pattern=r"^menu:log$"),
            CallbackQueryHandler(start_edit, pattern=r"^lx:e:\d{1,12}$"),
        ],
        states=states,
        fallbacks=[CommandHandler("log", log_again), *fallbacks(KEY, asks)],
        name="activity_log",
        persistent=True,
        allow_reentry=False,
    )


def late_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """Answers to the conversation's buttons once it has ended."""
    return [CallbackQueryHandler(late_confirm, pattern=r"^ls:ok:")]

"""/log: logging an activity (ghi hoạt động) step by step, or in one line.

kind (→ a class's audience) → date → place → participants → topics →
language (→ the products of a campaign, launch, exhibition or documented
model) → optional media and note → summary card. The draft is ``user_data["log"]``; every step is asked
by :func:`proceed`, which finds the first thing still missing, so the guided
form, the one-line form, corrections from the summary card and the edit of a
stored activity share one path.
"""

from __future__ import annotations

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
    ASKS,
    AUDIENCE,
    CHOOSE_BUTTON,
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
    guards_for,
    new_draft,
    pressed,
    proceed,
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
from handlers.flow import fallbacks
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
    state = new_draft(context)
    message = update.effective_message
    rest = ""
    if update.callback_query is None and message is not None and message.text:
        parts = message.text.split(maxsplit=1)
        rest = parts[1] if len(parts) > 1 else ""
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


def _register_asks() -> dict[str, Step]:
    """Every step's question, for :func:`proceed` and the fallbacks."""
    ASKS.update(
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
        }
    )
    for field, step in COUNT_STEPS.items():
        ASKS[step] = ask_count(field)
    return ASKS


def build() -> ConversationHandler[BotContext]:
    text = filters.TEXT & ~filters.COMMAND
    back = CallbackQueryHandler(back_to_summary, pattern=r"^lb:back$")
    asks = _register_asks()
    states: dict[object, list[Any]] = {
        KIND: [
            CallbackQueryHandler(kind_chosen, pattern=r"^lk:"),
            MessageHandler(text, kind_typed),
            back,
            *guards_for(ask_kind, CHOOSE_BUTTON),
        ],
        KIND_OTHER: [
            MessageHandler(text, kind_other_typed),
            back,
            *guards_for(ask_kind_other, N_("Please type the name of the activity as text.")),
        ],
        DATE: [
            CallbackQueryHandler(date_chosen, pattern=r"^ld:"),
            MessageHandler(text, date_typed),
            back,
            *guards_for(
                ask_date, N_("Please type the date, for example 20/11, or use the buttons.")
            ),
        ],
        PLACE: [
            CallbackQueryHandler(place_chosen, pattern=r"^lp:"),
            MessageHandler(text, place_typed),
            back,
            *guards_for(ask_place, N_("Please choose a place from the buttons or type its name.")),
        ],
        TOPICS: [
            CallbackQueryHandler(topic_pressed, pattern=r"^lt:"),
            MessageHandler(text, topics_typed),
            back,
            *guards_for(ask_topics, N_("Please choose topics with the buttons, then press Done.")),
        ],
        LANGUAGE: [
            CallbackQueryHandler(language_chosen, pattern=r"^ll:"),
            MessageHandler(text, language_typed),
            back,
            *guards_for(ask_language, CHOOSE_BUTTON),
        ],
        LANG_NAME: [
            MessageHandler(text, language_name_typed),
            CallbackQueryHandler(language_name_chosen, pattern=r"^lm:last$"),
            back,
            *guards_for(ask_language_name, N_("Please type the name of the language as text.")),
        ],
        AUDIENCE: [
            CallbackQueryHandler(audience_chosen, pattern=r"^lh:"),
            MessageHandler(text, audience_typed),
            back,
            *guards_for(ask_audience, CHOOSE_BUTTON),
        ],
        PRODUCTS: [
            CallbackQueryHandler(products_none, pattern=r"^lq:none$"),
            MessageHandler(text, products_typed),
            back,
            *guards_for(
                ask_products,
                N_(
                    "Please type the products and how many, for example: tờ rơi 200, or press None."
                ),
            ),
        ],
        COST: [
            CallbackQueryHandler(cost_none, pattern=r"^lc:none$"),
            MessageHandler(text, cost_typed),
            back,
            *guards_for(ask_cost, N_("Please type the amount in đồng, for example 1.500.000.")),
        ],
        FUNDING: [
            CallbackQueryHandler(funding_chosen, pattern=r"^lf:"),
            back,
            *guards_for(ask_funding, CHOOSE_BUTTON),
        ],
        HELD_BY: [
            CallbackQueryHandler(held_by_chosen, pattern=r"^lg:"),
            back,
            *guards_for(ask_held_by, CHOOSE_BUTTON),
        ],
        OPTIONAL: [
            MessageHandler(filters.PHOTO, photo_received),
            MessageHandler(filters.VOICE, voice_received),
            MessageHandler(text, note_typed),
            CallbackQueryHandler(optional_pressed, pattern=r"^lo:(done|clear)$"),
            back,
            *guards_for(
                ask_optional, N_("Here I can take photos, one voice note or a text note only.")
            ),
        ],
        SUMMARY: [
            CallbackQueryHandler(summary_pressed, pattern=r"^ls:"),
            *guards_for(
                ask_summary,
                N_("Please use the buttons under the summary: confirm, change a field, or cancel."),
            ),
        ],
    }
    for step in COUNT_STEPS.values():
        states[step] = [
            MessageHandler(text, count_typed),
            CallbackQueryHandler(count_chosen, pattern=r"^ln:"),
            back,
            *guards_for(asks[step], TYPE_NUMBER),
        ]
    return ConversationHandler(
        entry_points=[
            CommandHandler("log", start),
            CallbackQueryHandler(start, pattern=r"^menu:log$"),
            CallbackQueryHandler(start_edit, pattern=r"^lx:e:\d{1,12}$"),
        ],
        states=states,
        fallbacks=fallbacks(KEY, asks),
        name="activity_log",
        persistent=True,
        allow_reentry=False,
    )


def late_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """Answers to the conversation's buttons once it has ended."""
    return [CallbackQueryHandler(late_confirm, pattern=r"^ls:ok:")]

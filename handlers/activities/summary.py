"""/log: the summary card, corrections from it, and storing the activity."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    ConversationHandler,
)

from bot.context import BotContext
from bot.i18n import Translator
from handlers.activities.asking import answer, close, say
from handlers.activities.cards import card
from handlers.activities.draft import (
    BACKUPS,
    EDIT_LABELS,
    EDITS,
    KEY,
    PROBLEM_FIELDS,
    SUMMARY,
    advance_to_next,
    ask_step,
    explain_all,
    next_step,
    prefs_of,
    pressed,
    proceed,
    reporter_of,
    state_of,
    today_of,
)
from handlers.activities.texts import explain
from handlers.flow import drop_draft
from handlers.ui import columns, keyboard
from storage import activities, units
from storage.activities import (
    ActivityInput,
    ActivityProblem,
    Problem,
)
from storage.models import ActivityKind


# Summary.
def summary_token(state: dict[str, Any]) -> str:
    return f"{str(state.get('key', ''))[:8]}-{state.get('rev', 0)}"


def validate_draft(context: BotContext) -> ActivityInput:
    state = state_of(context)
    settings = context.services.settings
    # A stored activity keeps its date when corrected, however old it is now.
    unchanged = state.get("activity_id") and state.get("held_on") == state.get("original_held_on")
    today = None if unchanged else today_of(context)
    return activities.validate(state, today, settings.activity_max_age_days)


async def _back_to_missing(
    update: Update, context: BotContext, found: list[ActivityProblem]
) -> str | int:
    """Explain what breaks a rule, clear it, and ask for it again."""
    state = state_of(context)
    await explain_all(update, context, found)
    for problem in found:
        fields = PROBLEM_FIELDS.get(problem.problem, ())
        if problem.problem is Problem.TEXT_TOO_LONG:
            fields = (str(problem.params["field"]), "optional_done")
        if problem.problem is Problem.INCOMPLETE:
            fields = (str(problem.params["field"]),)
        for field in fields:
            state.pop(field, None)
    if next_step(state) == SUMMARY:  # nothing left to ask: the draft cannot be repaired
        drop_draft(context, KEY)
        await say(update, context.t("This draft cannot be completed. Please send /log again."))
        return ConversationHandler.END
    return await proceed(update, context)


async def ask_summary(update: Update, context: BotContext) -> str | int:
    state = state_of(context)
    state["step"] = SUMMARY
    t = context.t
    try:
        data = validate_draft(context)
    except ValidationError as error:
        return await _back_to_missing(update, context, activities.problems_of(error))
    async with context.services.sessions() as session:
        unit = await units.get_unit(session, data.unit_id)
        place = await units.describe(session, unit) if unit is not None else ""
        holders = {e.id: e.name for e in await activities.holders(session, data.unit_id)}
    state.pop("backup", None)
    state["rev"] = int(state.get("rev", 0)) + 1
    token = summary_token(state)
    if state.get("activity_id"):
        title = t("Correcting {ref}").format(ref=activities.reference(int(state["activity_id"])))
    else:
        title = t("Please check the activity")
    hidden = set() if data.kind is ActivityKind.TRAINING else {"audience"}
    if not holders:
        hidden.add("held_by")
    edits = [
        (t(label), f"ls:{action}:{token}")
        for action, label in EDIT_LABELS.items()
        if action not in hidden
    ]
    rows = [[(t("✅ Confirm"), f"ls:ok:{token}")], *columns(edits, 2)]
    rows.append([(t("✖ Cancel"), f"ls:no:{token}")])
    held_by = holders.get(data.held_by_id) if data.held_by_id is not None else None
    await ask_step(update, context, card(t, data, place, title, held_by), keyboard(rows))
    return SUMMARY


async def summary_pressed(update: Update, context: BotContext) -> str | int:
    t = context.t
    state = state_of(context)
    _, action, token = [*pressed(update).split(":"), "", ""][:3]
    if token != summary_token(state):
        await answer(update, t("That summary is out of date. Here is the latest one."))
        return await ask_summary(update, context)
    if action == "ok":
        return await _confirm(update, context)
    if action == "no":
        await close(update, state, t("✖ Cancelled. Nothing was saved. Send /log to start again."))
        drop_draft(context, KEY)
        return ConversationHandler.END
    if action not in EDITS:
        return await ask_summary(update, context)
    state.pop("doubts_asked", None)
    state["backup"] = {f: state.get(f) for f in BACKUPS[action]}
    for field in EDITS[action]:
        state.pop(field, None)
    if action in ("cost", "held_by"):
        state[f"ask_{action}"] = True
    return await advance_to_next(update, context, t(EDIT_LABELS[action]))


async def back_to_summary(update: Update, context: BotContext) -> str | int:
    state = state_of(context)
    backup = state.pop("backup", None)
    if isinstance(backup, dict):
        for field, value in backup.items():
            if value is None:
                state.pop(field, None)
            else:
                state[field] = value
    return await advance_to_next(update, context, context.t("↩ Keep as it was"))


def doubts_text(t: Translator, found: list[activities.Found]) -> str:
    lines = []
    for item in found:
        if item.doubt is activities.Doubt.DUPLICATE:
            lines.append(
                t(
                    "You already logged this session as {ref}: same day, place, kind and counts."
                ).format(ref=activities.reference(item.activity_id))
            )
        else:
            lines.append(
                t("{total} participants is far more than such a session usually has.").format(
                    total=t.number(item.total)
                )
            )
    lines.append(t("Press Confirm again to save it anyway."))
    return "\n".join(lines)


async def _confirm(update: Update, context: BotContext) -> str | int:
    t = context.t
    state = state_of(context)
    profile = reporter_of(context)
    services = context.services
    try:
        data = validate_draft(context)
    except ValidationError as error:
        return await _back_to_missing(update, context, activities.problems_of(error))
    try:
        if state.get("activity_id"):
            activity_id = int(state["activity_id"])
            async with services.sessions.begin() as session:
                changes = await activities.update(
                    session,
                    profile,
                    activity_id,
                    data,
                    services.clock(),
                    services.settings.activity_edit_days,
                )
            ref = activities.reference(activity_id)
            text = (
                t("✅ {ref} is corrected.").format(ref=ref)
                if changes
                else t("Nothing was changed in {ref}.").format(ref=ref)
            )
        else:
            if not state.get("doubts_asked"):
                async with services.sessions() as session:
                    limits = activities.usual_limits(services.settings.activity_usual_max)
                    found = await activities.doubts(
                        session, profile, data, str(state["key"]), limits
                    )
                if found:  # asked once; Confirm again saves
                    state["doubts_asked"] = True
                    if update.callback_query is not None:
                        await answer(update, doubts_text(t, found), alert=True)
                    else:  # Confirm typed
                        await say(update, doubts_text(t, found))
                    return await ask_summary(update, context)
            saved = await activities.save_new(
                services.sessions, profile, data, str(state["key"]), services.clock()
            )
            text = (
                t("✅ Saved. Reference: {ref}.").format(ref=activities.reference(saved.activity_id))
                + "\n"
                + t("Send /log to log another activity, or /mine to see yours.")
            )
    except ActivityProblem as problem:
        if problem.problem is Problem.PLACE_NOT_ALLOWED:
            return await _back_to_missing(update, context, [problem])
        await close(update, state, explain(t, problem))
        drop_draft(context, KEY)
        return ConversationHandler.END
    # The draft goes only once the user has seen the reference: if Telegram
    # fails to take this message, Confirm can be pressed again (same key).
    await close(update, state, text)
    prefs = prefs_of(context)
    prefs["unit_id"] = data.unit_id
    if data.ethnic_language:
        prefs["ethnic_language"] = data.ethnic_language
    drop_draft(context, KEY)
    return ConversationHandler.END


async def late_confirm(update: Update, context: BotContext) -> None:
    """A second tap on Confirm after the activity was stored (outside the conversation)."""
    query = update.callback_query
    assert query is not None
    t = context.t
    token = pressed(update).split(":")[-1]
    prefix = token.split("-")[0]
    found = None
    if context.profile is not None and len(prefix) == 8:
        async with context.services.sessions() as session:
            found = await activities.find_own_by_key_prefix(session, context.profile.id, prefix)
    if found is None:
        await answer(update, t("That button is no longer valid."))
    else:
        await answer(update, t("Already saved as {ref}.").format(ref=activities.reference(found)))
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)

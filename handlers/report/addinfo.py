"""``/report CODE``: whoever has a reference code sees a neutral status
(received, someone is working on it, closed) and can add information to
that report (text, voice, photos), in discreet mode, after being asked
again whether someone is in danger now. They cannot read the report. Wrong
codes are limited per hour (``storage.incidents.followup``), so codes cannot
be tried one after another."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.i18n import translator
from handlers.alerts import policy_of, wake_sender
from handlers.kit import BUTTONS, pressed_data, typed_button
from handlers.report import pieces
from handlers.report.conversation import (
    P,
    cipher_for,
    finish,
    say_danger_question,
    settle_query,
    show_police,
    state,
)
from handlers.report.discreet import remember_update, say
from handlers.report.pieces import Added
from handlers.ui import esc, keyboard, text_of
from storage import db
from storage.incidents import followup
from storage.incidents.intake import MAX_MEDIA
from storage.incidents.labels import N_

log = logging.getLogger(__name__)
ADD = "ADD"
LEGACY_TRIES_KEY = "report_code_tries"  # where the guess limit once lived, per user

STATUS_TEXTS = {
    followup.PublicStatus.RECEIVED: N_("Status of {code}: received."),
    followup.PublicStatus.IN_PROGRESS: N_("Status of {code}: someone is working on it."),
    followup.PublicStatus.CLOSED: N_(
        "Status of {code}: closed. If you add information, it will be looked at again."
    ),
}


async def _end_with(update: Update, context: BotContext, text: str) -> int:
    await finish(update, context)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, protect_content=True)
    return ConversationHandler.END


def _subject(update: Update, context: BotContext) -> str:
    """Who is guessing, as the guess limit knows them: a keyed hash, never the id."""
    secret = context.services.settings.secret_key
    user = update.effective_user
    key = secret.get_secret_value() if secret is not None else ""
    return followup.subject_of(key, user.id if user is not None else 0)


async def start_adding(update: Update, context: BotContext, raw_code: str) -> str | int:
    t = context.t
    current = state(context)
    current.clear()
    current.update(step=ADD, key=uuid.uuid4().hex)
    remember_update(update, context)
    if context.user_data is not None:
        context.user_data.pop(LEGACY_TRIES_KEY, None)
    services = context.services
    async with services.sessions.begin() as session:
        found = await followup.check_code(
            session, _subject(update, context), raw_code, services.clock()
        )
    if found.result is followup.CodeResult.LIMITED:
        return await _end_with(
            update, context, t("Too many wrong reference codes. Please try again in an hour.")
        )
    if found.result is followup.CodeResult.WRONG or found.status is None:
        return await _end_with(
            update,
            context,
            t(
                "No report has this reference. Check it and send /report followed by the code again."
            ),
        )
    current.update(incident=found.incident_id, code=found.code)
    await say(update, context, t(STATUS_TEXTS[found.status]).format(code=esc(found.code or "")))
    return await ask_danger_again(update, context)


async def ask_danger_again(update: Update, context: BotContext) -> str:
    """Asked before anything is added: a follow-up can be urgent."""
    await say_danger_question(update, context, f"{P}:add:dgr")
    return ADD


async def danger_chosen(update: Update, context: BotContext) -> str | int:
    t = context.t
    current = state(context)
    value = (pressed_data(update) or "").rsplit(":", 1)[-1]  # pressed, or its label typed
    if value not in ("y", "n"):
        return await ask_danger_again(update, context)
    current["danger"] = value == "y"
    await settle_query(update, t("🆘 Yes, right now") if current["danger"] else t("No"))
    if current["danger"]:
        await show_police(update, context)
    if current.get("send_after_danger") and (current.get("text") or current.get("media")):
        return await _save(update, context, answered=True)
    return await ask_add(update, context)


async def ask_add(update: Update, context: BotContext) -> str:
    current = state(context)
    current["step"] = ADD
    t = context.t
    await say(
        update,
        context,
        t(
            "You can add information to {code}: write it, send a voice message or photos. Tap Done when you have finished, or /exit to leave."
        ).format(code=esc(current.get("code", ""))),
        keyboard([[(t("Done ➜"), f"{P}:add:done")]]),
    )
    return ADD


def _done_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    return keyboard([[(context.t("Done ➜"), f"{P}:add:done")]])


async def add_text(update: Update, context: BotContext) -> str | int:
    current = state(context)
    typed = typed_button(update, current.get(BUTTONS))
    if typed == f"{P}:add:done":  # "Xong", not information
        return await add_done(update, context)
    if typed is not None and typed.startswith(f"{P}:add:dgr:"):  # "Không" to the danger question
        return await danger_chosen(update, context)
    added = pieces.add_text(cipher_for(context), current, text_of(update))
    if added is Added.NOTHING:
        return await ask_add(update, context)
    if added is Added.FULL:
        too_much = context.t(
            "That is more text than one addition can hold. Tap Done, then add the rest again."
        )
        await say(update, context, too_much, _done_keyboard(context))
        return ADD
    await say(update, context, pieces.received(context.t, current), _done_keyboard(context))
    return ADD


async def add_media(update: Update, context: BotContext) -> str:
    t = context.t
    current = state(context)
    added = pieces.add_media(cipher_for(context), current, update)
    if added is Added.NOTHING:
        return await ask_add(update, context)
    if added is Added.FULL:
        full = t("At most {max} photos or recordings fit in one report. Tap Done.")
        await say(update, context, full.format(max=MAX_MEDIA), _done_keyboard(context))
        return ADD
    await say(update, context, pieces.received(t, current), _done_keyboard(context))
    return ADD


async def add_done(update: Update, context: BotContext) -> str | int:
    t = context.t
    query = update.callback_query
    current = state(context)
    if not current.get("text") and not current.get("media"):
        refusal = t("Send some information first, or /exit to leave.")
        if query is not None:
            await query.answer(refusal, show_alert=True)
        else:
            await say(update, context, refusal)
        return ADD
    if "danger" not in current:  # typed before answering: ask, then send
        current["send_after_danger"] = True
        await settle_query(update, None)
        return await ask_danger_again(update, context)
    return await _save(update, context)


async def _save(update: Update, context: BotContext, answered: bool = False) -> str | int:
    t = context.t
    current = state(context)
    cipher = cipher_for(context)
    text, media = pieces.opened(cipher, current)
    services = context.services
    saved = False
    try:
        await db.retrying(
            services.sessions,
            lambda session: followup.add_from_reporter(
                session,
                cipher,
                int(current["incident"]),
                text=text or None,
                media=media,
                danger_now=bool(current.get("danger")),
                now=services.clock(),
                policy=policy_of(services.settings),
                texts=translator,
            ),
        )
        saved = True
    except SQLAlchemyError:
        log.exception("could not store added information")
    if not saved:
        await say(
            update,
            context,
            t(
                "It is NOT saved yet: we have a technical problem. Nothing is lost. Please tap Done again in a minute."
            ),
            _done_keyboard(context),
        )
        return ADD
    wake_sender(context)
    if not answered:
        await settle_query(update, None)
    code = str(current.get("code", ""))
    return await _end_with(
        update, context, t("✅ Added to {code}. Thank you.").format(code=esc(code))
    )

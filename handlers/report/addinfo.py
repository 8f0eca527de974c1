"""``/report CODE``: whoever has a reference code can add information to that
report (text, voice, photos), in discreet mode. They cannot read the report.
Wrong codes are limited per hour, so codes cannot be tried one after another."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.i18n import translator
from handlers.alerts import wake_sender
from handlers.report import pieces
from handlers.report.conversation import (
    RETRY_DELAYS,
    P,
    cipher_for,
    finish,
    settle_query,
    state,
)
from handlers.report.discreet import remember_update, say
from handlers.report.pieces import Added
from handlers.ui import esc, keyboard, text_of
from storage import incidents
from storage.incidents.intake import MAX_MEDIA
from storage.models import Incident

log = logging.getLogger(__name__)
ADD = "ADD"
TRIES_KEY = "report_code_tries"
MAX_TRIES = 5
TRIES_WINDOW = timedelta(hours=1)


def _recent_tries(context: BotContext) -> list[float]:
    assert context.user_data is not None
    now = context.services.clock().timestamp()
    tries = [
        float(x)
        for x in context.user_data.get(TRIES_KEY, [])
        if now - float(x) < TRIES_WINDOW.total_seconds()
    ]
    context.user_data[TRIES_KEY] = tries
    return tries


async def _end_with(update: Update, context: BotContext, text: str) -> int:
    await finish(update, context)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, protect_content=True)
    return ConversationHandler.END


async def start_adding(update: Update, context: BotContext, raw_code: str) -> str | int:
    t = context.t
    current = state(context)
    current.clear()
    current.update(step=ADD, key=uuid.uuid4().hex)
    remember_update(update, context)
    tries = _recent_tries(context)
    if len(tries) >= MAX_TRIES:
        return await _end_with(
            update, context, t("Too many wrong reference codes. Please try again in an hour.")
        )
    async with context.services.sessions() as session:
        incident = await incidents.find_by_code(session, raw_code[:40])
    if incident is None:
        tries.append(context.services.clock().timestamp())
        return await _end_with(
            update,
            context,
            t(
                "No report has this reference. Check it and send /report followed by the code again."
            ),
        )
    current.update(incident=incident.id, code=incident.code)
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


async def add_text(update: Update, context: BotContext) -> str:
    current = state(context)
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
    assert query is not None
    current = state(context)
    if not current.get("text") and not current.get("media"):
        await query.answer(t("Send some information first, or /exit to leave."), show_alert=True)
        return ADD
    cipher = cipher_for(context)
    text, media = pieces.opened(cipher, current)
    services = context.services
    saved = False
    for delay in (*RETRY_DELAYS, None):
        try:
            async with services.sessions.begin() as session:
                incident = await session.get(Incident, int(current["incident"]))
                if incident is not None:
                    await incidents.add_note(
                        session,
                        cipher,
                        incident,
                        author_id=None,
                        text=text or None,
                        media=media,
                        now=services.clock(),
                        texts=translator,
                    )
            saved = True
            break
        except SQLAlchemyError:
            log.exception("could not store added information")
            if delay is None:
                break
            await asyncio.sleep(delay)
    if not saved:
        await say(
            update,
            context,
            t(
                "It is NOT saved yet: we have a technical problem. Nothing is lost. Please tap Done again in a minute."
            ),
        )
        return ADD
    wake_sender(context)
    await settle_query(update, None)
    code = str(current.get("code", ""))
    return await _end_with(
        update, context, t("✅ Added to {code}. Thank you.").format(code=esc(code))
    )

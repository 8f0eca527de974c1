"""``/report CODE``: whoever has a reference code can add information to that
report (text, voice, photos), in discreet mode. They cannot read the report.
Wrong codes are limited per hour, so codes cannot be tried one after another."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.i18n import translator
from handlers.alerts import wake_sender
from handlers.report.conversation import (
    RETRY_DELAYS,
    P,
    cipher_for,
    finish,
    media_of,
    settle_query,
    state,
)
from handlers.report.discreet import remember_update, say
from handlers.ui import esc, keyboard, text_of
from storage import incidents
from storage.incidents.intake import MAX_DESCRIPTION, MAX_MEDIA
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


def _ack(context: BotContext) -> str:
    current = state(context)
    return context.t(
        "Received: {texts} written, {media} photos or recordings. Send more, or tap Done."
    ).format(texts=len(current.get("text", [])), media=len(current.get("media", [])))


async def add_text(update: Update, context: BotContext) -> str:
    t = context.t
    current = state(context)
    text = text_of(update).strip()
    used = int(current.get("text_len", 0))
    if not text:
        return await ask_add(update, context)
    if used + len(text) > MAX_DESCRIPTION:
        await say(
            update,
            context,
            t("That is more text than one addition can hold. Tap Done, then add the rest again."),
        )
        return ADD
    current.setdefault("text", []).append(cipher_for(context).encrypt("draft.text", text))
    current["text_len"] = used + len(text)
    await say(update, context, _ack(context), keyboard([[(t("Done ➜"), f"{P}:add:done")]]))
    return ADD


async def add_media(update: Update, context: BotContext) -> str:
    t = context.t
    current = state(context)
    found = media_of(update)
    media: list[str] = current.setdefault("media", [])
    if found is None:
        return await ask_add(update, context)
    if len(media) >= MAX_MEDIA:
        await say(
            update,
            context,
            t("At most {max} photos or recordings fit in one report. Tap Done.").format(
                max=MAX_MEDIA
            ),
        )
        return ADD
    kind, file_id = found
    media.append(
        cipher_for(context).encrypt_json("draft.media", {"kind": kind, "file_id": file_id})
    )
    await say(update, context, _ack(context), keyboard([[(t("Done ➜"), f"{P}:add:done")]]))
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
    text = "\n\n".join(cipher.decrypt("draft.text", p) for p in current.get("text", []))
    media = [
        incidents.Media(str(item["kind"]), str(item["file_id"]))
        for item in (cipher.decrypt_json("draft.media", m) for m in current.get("media", []))
    ]
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

"""/log step: photos, a voice note and a note, all optional."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from telegram import Message, Update

from bot.context import BotContext
from handlers.activities.asking import choose
from handlers.activities.draft import (
    OPTIONAL,
    advance_to_next,
    ask_step,
    pressed,
    state_of,
    with_back,
)
from handlers.activities.texts import explain
from handlers.kit import match_label, take_text
from handlers.ui import keyboard
from storage import activities
from storage.activities import (
    MAX_PHOTOS,
    ActivityProblem,
    Problem,
)

log = logging.getLogger(__name__)


# Photos, voice note, note.
def _optional_rows(context: BotContext) -> list[list[Any]]:
    t = context.t
    state = state_of(context)
    rows = [[(t("Continue ➡"), "lo:done")]]
    if state.get("photo_file_ids") or state.get("voice_file_id") or state.get("note"):
        rows.append([(t("🗑 Remove photos and note"), "lo:clear")])
    return with_back(context, rows)


async def ask_optional(update: Update, context: BotContext) -> str | int:
    state_of(context)["step"] = OPTIONAL
    t = context.t
    await ask_step(
        update,
        context,
        t(
            "Optional: send up to {max} photos, a voice note, or type a note (up to 1,000 characters). Press Continue when you are done."
        ).format(max=MAX_PHOTOS),
        keyboard(_optional_rows(context)),
    )
    return OPTIONAL


async def _optional_ack(update: Update, context: BotContext, text: str) -> str | int:
    await ask_step(update, context, text, keyboard(_optional_rows(context)))
    return OPTIONAL


async def _keep_media(context: BotContext, file_id: str, suffix: str) -> None:
    """Download a file only when the operator asked for it (BINHDANG_ACTIVITY_MEDIA_DIR)."""
    folder = context.services.settings.activity_media_dir
    if not folder:
        return
    try:
        await asyncio.to_thread(Path(folder).mkdir, parents=True, exist_ok=True)
        found = await context.bot.get_file(file_id)
        await found.download_to_drive(Path(folder) / f"{found.file_unique_id}{suffix}")
    except Exception:  # the file_id is kept; the copy can be fetched later
        log.warning("could not download %s", file_id, exc_info=True)


async def photo_received(update: Update, context: BotContext) -> str | int:
    t = context.t
    message = update.effective_message
    assert isinstance(message, Message) and message.photo
    state = state_of(context)
    photos: list[str] = list(state.get("photo_file_ids") or [])
    if len(photos) >= MAX_PHOTOS:
        problem = ActivityProblem(Problem.TOO_MANY_PHOTOS, max=MAX_PHOTOS)
        return await _optional_ack(update, context, explain(t, problem))
    file_id = message.photo[-1].file_id
    photos.append(file_id)
    state["photo_file_ids"] = photos
    if message.caption and not state.get("note"):
        with contextlib.suppress(ActivityProblem):  # a caption is a bonus, not an answer
            state["note"] = activities.clean_note(message.caption)
    await _keep_media(context, file_id, ".jpg")
    return await _optional_ack(
        update,
        context,
        t("Photo {count} of {max} received.").format(count=len(photos), max=MAX_PHOTOS),
    )


async def voice_received(update: Update, context: BotContext) -> str | int:
    message = update.effective_message
    assert isinstance(message, Message) and message.voice
    state = state_of(context)
    replaced = bool(state.get("voice_file_id"))
    state["voice_file_id"] = message.voice.file_id
    await _keep_media(context, message.voice.file_id, ".ogg")
    t = context.t
    text = t("Voice note replaced.") if replaced else t("Voice note received.")
    return await _optional_ack(update, context, text)


async def note_typed(update: Update, context: BotContext) -> str | int:
    t = context.t
    text = await take_text(update, context)
    if text is None:  # the first part of a split message: the rest is on its way
        return OPTIONAL
    if match_label(text, [(t("Continue ➡"), True), (t("Done ➡"), True)]):
        state_of(context)["optional_done"] = True
        return await advance_to_next(update, context, None)
    try:
        note = activities.clean_note(text)
    except ActivityProblem as problem:
        return await _optional_ack(update, context, explain(t, problem))
    state = state_of(context)
    replaced = bool(state.get("note"))
    state["note"] = note
    text = t("Note replaced.") if replaced else t("Note saved.")
    return await _optional_ack(update, context, text)


async def optional_pressed(update: Update, context: BotContext) -> str | int:
    state = state_of(context)
    if pressed(update) == "lo:clear":
        for field in ("photo_file_ids", "voice_file_id", "note"):
            state.pop(field, None)
        choose(update, context.t("🗑 Remove photos and note"))
        return await ask_optional(update, context)
    state["optional_done"] = True
    return await advance_to_next(update, context, None)

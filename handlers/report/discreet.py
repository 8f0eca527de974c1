"""Discreet mode (chế độ kín đáo) of /report: every message of the
conversation is sent with ``protect_content``, and the ids of both sides are
kept in the draft, so that after submission or ``/exit`` the whole
conversation is deleted from the reporter's chat.

What the reporter types is encrypted before it enters the draft (which is
persisted), with the same key as the stored report."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.context import BotContext
from handlers.flow import draft

log = logging.getLogger(__name__)

KEY = "report"
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids


def active(context: BotContext) -> bool:
    data = context.user_data
    value = data.get(KEY) if data else None
    return isinstance(value, dict) and "step" in value


def remember(context: BotContext, message_id: int) -> None:
    ids: list[int] = draft(context, KEY).setdefault("msgs", [])
    if message_id not in ids:
        ids.append(message_id)


def remember_update(update: Update, context: BotContext) -> None:
    message = update.message
    if message is not None:
        remember(context, message.message_id)


async def note_incoming(update: Update, context: BotContext) -> None:
    """Group -9: every message the reporter sends during the conversation is
    remembered, whatever handles it (a wrong input, a command)."""
    if update.message is not None and active(context):
        remember(context, update.message.message_id)


async def say(update: Update, context: BotContext, text: str, markup: Any = None) -> Message:
    """Send in the reporter's chat, protected, and remember it for deletion."""
    chat = update.effective_chat
    assert chat is not None
    message = await chat.send_message(text, reply_markup=markup, protect_content=True)
    remember(context, message.message_id)
    return message


async def wipe(context: BotContext, chat_id: int) -> int:
    """Delete both sides of the conversation. Returns how many ids were asked."""
    ids: list[int] = list(draft(context, KEY).get("msgs", []))
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start : start + DELETE_BATCH]
        for attempt in range(3):
            try:
                await context.bot.delete_messages(chat_id, batch)
                break
            except RetryAfter as exc:
                await asyncio.sleep(min(_seconds(exc.retry_after), 5.0))
            except (TimedOut, NetworkError) as exc:
                if isinstance(exc, BadRequest):
                    # Older than 48 hours, or already deleted by the reporter.
                    log.info("could not delete %d report messages: %s", len(batch), exc)
                    break
                await asyncio.sleep(0.5 * (attempt + 1))
            except TelegramError as exc:
                log.info("could not delete %d report messages: %s", len(batch), exc)
                break
    draft(context, KEY)["msgs"] = []
    return len(ids)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

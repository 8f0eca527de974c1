"""Discreet mode (chế độ kín đáo) of /report: every message of the
conversation is sent with ``protect_content``, and the ids of both sides are
kept in the draft, so that after submission or ``/exit`` the whole
conversation is deleted from the reporter's chat.

What the reporter types is encrypted before it enters the draft (which is
persisted), with the same key as the stored report.

A reporter who stops half-way is not left with the conversation on screen:
each input stamps the draft (``scheduler.abandoned.SEEN``), and after
``BINHDANG_REPORT_DRAFT_MINUTES`` without one the periodic check calls
:func:`abandon`, which erases the same messages as ``/exit``, silently.

The draft is saved with each update; a durable row (``storage.erasures``),
committed before the report's first message is sent and removed once its
messages are erased, covers what a crash kept out of the saved list, and
lets the check find a report whose end was cut short."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ConversationHandler

from bot.context import SERVICES_KEY, BotContext
from handlers.delivery import RECENT, keep_on_failure
from handlers.flow import draft
from handlers.kit import remember_buttons
from scheduler import abandoned
from storage import erasures

log = logging.getLogger(__name__)

KEY = "report"
CHAT = "chat"  # in the draft: the chat of the conversation, to erase it from outside
MESSAGES = "msgs"  # in the draft: the ids of both sides, to erase
# In user_data: ids an erasure could not delete (Telegram did not answer);
# the erase row is kept, so the draft sweeper tries them again.
UNERASED = "report_unerased"
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids
# A failed update must not forget the messages it sent or received.
keep_on_failure(KEY, MESSAGES)


def active(context: BotContext) -> bool:
    data = context.user_data
    value = data.get(KEY) if data else None
    return isinstance(value, dict) and "step" in value


def remember(context: BotContext, message_id: int) -> None:
    ids: list[int] = draft(context, KEY).setdefault(MESSAGES, [])
    if message_id not in ids:
        ids.append(message_id)


def remember_update(update: Update, context: BotContext) -> None:
    message = update.message
    if message is not None:
        remember(context, message.message_id)


def touch(context: BotContext) -> None:
    """The reporter is still there: the draft's idle time starts again."""
    abandoned.touch(draft(context, KEY), context.services.clock())


async def note_incoming(update: Update, context: BotContext) -> None:
    """Group -9: every message the reporter sends during the conversation is
    remembered, whatever handles it (a wrong input, a command), and any input
    (a button too) keeps the draft alive. The update is noted on the erase row
    first (``storage.erasures.note_update``)."""
    if not active(context) or update.effective_chat is None or update.effective_user is None:
        return
    data = context.user_data or {}
    saved = [i for i in data.get(RECENT, []) if i != update.update_id]
    async with context.services.sessions.begin() as session:
        await erasures.note_update(
            session,
            update.effective_chat.id,
            update.effective_user.id,
            update.update_id,
            saved,
            draft(context, KEY).get(MESSAGES, []),
        )
    touch(context)
    if update.message is not None:
        remember(context, update.message.message_id)


async def open_erasure(update: Update, context: BotContext) -> None:
    """Before the report's first message: the row that erases it all later."""
    chat, user, message = update.effective_chat, update.effective_user, update.message
    if chat is None or user is None or message is None:
        return
    async with context.services.sessions.begin() as session:
        await erasures.open_report(session, chat.id, user.id, message.message_id, update.update_id)


async def say(update: Update, context: BotContext, text: str, markup: Any = None) -> Message:
    """Send in the reporter's chat, protected, and remember it for deletion."""
    chat = update.effective_chat
    assert chat is not None
    message = await chat.send_message(text, reply_markup=markup, protect_content=True)
    remember(context, message.message_id)
    remember_buttons(draft(context, KEY), markup)  # a label typed counts as pressed
    return message


async def wipe(context: BotContext, chat_id: int) -> int:
    """Delete both sides of the conversation. Returns how many ids were asked."""
    data = context.user_data if context.user_data is not None else {}
    listed: list[int] = [*draft(context, KEY).get(MESSAGES, []), *data.pop(UNERASED, [])]
    saved = data.get(RECENT, [])
    count, left = await erase(context.services.sessions, context.bot, chat_id, listed, saved)
    draft(context, KEY)[MESSAGES] = []
    if left:
        data[UNERASED] = left
    return count


async def erase(
    sessions: async_sessionmaker[AsyncSession],
    bot: Bot,
    chat_id: int,
    listed: list[int],
    saved: list[int],
) -> tuple[int, list[int]]:
    """Delete the listed ids and what the erase row adds, then drop the row.
    Returns how many ids were asked, and those Telegram could not be asked
    to delete (it did not answer): then the row stays, for another try."""
    async with sessions() as session:
        ids = await erasures.to_erase(session, chat_id, listed, saved)
    left = await delete_ids(bot, chat_id, ids)
    if not left:
        async with sessions.begin() as session:
            await erasures.close(session, chat_id)
    return len(ids), left


async def delete_ids(bot: Bot, chat_id: int, ids: list[int]) -> list[int]:
    """Delete these messages, as many as Telegram still allows. Returns the
    ids of the batches it did not answer for (network errors, time-outs)."""
    left: list[int] = []
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start : start + DELETE_BATCH]
        for attempt in range(3):
            try:
                await bot.delete_messages(chat_id, batch)
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
        else:
            log.warning("Telegram did not answer: %d report messages left to erase", len(batch))
            left.extend(batch)
    return left


async def abandon(
    application: Application[Any, Any, Any, Any, Any, Any],
    conversation: ConversationHandler[Any],
    user_id: int,
) -> int:
    """The reporter stopped half-way: end the conversation and forget the
    draft (before any ``await``, see ``scheduler.abandoned.Discard``), then
    erase both sides from the chat. Nothing is sent: any message would hint
    at what was erased. Returns how many ids were asked."""
    data = application.user_data.get(user_id)
    current = data.pop(KEY, None) if isinstance(data, dict) else None
    if not isinstance(current, dict):
        current = {}  # a report whose end was cut short: only its erase row is left
    chat_id = int(current.get(CHAT) or user_id)
    # PTB has no public way to end a conversation outside an update; this is
    # what its own conversation_timeout does. The sweep runs in the user's
    # turn, which saves the change when it ends.
    conversation._update_state(ConversationHandler.END, (chat_id, user_id))
    ids = [int(i) for i in current.get(MESSAGES, [])]
    saved = data.get(RECENT, []) if isinstance(data, dict) else []
    if isinstance(data, dict):
        ids += [int(i) for i in data.pop(UNERASED, [])]
    services = application.bot_data[SERVICES_KEY]
    count, left = await erase(services.sessions, application.bot, chat_id, ids, saved)
    if left and isinstance(data, dict):
        data[UNERASED] = left
    return count


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

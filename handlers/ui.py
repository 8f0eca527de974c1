"""Small building blocks shared by the conversations: keyboards and safe
sends (the steps themselves are made with ``handlers.kit``)."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.context import BotContext
from storage import users

log = logging.getLogger(__name__)

Button = tuple[str, str]
T = TypeVar("T")


def esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def columns(buttons: Sequence[Button], width: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_message(text, reply_markup=markup)


async def settle(query: CallbackQuery, chosen: str | None = None) -> None:
    """Acknowledge a pressed button and take the keyboard off its message, so it
    cannot be pressed again; ``chosen`` is appended to the text."""
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    try:
        if chosen and message.text_html:
            await message.edit_text(f"{message.text_html}\n➜ <b>{esc(chosen)}</b>")
        else:
            await message.edit_reply_markup(None)
    except BadRequest as exc:
        log.debug("could not settle message: %s", exc)


async def advance(update: Update, chosen: str | None, next_step: Awaitable[T]) -> T:
    """Ask the next question, then settle the pressed button. If asking fails,
    the button stays, so the user can press it again after the apology."""
    state = await next_step
    if update.callback_query is not None:
        await settle(update.callback_query, chosen)
    return state


async def send_to(
    context: BotContext, telegram_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send to another user. A user who blocked the bot is marked and skipped;
    a rate limit or a network fault is retried a few times."""
    for attempt in range(4):
        try:
            return await context.bot.send_message(telegram_id, text, reply_markup=markup)
        except Forbidden:
            async with context.services.sessions.begin() as session:
                await users.mark_blocked(session, telegram_id)
            return None
        except RetryAfter as exc:
            await _sleep(exc.retry_after)
        except BadRequest as exc:
            log.warning("cannot send to %s: %s", telegram_id, exc)
            return None
        except (TimedOut, NetworkError):
            await _sleep(0.5 * 2**attempt)
    log.warning("giving up sending to %s", telegram_id)
    return None


async def _sleep(seconds: float | timedelta) -> None:
    delay = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
    await asyncio.sleep(min(delay, 30.0))


def text_of(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""

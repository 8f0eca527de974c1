"""How the /log conversation talks. A pressed button turns its question
message into the next question (one request instead of a new message plus an
edit: less to download on a slow connection, and half the share of Telegram's
30 messages/s), a mistake made with a button is explained in its toast, and
typed input is answered with new messages below it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from handlers.kit import remember_buttons
from handlers.ui import esc

log = logging.getLogger(__name__)

# Set per update (each update runs in a task of its own); keyed by the
# callback query id so that nothing can leak to another update.
_answered: ContextVar[str | None] = ContextVar("log_answered", default=None)
_chosen: ContextVar[tuple[str, str] | None] = ContextVar("log_chosen", default=None)
MAX_TOAST = 200  # Telegram's limit for the text of a callback answer


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer the pressed button (stops its spinner), once per update."""
    await _answering(update, text, alert)


def _answering(update: Update, text: str | None = None, alert: bool = False) -> Awaitable[None]:
    """Claim the answer in the caller's context (so that it holds even when the
    request then runs in a task of ``asyncio.gather``) and return the request."""
    query = update.callback_query
    if query is None or _answered.get() == query.id:
        return asyncio.sleep(0)
    _answered.set(query.id)

    async def request() -> None:
        try:
            await query.answer(text[:MAX_TOAST] if text else None, show_alert=alert)
        except BadRequest as exc:  # too old (after a restart), or answered already
            log.debug("could not answer %s: %s", query.id, exc)

    return request()


def choose(update: Update, label: str | None) -> None:
    """The answer the pressed button gave, shown above the next question."""
    query = update.callback_query
    if query is not None and label:
        _chosen.set((query.id, label))


async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """A new message in the chat of the update."""
    await answer(update)
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, reply_markup=markup)


async def ask(
    update: Update,
    state: dict[str, Any],
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Ask a question: in place of the question whose button was pressed,
    otherwise as a new message, which becomes the current question."""
    if markup is not None and not any(markup.inline_keyboard):
        markup = None  # Telegram refuses a keyboard without buttons
    remember_buttons(state, markup)  # a label typed counts as pressed
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message) and message.message_id == state.get("msg"):
        chosen = _chosen.get()
        head = ""
        if query is not None and chosen is not None and chosen[0] == query.id:
            head = f"➜ <b>{esc(chosen[1])}</b>\n\n"
        edited, _ = await asyncio.gather(
            message.edit_text(head + text, reply_markup=markup),
            _answering(update),
            return_exceptions=True,
        )
        if not isinstance(edited, BaseException):
            return
        if not isinstance(edited, BadRequest):
            raise edited
        if "not modified" in edited.message.lower():
            return
        log.debug("could not ask in place: %s", edited)
    sent = await say(update, text, markup)
    state["msg"] = sent.message_id


async def edit_keyboard(update: Update, markup: InlineKeyboardMarkup) -> bool:
    """New buttons on the pressed message (a ✓ toggled); False if it failed."""
    query = update.callback_query
    assert query is not None
    edited, _ = await asyncio.gather(
        query.edit_message_reply_markup(markup), _answering(update), return_exceptions=True
    )
    if isinstance(edited, BadRequest):
        if "not modified" in edited.message.lower():
            # It shows these buttons already: this press was handled before
            # a crash, and is handled again (redelivered) on the saved state.
            return True
        log.debug("could not update the keyboard: %s", edited)
        return False
    if isinstance(edited, BaseException):
        raise edited
    return True


async def close(update: Update, state: dict[str, Any], text: str) -> None:
    """The last word of the conversation, in place of the summary card if its
    button ended it (the card and its buttons go), otherwise as a new message."""
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message) and message.message_id == state.get("msg"):
        body = message.text_html or ""
        edited, _ = await asyncio.gather(
            message.edit_text(f"{body}\n\n{text}", reply_markup=None),
            _answering(update),
            return_exceptions=True,
        )
        if not isinstance(edited, BaseException):
            return
        if not isinstance(edited, BadRequest):
            raise edited
    await say(update, text)

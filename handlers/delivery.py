"""Updates that are not new input: anything from a group chat, an update
Telegram delivers a second time, and the edit of a message sent earlier.

The bot works in private chats only: a report, a session's figures and
everyone's answers would otherwise be read by the whole group. In a group it
reads nothing; a command there, or being added, gets one pointer to the
private chat.

Telegram delivers an update again when the bot stopped before confirming it
(the offset of the next ``getUpdates``). Its effect may already be in the
saved conversation state: the "45" typed at the total step, read again at the
next step, would become the number of women. The ids of each user's last
updates are kept in their ``user_data``, which is saved in the same write as
the drafts, so an update counts as done exactly when its effect was saved.
Ids are compared for equality, not order: after a week without updates
Telegram starts the ids again from a random number.

An update whose handling fails (Telegram did not take a reply: a 5xx, a
timeout) changes no draft: the conversation stays at its step, since PTB
keeps the state when a callback raises, and the draft is put back as it was
before the update, so that the same answer sent again is read at the same
step, not as the next one. Lists registered with :func:`keep_on_failure`
(the message ids discreet mode must erase) keep what the failed update added."""

from __future__ import annotations

import copy
from contextvars import ContextVar
from typing import Any

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from bot.context import BotContext
from bot.i18n import N_
from handlers.ui import reply

RECENT = "_updates"  # in user_data: the ids of the user's last updates
# The user's data as it was before this update (each update runs in a task of its own).
_before: ContextVar[dict[Any, Any] | None] = ContextVar("user_data_before", default=None)
_KEPT_ON_FAILURE: dict[str, str] = {}
# Redelivered is what the last getUpdates gave before the stop: for one user,
# rarely more than an album of photos.
KEEP = 16

EDIT_NOTICE = N_(
    "I read only new messages, not edits. Please send the corrected answer as a new message."
)

PRIVATE_ONLY = N_(
    "I work only in a private chat, so that what you tell me stays between us. Tap the button below to open it."
)
OPEN_PRIVATE = N_("💬 Open the private chat")


async def outside_private_chat(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    user = update.effective_user
    context.telegram_language = user.language_code if user else None
    t = context.t
    message = update.message
    joined = update.my_chat_member is not None and update.my_chat_member.new_chat_member.status in (
        ChatMember.MEMBER,
        ChatMember.ADMINISTRATOR,
    )
    if update.callback_query is not None:
        await update.callback_query.answer(t(PRIVATE_ONLY), show_alert=True)
    elif joined or (message is not None and (message.text or "").startswith("/")):
        link = InlineKeyboardButton(t(OPEN_PRIVATE), url=f"https://t.me/{context.bot.username}")
        await chat.send_message(t(PRIVATE_ONLY), reply_markup=InlineKeyboardMarkup([[link]]))
    raise ApplicationHandlerStop


def seen_before(user_data: dict[object, object], update_id: int) -> bool:
    """Whether ``update_id`` was handled already; if not, it is noted as handled."""
    recent = user_data.get(RECENT)
    ids = [i for i in recent if isinstance(i, int)] if isinstance(recent, list) else []
    if update_id in ids:
        return True
    user_data[RECENT] = [*ids[-(KEEP - 1) :], update_id]
    return False


async def skip_replayed(update: Update, context: BotContext) -> None:
    if update.effective_user is None or context.user_data is None:
        return
    if seen_before(context.user_data, update.update_id):
        raise ApplicationHandlerStop
    _before.set(copy.deepcopy(context.user_data))


def keep_on_failure(key: str, field: str) -> None:
    """The list ``user_data[key][field]`` keeps what a failed update added."""
    _KEPT_ON_FAILURE[key] = field


def restore_after_failure(user_data: dict[Any, Any] | None) -> None:
    """Put the user's drafts back as they were before the update that failed."""
    before = _before.get()
    if before is None or user_data is None:
        return
    failed = dict(user_data)
    user_data.clear()
    user_data.update(copy.deepcopy(before))
    user_data[RECENT] = failed.get(RECENT, [])
    for key, field in _KEPT_ON_FAILURE.items():
        added = failed.get(key)
        if not isinstance(added, dict) or not isinstance(added.get(field), list):
            continue
        if not isinstance(user_data.get(key), dict):
            user_data[key] = added  # begun by the failed update: kept, to be erased later
            continue
        kept = user_data[key].setdefault(field, [])
        kept.extend(item for item in added[field] if item not in kept)


async def edited_message(update: Update, context: BotContext) -> None:
    """Not read as the answer to the current step, whatever the step is."""
    await reply(update, context.t(EDIT_NOTICE))
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, outside_private_chat), group=-12)
    # Before the profile loader (-10): a replay costs no database read.
    application.add_handler(TypeHandler(Update, skip_replayed), group=-11)
    # After /report's discreet mode (-9, -8), which answers edits in its own way.
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message), group=-7
    )

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
Telegram starts the ids again from a random number."""

from __future__ import annotations

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from bot.context import BotContext
from bot.i18n import N_
from handlers.ui import reply

RECENT = "_updates"  # in user_data: the ids of the user's last updates
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

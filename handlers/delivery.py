"""Updates that are not new input: one Telegram delivers a second time, and
the edit of a message sent earlier.

Telegram delivers an update again when the bot stopped before confirming it
(the offset of the next ``getUpdates``). Its effect may already be in the
saved conversation state: the "45" typed at the total step, read again at the
next step, would become the number of women. The ids of each user's last
updates are kept in their ``user_data``, which is saved in the same write as
the drafts, so an update counts as done exactly when its effect was saved.
Ids are compared for equality, not order: after a week without updates
Telegram starts the ids again from a random number."""

from __future__ import annotations

from telegram import Update
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
    # Before the profile loader (-10): a replay costs no database read.
    application.add_handler(TypeHandler(Update, skip_replayed), group=-11)
    # After /report's discreet mode (-9, -8), which answers edits in its own way.
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message), group=-7
    )

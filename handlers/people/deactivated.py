"""A deactivated person (storage.people) is told so, politely, whatever
they send, except a violence report and the hotlines, which stay open to
everyone. Nothing of theirs is touched: their drafts wait for them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from handlers import hotline, report
from handlers.ui import reply
from storage.models import UserStatus

# Commands a deactivated person may still use: the violence report and the hotlines.
OPEN_COMMANDS = ("report", "exit", "hotline", "help", "language")


def _open_to_everyone(update: Update, context: BotContext) -> bool:
    """A violence report and the hotlines stay open to a deactivated person."""
    message = update.effective_message
    text = ""
    if message is not None and update.callback_query is None:
        text = message.text or ""
    if text.startswith("/"):
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return command in OPEN_COMMANDS
    data = context.user_data or {}
    return report.KEY in data or hotline.KEY in data


async def stop_deactivated(update: Update, context: BotContext) -> None:
    profile = context.profile
    if profile is None or profile.status is not UserStatus.DEACTIVATED:
        return
    if update.effective_chat is None or _open_to_everyone(update, context):
        return
    t = context.t
    text = t(
        "Your account has been deactivated by your coordinator, so the bot cannot take your reports for now. Nothing you entered is lost. Please contact your commune officer if you think this is a mistake. To report violence, send /report; for hotlines, /hotline."
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, text)
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Group -3, after the profile is loaded and before any button or
    conversation; a group of its own, since a TypeHandler takes every update
    of its group (handlers.kit has one at -2)."""
    application.add_handler(TypeHandler(Update, stop_deactivated), group=-3)

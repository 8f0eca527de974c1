"""Conventions for multi-step conversations.

Each conversation keeps its draft in ``context.user_data[<key>]`` (JSON-safe
values only, since it is persisted) with the current step under ``"step"``, so
that any fallback can ask the current question again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.context import BotContext
from handlers.ui import reply

Ask = Callable[[Update, BotContext], Awaitable[object]]


def draft(context: BotContext, key: str) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    value = data.setdefault(key, {})
    assert isinstance(value, dict)
    return value


def drop_draft(context: BotContext, key: str) -> None:
    if context.user_data is not None:
        context.user_data.pop(key, None)


def fallbacks(
    key: str, steps: Mapping[str, Ask], restart: CommandHandler[BotContext, Any] | None = None
) -> list[BaseHandler[Update, BotContext, Any]]:
    """/cancel leaves the conversation; any other command is answered with the
    current question, and the conversation stays where it was."""

    async def cancel(update: Update, context: BotContext) -> int:
        drop_draft(context, key)
        await reply(
            update, context.t("Cancelled. Nothing was saved. Send /help to see what you can do.")
        )
        return ConversationHandler.END

    async def other_command(update: Update, context: BotContext) -> None:
        await reply(
            update,
            context.t("Please finish this step first, or send /cancel to stop."),
        )
        step = draft(context, key).get("step")
        if isinstance(step, str) and step in steps:
            await steps[step](update, context)

    handlers: list[BaseHandler[Update, BotContext, Any]] = [CommandHandler("cancel", cancel)]
    if restart is not None:
        handlers.append(restart)
    handlers.append(MessageHandler(filters.COMMAND, other_command))
    return handlers

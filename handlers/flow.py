"""Conventions for multi-step conversations.

Each conversation keeps its draft in ``context.user_data[<key>]`` (JSON-safe
values only, since it is persisted) with the current step under ``"step"``, so
that any fallback can ask the current question again.
"""

from __future__ import annotations

from typing import Any

from bot.context import BotContext


def draft(context: BotContext, key: str) -> dict[str, Any]:
    data = context.user_data
    assert data is not None
    value = data.setdefault(key, {})
    assert isinstance(value, dict)
    return value


def drop_draft(context: BotContext, key: str) -> None:
    if context.user_data is not None:
        context.user_data.pop(key, None)

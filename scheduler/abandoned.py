"""Conversations left half-way: a draft whose owner has sent nothing for a
while is discarded (for /report: its messages erased from the chat, the draft
forgotten, the conversation ended, and nothing said).

The deadline is data, not a timer: each watched draft holds the time of its
owner's last input (``SEEN``), persisted with the draft, so a restart or a
missed run loses nothing; the periodic job (``scheduler.jobs``) only says
"look now". The conversation registers what discarding means
(:func:`watch`), since only the handler layer knows its messages and state."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import Application

log = logging.getLogger(__name__)

KEY = "abandoned_drafts"  # in application.bot_data: the watched conversations
SEEN = "seen"  # in a draft: the owner's last input, POSIX seconds
EVERY_S = 60.0

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Discard = Callable[[int], Awaitable[object]]
"""Called with the user id. It must forget the draft before its first
``await``: the sweep decides and discards without yielding in between, so an
answer cannot slip in after the decision."""


@dataclass(frozen=True)
class Watch:
    """One conversation whose drafts go after ``idle`` without input."""

    key: str  # the draft's key in user_data; a draft is open while it has a "step"
    idle: timedelta
    discard: Discard


def touch(draft: MutableMapping[str, Any], now: datetime) -> None:
    """Record input now."""
    draft[SEEN] = now.timestamp()


def is_abandoned(draft: Mapping[str, Any], now: datetime, idle: timedelta) -> bool:
    seen = draft.get(SEEN)
    if not isinstance(seen, int | float):
        return False
    return now.timestamp() - float(seen) >= idle.total_seconds()


def watch(application: AnyApplication, conversation: Watch) -> None:
    application.bot_data.setdefault(KEY, []).append(conversation)


def watched(application: AnyApplication) -> list[Watch]:
    found = application.bot_data.get(KEY, [])
    return [w for w in found if isinstance(w, Watch)]


async def sweep(application: AnyApplication, now: datetime) -> list[int]:
    """Discard every watched draft idle for at least its limit; returns the
    users whose draft went. A draft without a time (from before this check
    existed) is given ``now``, so it has its full time from here."""
    discarded: list[int] = []
    changed: list[int] = []
    for conversation in watched(application):
        for user_id, data in list(application.user_data.items()):
            draft = data.get(conversation.key) if isinstance(data, Mapping) else None
            if not isinstance(draft, dict) or "step" not in draft:
                continue
            if SEEN not in draft:
                touch(draft, now)
                changed.append(user_id)
            elif is_abandoned(draft, now, conversation.idle):
                changed.append(user_id)
                try:
                    await conversation.discard(user_id)
                except Exception:
                    log.exception("could not discard an abandoned %s draft", conversation.key)
                else:
                    discarded.append(user_id)
    if changed:
        application.mark_data_for_update_persistence(user_ids=changed)
    if discarded:
        log.info("discarded %d abandoned drafts", len(discarded))
    return discarded

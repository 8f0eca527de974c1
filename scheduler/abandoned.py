"""Conversations left half-way: a draft whose owner has sent nothing for a
while is discarded (for /report: its messages erased from the chat, the draft
forgotten, the conversation ended, and nothing said).

The deadline is data, not a timer: each watched draft holds the time of its
owner's last input (``SEEN``), persisted with the draft, so a restart or a
missed run loses nothing; the periodic job (``scheduler.jobs``) only says
"look now". The conversation registers what discarding means
(:func:`watch`), since only the handler layer knows its messages and state.

Each user is looked at in their turn (``application.states``, see
``bot.processor.UserStates``): never during one of their updates, on the
state the last one saved (read from the database when several processes
share it), and what the sweep changes is saved when the turn ends. Besides
the drafts in this process's memory, a conversation may name users to look
at (``Watch.candidates``: for /report, every report with an erase row, so
one another process left, or whose end a crash cut short, is found too);
a candidate without an open draft is discarded at once."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

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
    candidates: Callable[[], Awaitable[list[int]]] | None = None


class Turns(Protocol):
    def hold(self, user_id: int) -> contextlib.AbstractAsyncContextManager[None]: ...


@contextlib.asynccontextmanager
async def turn(application: AnyApplication, user_id: int) -> AsyncIterator[None]:
    states: Turns | None = getattr(application, "states", None)
    if states is None:
        yield
        return
    async with states.hold(user_id):
        yield


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


def _open_draft(data: object, key: str) -> dict[str, Any] | None:
    draft = data.get(key) if isinstance(data, Mapping) else None
    return draft if isinstance(draft, dict) and "step" in draft else None


async def _look_at(
    application: AnyApplication, conversation: Watch, user_id: int, now: datetime, named: bool
) -> bool:
    """In the user's turn: discard their draft if it is due; True if it went."""
    async with turn(application, user_id):
        draft = _open_draft(application.user_data.get(user_id), conversation.key)
        if draft is None and not named:
            return False
        if draft is not None and SEEN not in draft:
            touch(draft, now)
            return False
        if draft is not None and not is_abandoned(draft, now, conversation.idle):
            return False
        await conversation.discard(user_id)
        return True


async def sweep(application: AnyApplication, now: datetime) -> list[int]:
    """Discard every watched draft idle for at least its limit; returns the
    users whose draft went. A draft without a time (from before this check
    existed) is given ``now``, so it has its full time from here."""
    discarded: list[int] = []
    for conversation in watched(application):
        users = {
            user_id
            for user_id, data in application.user_data.items()
            if _open_draft(data, conversation.key) is not None
        }
        named = set(await conversation.candidates()) if conversation.candidates else set()
        for user_id in sorted(users | named):
            try:
                if await _look_at(application, conversation, user_id, now, user_id in named):
                    discarded.append(user_id)
            except Exception:
                log.exception("could not discard an abandoned %s draft", conversation.key)
    if discarded:
        log.info("discarded %d abandoned drafts", len(discarded))
    return discarded

"""Concurrent update processing that keeps each user's updates in order.

PTB processes one update at a time by default, so a slow database call for
one user delays everyone. :class:`PerUserUpdateProcessor` runs the updates of
different users at the same time, while the updates of one user (a double tap,
a photo album, text typed quickly) still run one after the other, in the order
Telegram sent them, which conversations and drafts rely on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own semaphore is taken before ``do_process_update``; if it were ever
# full, waiting updates could be released out of order. It is kept far above
# the real limit, which is applied below, after each update has its place in
# its user's queue.
_UNBOUNDED = 1_000_000


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """At most ``max_concurrent`` updates at once, one at a time per user (or per
    chat, for updates without a user)."""

    def __init__(self, max_concurrent: int = 16) -> None:
        super().__init__(_UNBOUNDED)
        self._limit = asyncio.BoundedSemaphore(max_concurrent)
        self._tails: dict[int, asyncio.Future[None]] = {}

    @staticmethod
    def _key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        if key is None:
            async with self._limit:
                await coroutine
            return
        # Runs without suspending up to the first await, so updates take their
        # place in the queue in the order PTB hands them over.
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await previous
            async with self._limit:
                await coroutine
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

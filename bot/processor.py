"""Concurrent update processing that keeps each user's updates in order.

PTB processes one update at a time by default, so a slow database call for
one user delays everyone. :class:`PerUserUpdateProcessor` runs the updates of
different users at the same time, while the updates of one user (a double tap,
a photo album, text typed quickly) still run one after the other, in the order
Telegram sent them, which conversations and drafts rely on.

:class:`UserStates` makes each update's state durable, and, with several
processes on one PostgreSQL database, orders one user's updates across them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, BaseUpdateProcessor

from storage.persistence import (
    Changes,
    Conversations,
    SqlPersistence,
    UserState,
    changes,
    pg_turn,
)

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


class UserStates:
    """Each update of a user runs on the state the previous one left, and
    leaves its own committed before :meth:`hold` returns.

    One process (SQLite): the process's memory is the truth; the state is
    written when the update ends, in one transaction with the states of the
    other users' updates that end at the same time (:class:`GroupCommit`).
    Several processes (``shared``, PostgreSQL): a transaction takes the advisory lock of the user (held by whichever
    process runs one of their updates, freed with the commit or when the
    connection drops), reads the user's data and steps from the database into
    the Application, runs the update, and writes them back, then commits."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        persistence: SqlPersistence,
        *,
        shared: bool,
    ) -> None:
        self.application = application
        self.persistence = persistence
        self.shared = shared
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}  # holders and waiters of each lock
        self._commits = GroupCommit(persistence)

    def _changes(self, user_id: int, before: Conversations) -> Changes:
        data = self.application.user_data.get(user_id, {})
        return changes(user_id, data, self._current(user_id), before)

    def _steps(self) -> dict[str, Any]:
        found: dict[str, Any] = self.application._conversation_handler_conversations
        return found

    def _current(self, user_id: int) -> Conversations:
        key = (user_id, user_id)
        return {name: {key: d.data[key]} for name, d in self._steps().items() if key in d.data}

    def _install(self, user_id: int, state: UserState) -> None:
        data = self.application.user_data[user_id]  # created if missing
        data.clear()
        data.update(state.data)
        key = (user_id, user_id)
        for name, steps in self._steps().items():
            stored = state.conversations.get(name, {})
            if key in stored:
                steps.data[key] = stored[key]
            else:
                steps.data.pop(key, None)

    @contextlib.asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[None]:
        """Run the body as this user's turn; their state is committed after it.
        If the body raises, nothing is written."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:
                if not self.shared:
                    before = self._current(user_id)
                    yield
                    await self._commits.save(self._changes(user_id, before))
                    return
                names = self.persistence.names
                async with pg_turn(self.persistence.sessions, names, user_id) as turn:
                    self._install(user_id, await turn.load(user_id))
                    before = self._current(user_id)
                    yield
                    await turn.write(self._changes(user_id, before))
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id], self._locks[user_id]


class GroupCommit:
    """Writes that arrive while one is being committed go together in the
    next transaction; each caller returns once its own is committed. On
    SQLite, where writes queue for one lock, this turns many small
    transactions into a few."""

    def __init__(self, persistence: SqlPersistence) -> None:
        self.persistence = persistence
        self._pending: list[tuple[Changes, asyncio.Future[None]]] = []
        self._running = False
        self._task: asyncio.Task[None] | None = None

    async def save(self, entry: Changes) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, done))
        if not self._running:
            self._running = True
            self._task = asyncio.create_task(self._run())
        await done

    async def _run(self) -> None:
        try:
            while self._pending:
                await asyncio.sleep(0)  # the updates ending in this round join
                batch, self._pending = self._pending, []
                try:
                    async with self.persistence.engine.begin() as connection:
                        await self.persistence.write(connection, [entry for entry, _ in batch])
                except BaseException as exc:  # each caller gets it, and decides
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._running = False


def user_of(update: object) -> int | None:
    """The user whose state an update reads and changes (a private chat's)."""
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        return None
    return update.effective_user.id

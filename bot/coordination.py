"""How bot processes keep out of each other's way: PostgreSQL is the only
coordination engine (docs/deploy.md).

- :class:`Election`: one leader at a time, by a session-level advisory lock
  held on a connection of its own. The lock is freed the moment that
  connection drops (the leader's process died, or lost the database), and a
  standby that asks again every ``retry_s`` takes it.
- :class:`ChangeFeed`: ``LISTEN`` on a connection of its own; the other
  processes' ``NOTIFY`` (a changed user, new outbox entries) arrive within
  milliseconds.
- :class:`SingleProcessLock`: on SQLite only one process may run; a second
  one is refused at start.

The dedicated connections come from the engine's pool (so they have its
settings: credentials, ``search_path``) and are closed, never returned to it:
a session-level lock must not outlive its holder in a pooled connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# One leader per database and schema (the tests run in schemas of their own).
_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtext('binhdang-leader:' || current_schema()))"
CHECK_TIMEOUT_S = 3.0


class AlreadyRunning(Exception):
    """Another process holds the database (SQLite); the message is one line."""


# Lock files this process holds, by path: the command line takes the lock
# before anything opens the database, the runtime takes it again.
_held: dict[Path, TextIO] = {}


class SingleProcessLock:
    """An exclusive lock on a file beside the SQLite database, held for the
    life of the process; the kernel frees it when the process dies, even by
    ``kill -9``. Taking it again in the process that holds it is a no-op."""

    def __init__(self, database_url: str) -> None:
        self.path: Path | None = None
        if database_url.startswith("sqlite") and ":memory:" not in database_url:
            database = database_url.split(":///", 1)[-1]
            if database:
                self.path = Path(database + ".lock")
        self._file: TextIO | None = None

    def acquire(self) -> None:
        if self.path is None or self._file is not None or self.path.resolve() in _held:
            return
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            database = str(self.path)[: -len(".lock")]
            raise AlreadyRunning(
                f"another bot process (pid {holder}) already runs on the SQLite database "
                f"{database}; stop it first, or use PostgreSQL to run several processes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        _held[self.path.resolve()] = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            assert self.path is not None
            _held.pop(self.path.resolve(), None)
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


async def _dedicated(engine: AsyncEngine) -> tuple[AsyncConnection, Any]:
    """A connection of the engine's, with its asyncpg connection."""
    conn = await engine.connect()
    raw = await conn.get_raw_connection()
    return conn, raw.driver_connection


async def _close(conn: AsyncConnection | None) -> None:
    if conn is None:
        return
    with contextlib.suppress(Exception):
        await conn.invalidate()  # closed, not pooled: its session locks go with it
    with contextlib.suppress(Exception):
        await conn.close()


class Election:
    """Leader or standby. ``on_elected`` runs when this process becomes the
    leader, ``on_deposed`` when it stops being one (its connection failed, or
    it stops); both are awaited before the next attempt."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retry_s: float,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
    ) -> None:
        self.engine = engine
        self.retry_s = retry_s
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.leader = False
        self.elected_at: float | None = None  # time.monotonic()
        self.changes = 0  # times this process became the leader
        self._conn: AsyncConnection | None = None
        self._lost = asyncio.Event()

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            try:
                await self._hold()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("leader election: %s: %s; trying again", type(exc).__name__, exc)
            finally:
                await self._step_down()
            await asyncio.sleep(self.retry_s)

    async def _hold(self) -> None:
        self._lost = asyncio.Event()
        self._conn, driver = await _dedicated(self.engine)
        driver.add_termination_listener(lambda _conn: self._lost.set())
        while not self._lost.is_set():
            if self.leader:
                await asyncio.wait_for(driver.fetchval("SELECT 1"), CHECK_TIMEOUT_S)
            elif await asyncio.wait_for(driver.fetchval(_TRY_LOCK), CHECK_TIMEOUT_S):
                self.leader, self.elected_at = True, time.monotonic()
                self.changes += 1
                log.warning("leader: this process now runs the timed work (pid %d)", os.getpid())
                await self.on_elected()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.retry_s)
        raise ConnectionError("the connection of the leader lock was closed")

    async def _step_down(self) -> None:
        conn, self._conn = self._conn, None
        if self.leader:
            self.leader, self.elected_at = False, None
            log.warning("leader: this process no longer leads; stopping the timed work")
            try:
                await self.on_deposed()
            finally:
                await _close(conn)
        else:
            await _close(conn)

    async def resign(self) -> None:
        """Stop leading now (the process stops)."""
        await self._step_down()


class ChangeFeed:
    """``LISTEN`` on ``handlers``' channels; after a reconnection
    ``on_gap`` runs, since notices sent in between were missed."""

    def __init__(
        self,
        engine: AsyncEngine,
        handlers: dict[str, Callable[[str], None]],
        *,
        on_gap: Callable[[], None],
        retry_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.handlers = handlers
        self.on_gap = on_gap
        self.retry_s = retry_s
        self.received = 0
        self.ready = asyncio.Event()
        self._driver: Any = None
        self._busy = asyncio.Lock()  # one query at a time on a connection

    async def run(self) -> None:
        first = True
        while True:
            conn: AsyncConnection | None = None
            lost = asyncio.Event()
            try:
                conn, driver = await _dedicated(self.engine)
                driver.add_termination_listener(lambda _conn, lost=lost: lost.set())
                for channel in self.handlers:
                    await driver.add_listener(channel, self._received)
                self._driver = driver
                if not first:
                    self.on_gap()
                first = False
                self.ready.set()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), 5.0)
                    if not lost.is_set():
                        async with self._busy:
                            await asyncio.wait_for(driver.fetchval("SELECT 1"), CHECK_TIMEOUT_S)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change feed: %s: %s; listening again", type(exc).__name__, exc)
            finally:
                self._driver = None
                self.ready.clear()
                await _close(conn)
            await asyncio.sleep(self.retry_s)

    def _received(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self.received += 1
        handler = self.handlers.get(channel)
        if handler is None:
            return
        try:
            handler(payload)
        except Exception:
            log.exception("change feed: the handler of %s failed", channel)

    async def notify(self, channel: str, payload: str = "") -> None:
        """Send a notice on the feed's connection (best effort: the
        receivers also poll)."""
        driver = self._driver
        if driver is None:
            return
        try:
            async with self._busy:
                await driver.execute("SELECT pg_notify($1, $2)", channel, payload)
        except Exception as exc:
            log.debug("change feed: could not notify %s: %s", channel, exc)

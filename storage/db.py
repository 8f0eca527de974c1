"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from storage.sqlite_driver import use_one_trip_statements


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


SQLITE_POOL_SIZE = 20  # connections a file SQLite engine keeps open


def make_engine(url: str, ping_idle_s: float | None = None, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and
    one trip to aiosqlite's thread per statement (``storage.sqlite_driver``); a
    server's pooled connections are checked after ``ping_idle_s`` of idleness
    (default :data:`PING_AFTER_IDLE_S`)."""
    if is_sqlite(url):
        if ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:"):
            kwargs.setdefault("poolclass", StaticPool)
        elif "poolclass" not in kwargs:  # a caller's own pool takes no sizes
            # SQLAlchemy's default keeps 5 connections and closes any other
            # once it is returned; the bot runs up to 16 updates at once, so
            # it opened a connection (a thread, PRAGMAs) about every 6
            # updates (bench/activity_throughput.py, BENCH_SQL_LOG).
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
            kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)
        use_one_trip_statements(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    ping_after_idle(engine, PING_AFTER_IDLE_S if ping_idle_s is None else ping_idle_s)
    return engine


# A pooled server connection may have been closed while it sat unused (the
# server restarted, or an idle timeout on the way). SQLAlchemy's pool_pre_ping
# asks the server before every checkout: one round trip per session, which
# measured 4.7 against 3.3 ms of the bot's CPU per update on PostgreSQL
# (bench/activity_throughput.py). A connection in use a moment ago is alive,
# so only one idle for longer than this is asked.
PING_AFTER_IDLE_S = 10.0
_RETURNED = "returned_at"


def ping_after_idle(engine: AsyncEngine, idle_s: float = PING_AFTER_IDLE_S) -> None:
    """Check a pooled connection before use only if it was idle for ``idle_s``;
    a dead one is replaced (the pool retries the checkout) before anyone uses it."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < idle_s:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError("the connection was closed while idle") from exc
        if not alive:
            raise DisconnectionError("the connection was closed while idle")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_DELAYS = (0.25, 0.5, 1.0)  # seconds between the tries of :func:`retrying`


async def retrying(
    sessions: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    delays: Sequence[float] | None = None,
) -> T:
    """``work`` in a transaction of its own, tried again after each of
    ``delays`` (default :data:`RETRY_DELAYS`) while the database fails; the
    last ``SQLAlchemyError`` is raised. Only for work that a key makes land
    once (a report's submission key), since a commit may fail after it was
    written. Any other exception is raised at once."""
    waits = RETRY_DELAYS if delays is None else delays
    for delay in (*waits, None):
        try:
            async with sessions.begin() as session:
                return await work(session)
        except SQLAlchemyError:
            if delay is None:
                raise
            log.warning("the database failed; trying again in %.2f s", delay, exc_info=True)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")

"""aiosqlite with fewer trips to the connection's thread.

aiosqlite runs every call on a connection in that connection's own thread and
hands the result back to the event loop: each trip wakes both threads. Through
SQLAlchemy a statement took four trips (open a cursor, execute, fetch, close),
and a session two more (its commit, and the pool's rollback when the
connection goes back), even when there was nothing to commit or roll back.
Here a statement is one trip: it runs, its rows are read and its cursor closed
on the thread; a longer result comes in chunks of :data:`CHUNK` rows, one trip
each. A commit or rollback outside a transaction, where SQLite has nothing to
do, makes no trip.

:func:`use_one_trip_statements` makes an engine open its connections so;
``storage.db.make_engine`` does it for every SQLite engine.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

T = TypeVar("T")
CHUNK = 500  # rows a trip brings back; a statement with fewer needs no second trip


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors run a statement in one trip.
    Unlike aiosqlite's, ``cursor()`` is not awaited (SQLAlchemy enters it
    with ``async with``); the rest of aiosqlite's interface is unchanged."""

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)  # nothing to do on the thread until a statement runs

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the connection's thread: one trip."""
        result: T = await self._execute(function, *args)  # type: ignore[no-untyped-call]
        return result

    async def commit(self) -> None:
        if self._connection is None or self._connection.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self._connection is None or self._connection.in_transaction:
            await super().rollback()


Row = Any
_Outcome = tuple[Any, list[Row], int, int | None, "sqlite3.Cursor | None"]


def _run(connection: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> _Outcome:
    """On the connection's thread: the statement, and its first rows. The
    cursor is returned only if more rows may follow."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchmany(CHUNK) if cursor.description else []
        outcome = (cursor.description, rows, cursor.rowcount, cursor.lastrowid)
    except BaseException:
        cursor.close()
        raise
    if len(rows) < CHUNK:
        cursor.close()
        return (*outcome, None)
    return (*outcome, cursor)


def _more(cursor: sqlite3.Cursor) -> list[Row]:
    """On the connection's thread: the next rows; the cursor is closed after the last."""
    rows = cursor.fetchmany(CHUNK)
    if len(rows) < CHUNK:
        cursor.close()
    return rows


class Cursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses, one trip a statement."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._open: sqlite3.Cursor | None = None  # rows may remain on the thread
        self._rows: list[Row] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        return await self._statement(False, sql, parameters)

    async def executemany(self, sql: str, parameters: Any) -> Cursor:
        return await self._statement(True, sql, parameters)

    async def _statement(self, many: bool, sql: str, parameters: Any) -> Cursor:
        await self.close()
        found = await self._connection.run(_run, self._connection._conn, many, sql, parameters)
        self.description, self._rows, self.rowcount, self.lastrowid, self._open = found
        return self

    async def _fill(self, wanted: int | None) -> None:
        while self._open is not None and (wanted is None or len(self._rows) < wanted):
            cursor = self._open
            rows = await self._connection.run(_more, cursor)
            if len(rows) < CHUNK:
                self._open = None
            self._rows.extend(rows)

    async def fetchall(self) -> list[Row]:
        await self._fill(None)
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> Sequence[Row]:
        wanted = self.arraysize if size is None else size
        await self._fill(wanted)
        rows, self._rows = self._rows[:wanted], self._rows[wanted:]
        return rows

    async def fetchone(self) -> Row | None:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def close(self) -> None:
        self._rows = []
        if self._open is not None:
            cursor, self._open = self._open, None
            await self._connection.run(cursor.close)


async def connect(database: str, **kwargs: Any) -> Connection:
    """Like ``aiosqlite.connect``: ``kwargs`` go to ``sqlite3.connect``."""
    connection = Connection(functools.partial(sqlite3.connect, database, **kwargs), 64)
    connection._thread.daemon = True  # as SQLAlchemy makes aiosqlite's own
    await connection
    return connection


def use_one_trip_statements(engine: AsyncEngine) -> None:
    """The engine's new connections are :class:`Connection`; with the
    arguments SQLAlchemy made from the URL and ``connect_args``."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(
        dialect: Dialect, _record: ConnectionPoolEntry, cargs: list[Any], cparams: dict[str, Any]
    ) -> Any:
        return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=connect, **cparams)


__all__ = ["CHUNK", "Connection", "Cursor", "connect", "use_one_trip_statements"]

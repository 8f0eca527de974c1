"""SQLite's connections (``storage.sqlite_driver``): a statement is one trip to
aiosqlite's thread, and what SQLAlchemy reads back is what SQLite answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_driver
from storage.db import make_engine, make_sessionmaker


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function run on a connection's thread."""
    made: list[str] = []
    real = sqlite_driver.Connection._execute

    async def counted(self: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(function, "__name__", repr(function)))
        return await real(self, function, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver.Connection, "_execute", counted)
    return made


async def test_a_read_is_one_trip_and_nothing_to_commit_or_roll_back_is_none(engine, trips):
    sessions = make_sessionmaker(engine)
    async with sessions() as session:  # warm: the pool has its connection
        await session.execute(text("SELECT 1"))
    trips.clear()
    async with sessions.begin() as session:
        assert (await session.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    assert trips == ["_run"]


async def test_a_write_is_its_statement_and_its_commit(engine, trips):
    async with engine.connect():
        pass
    trips.clear()
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (name) VALUES ('a')"))
    assert trips == ["_run", "commit"]


async def test_rowcount_lastrowid_returning_and_executemany(engine):
    async with engine.begin() as connection:
        inserted = await connection.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await connection.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        returned = await connection.execute(
            text("UPDATE t SET name = name || '!' WHERE name != 'a' RETURNING name")
        )
        assert sorted(returned.scalars()) == ["b!", "c!"]
        deleted = await connection.execute(text("DELETE FROM t WHERE name LIKE '%!'"))
        assert deleted.rowcount == 2
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT name FROM t"))).scalars().all() == ["a"]


async def test_a_rollback_undoes_and_a_commit_keeps(engine):
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('gone')"))
        await session.rollback()
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('kept')"))

    async def twice() -> None:
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO t (name) VALUES ('x')"))
            await session.execute(text("INSERT INTO t (name) VALUES ('kept')"))

    with pytest.raises(IntegrityError):
        await twice()
    async with sessions() as session:
        names = (await session.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["kept"]


async def test_a_long_result_comes_whole_and_streams_in_chunks(engine, trips):
    count = sqlite_driver.CHUNK * 2 + 7
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": f"n{i}"} for i in range(count)]
        )
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id FROM t ORDER BY id"))).scalars().all()
        assert rows == list(range(1, count + 1))
        trips.clear()
        streamed = await connection.stream(
            text("SELECT id FROM t ORDER BY id").execution_options(yield_per=100)
        )
        seen = [row async for row in streamed.scalars()]
        assert seen == list(range(1, count + 1))
        assert trips == ["_run", "_more", "_more"]  # CHUNK rows a trip, the last short

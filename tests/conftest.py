"""Fixtures: one database per test session (SQLite or PostgreSQL, from
``BINHDANG_TEST_DATABASE_URL``), migrated once, with the official tree loaded
once; each test starts from that tree with no users and no villages."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import migrate, units
from storage.db import is_sqlite, make_engine, make_sessionmaker
from storage.models import Base, Unit, UnitLevel

DEFAULT_URL = "sqlite+aiosqlite:///:memory:"
TEST_URL = os.environ.get("BINHDANG_TEST_DATABASE_URL", DEFAULT_URL)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_report_header() -> str:
    return f"binhdang database: {TEST_URL}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not is_sqlite(TEST_URL):
        skip = pytest.mark.skip(reason="needs SQLite")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip)


async def _reachable(url: str) -> str | None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))
        return None
    except Exception as exc:  # any failure to connect is reported as it is
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


# On PostgreSQL each test run gets a schema of its own, so that runs in
# parallel (several developers, CI) do not see each other's rows.
PG_SCHEMA = f"t_{os.getpid()}_{secrets.token_hex(3)}"


def _make_test_engine() -> AsyncEngine:
    if is_sqlite(TEST_URL):
        return _reverse_unordered(make_engine(TEST_URL))
    return make_engine(TEST_URL, connect_args={"server_settings": {"search_path": PG_SCHEMA}})


def _reverse_unordered(engine: AsyncEngine) -> AsyncEngine:
    """SQLite returns the rows of a query without ORDER BY in reverse order
    (PRAGMA reverse_unordered_selects): PostgreSQL mostly returns them in the
    order they were written, but not always (after an UPDATE, from a hash
    aggregate), so a test that relies on an order nobody asked for now fails
    on one of the two engines every time, instead of on PostgreSQL some day."""

    @event.listens_for(engine.sync_engine, "connect")
    def _reverse(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA reverse_unordered_selects=ON")
        cursor.close()

    return engine


async def _create_schema() -> None:
    """An empty database, on which the tests apply the real migrations."""
    if is_sqlite(TEST_URL):
        return
    admin = make_engine(TEST_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
    await admin.dispose()


async def _drop_schema() -> None:
    if is_sqlite(TEST_URL):
        return
    admin = make_engine(TEST_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    problem = await _reachable(TEST_URL)
    if problem is not None:
        message = f"database {TEST_URL} is unreachable ({problem})"
        if IN_CI or is_sqlite(TEST_URL):
            pytest.exit(message, returncode=1)
        pytest.skip(f"{message}; outside CI the PostgreSQL tests are skipped")
    await _create_schema()
    engine = _make_test_engine()
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await units.import_official_tree(session)
    yield engine
    await engine.dispose()
    await _drop_schema()


MUTABLE_TABLES = [t for t in reversed(Base.metadata.sorted_tables) if t.name != "units"]


@pytest.fixture
async def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory on a database holding only the official tree."""
    factory = make_sessionmaker(engine)
    async with factory.begin() as session:
        for table in MUTABLE_TABLES:
            await session.execute(delete(table))
        await session.execute(delete(Unit).where(Unit.level == UnitLevel.VILLAGE))
    return factory


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s
        await s.rollback()

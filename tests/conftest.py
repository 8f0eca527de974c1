"""Fixtures: one database per test session (SQLite or PostgreSQL, from
``BINHDANG_TEST_DATABASE_URL``), migrated once, with the official tree loaded
once; each test starts from that tree with no users and no villages."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, text
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


async def _reset_schema(engine: AsyncEngine) -> None:
    """Start from an empty database, then apply the real migrations."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        else:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await migrate.upgrade(engine)


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    problem = await _reachable(TEST_URL)
    if problem is not None:
        message = f"database {TEST_URL} is unreachable ({problem})"
        if IN_CI or is_sqlite(TEST_URL):
            pytest.exit(message, returncode=1)
        pytest.skip(f"{message}; outside CI the PostgreSQL tests are skipped")
    engine = make_engine(TEST_URL)
    await _reset_schema(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await units.import_official_tree(session)
    yield engine
    await engine.dispose()


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

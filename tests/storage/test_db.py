"""The engine: on PostgreSQL a pooled connection closed by the server while it
sat idle is replaced before use, and a connection in use is not asked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from tests.conftest import TEST_URL

pytestmark = pytest.mark.skipif(
    db.is_sqlite(TEST_URL), reason="SQLite has no server to close a connection"
)


@pytest.fixture
def pings(monkeypatch) -> list[int]:
    """Counts the pings the engine sends."""
    asked: list[int] = []
    real = PGDialect_asyncpg.do_ping

    def counted(self, dbapi_connection):
        asked.append(1)
        return real(self, dbapi_connection)

    monkeypatch.setattr(PGDialect_asyncpg, "do_ping", counted)
    return asked


async def _engine(idle_s: float) -> AsyncEngine:
    return db.make_engine(TEST_URL, ping_idle_s=idle_s, pool_size=1, max_overflow=0)


@pytest.fixture
async def admin() -> AsyncIterator[AsyncEngine]:
    engine = db.make_engine(TEST_URL)
    yield engine
    await engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_closed_while_idle_is_replaced(pings, admin):
    engine = await _engine(idle_s=0)
    try:
        pid = await _backend_pid(engine)
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The pooled connection is dead; the ping finds it and the pool makes a new one.
        assert await _backend_pid(engine) != pid
        assert len(pings) >= 1
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_not_asked(pings):
    engine = await _engine(idle_s=3600)
    try:
        first = await _backend_pid(engine)
        for _ in range(5):
            assert await _backend_pid(engine) == first  # the same pooled connection
        assert pings == []
    finally:
        await engine.dispose()

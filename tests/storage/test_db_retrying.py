"""storage.db.retrying: a transaction tried again while the database fails
(the one place that retries: handlers do not)."""

from __future__ import annotations

import pytest


async def test_retrying_tries_again_while_the_database_fails_and_no_more(sessions):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from storage.db import retrying

    calls: list[int] = []

    async def flaky(session):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("SELECT", {}, Exception("connection refused"))
        return await session.scalar(text("SELECT 41 + 1"))

    assert await retrying(sessions, flaky, delays=(0.0, 0.0, 0.0)) == 42
    assert len(calls) == 3

    calls.clear()

    async def down(session):
        calls.append(1)
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    with pytest.raises(OperationalError):
        await retrying(sessions, down, delays=(0.0, 0.0))
    assert len(calls) == 3  # the first try and one after each delay

    calls.clear()

    async def refused(session):
        calls.append(1)
        raise ValueError("not a database error")

    with pytest.raises(ValueError, match="not a database error"):
        await retrying(sessions, refused, delays=(0.0, 0.0))
    assert len(calls) == 1  # not tried again

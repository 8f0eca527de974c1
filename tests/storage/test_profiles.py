"""The profile cache (storage/profiles.py): a hit costs no query, and no
change to a user is ever hidden by it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import Role, User, UserStatus
from storage.profiles import ProfileCache
from tests.storage.helpers import place

Sessions = async_sessionmaker[AsyncSession]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", count)


@pytest.fixture
def cache(engine: AsyncEngine) -> ProfileCache:
    profiles = ProfileCache(ttl_s=60, monotonic=Clock())
    profiles.attach(engine)
    return profiles


async def test_first_contact_creates_the_user_then_hits_cost_no_query(
    cache: ProfileCache, sessions: Sessions, statements: list[str]
) -> None:
    first = await cache.load(sessions, 9001, "Lan", "lan")
    assert first.status is UserStatus.VISITOR
    assert any("INSERT INTO users" in s for s in statements)
    statements.clear()
    again = await cache.load(sessions, 9001, "Lan", "lan")
    assert again == first
    assert statements == []


async def test_an_approval_is_seen_at_the_next_update(
    cache: ProfileCache, sessions: Sessions
) -> None:
    before = await cache.load(sessions, 9002, "Hoa", None)
    assert before.role is None
    async with sessions.begin() as session:
        commune = await place(session, "Xã Trà Bồng", "Quảng Ngãi")
        user = await session.get(User, before.id)
        assert user is not None
        user.role, user.unit_id, user.status = Role.COLLABORATOR, commune.id, UserStatus.ACTIVE
    after = await cache.load(sessions, 9002, "Hoa", None)
    assert after.role is Role.COLLABORATOR
    assert after.unit_path == commune.path


async def test_a_bulk_update_forgets_every_profile(cache: ProfileCache, sessions: Sessions) -> None:
    await cache.load(sessions, 9003, "Mai", None)
    await cache.load(sessions, 9004, "Đào", None)
    assert len(cache) == 2
    async with sessions.begin() as session:
        await session.execute(update(User).where(User.telegram_id == 9003).values(bot_blocked=True))
    assert len(cache) == 0
    # The blocked user writes again: touch() makes them reachable again.
    profile = await cache.load(sessions, 9003, "Mai", None)
    async with sessions() as session:
        user = await session.get(User, profile.id)
        assert user is not None and user.bot_blocked is False


async def test_a_new_name_or_username_is_recorded(cache: ProfileCache, sessions: Sessions) -> None:
    await cache.load(sessions, 9005, "Lan", "lan")
    renamed = await cache.load(sessions, 9005, "Lan Nguyễn", "lan_ng")
    assert renamed.display_name == "Lan Nguyễn"
    async with sessions() as session:
        user = await session.get(User, renamed.id)
        assert user is not None and user.username == "lan_ng"


async def test_a_read_that_overlaps_a_write_is_not_kept(
    cache: ProfileCache, sessions: Sessions
) -> None:
    profile = await cache.load(sessions, 9006, "Tú", None)
    cache.clear()
    epoch = cache.epoch
    async with sessions() as session:
        user = await session.get(User, profile.id)
        assert user is not None
    async with sessions.begin() as writer:
        await writer.execute(update(User).where(User.id == profile.id).values(language="en"))
    cache.put(epoch, user, profile)  # read before the write, stored after it
    assert len(cache) == 0
    assert (await cache.load(sessions, 9006, "Tú", None)).language == "en"


async def test_entries_expire(engine: AsyncEngine, sessions: Sessions) -> None:
    clock = Clock()
    cache = ProfileCache(ttl_s=60, monotonic=clock)
    cache.attach(engine)
    first = await cache.load(sessions, 9007, "Vy", None)
    clock.now += 59
    assert cache.get(9007, "Vy", None) == first
    clock.now += 2
    assert cache.get(9007, "Vy", None) is None
    assert (await cache.load(sessions, 9007, "Vy", None)).id == first.id


async def test_a_new_name_forgets_only_that_user(cache: ProfileCache, sessions: Sessions) -> None:
    await cache.load(sessions, 9008, "An", None)
    await cache.load(sessions, 9009, "Bình", None)
    assert len(cache) == 2
    await cache.load(sessions, 9008, "An Trần", None)  # touch() writes the new name
    assert cache.get(9009, "Bình", None) is not None
    assert cache.get(9008, "An Trần", None) is None  # stored at its next update
    assert (await cache.load(sessions, 9008, "An Trần", None)).display_name == "An Trần"
    assert cache.get(9008, "An Trần", None) is not None

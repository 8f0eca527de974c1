"""Who is writing, without a database round trip on every update.

Every update starts by loading its user's :class:`~storage.users.Profile`
(role, place, language). Users change rarely (registration, approval, a new
language), so the profiles are kept in memory and dropped whenever anything
writes to the ``users`` table through this engine. An entry also expires
after ``ttl_s``, which bounds how stale it can be after a change made by
another process (another bot instance, or SQL by hand).

A read that overlaps a write is never kept: the cache has an epoch, bumped
when an UPDATE or DELETE on ``users`` is executed and again when its
transaction ends, and a profile read under one epoch is only stored if the
epoch has not moved since.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Update, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import users
from storage.models import User
from storage.users import Profile

_WROTE_USERS = "binhdang_wrote_users"
_USERS = User.__tablename__


# One set of listeners per engine, whatever the number of caches (the tests
# build an Application, hence a cache, per test on one engine).
_attached: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[ProfileCache]] = (
    weakref.WeakKeyDictionary()
)


def _listen(engine: Engine, caches: weakref.WeakSet[ProfileCache]) -> None:
    def clear_all() -> None:
        for cache in list(caches):
            cache.clear()

    @event.listens_for(engine, "after_execute")
    def _after_execute(conn: Connection, clause: Any, *_: Any) -> None:
        if isinstance(clause, Update | Delete) and getattr(clause.table, "name", None) == _USERS:
            conn.info[_WROTE_USERS] = True
            clear_all()

    @event.listens_for(engine, "commit")
    def _commit(conn: Connection) -> None:
        if conn.info.pop(_WROTE_USERS, False):
            clear_all()

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Connection) -> None:
        if conn.info.pop(_WROTE_USERS, False):
            clear_all()


@dataclass(frozen=True)
class _Entry:
    profile: Profile
    username: str | None
    bot_blocked: bool
    expires: float


class ProfileCache:
    """Profiles by Telegram id, kept until a write to ``users`` or ``ttl_s``."""

    def __init__(
        self,
        ttl_s: float = 60.0,
        size: int = 50_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_s
        self._size = size
        self._now = monotonic
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self.epoch = 0

    def __len__(self) -> int:
        return len(self._entries)

    def attach(self, engine: AsyncEngine) -> None:
        """Forget every profile when a statement on this engine changes users."""
        sync = engine.sync_engine
        caches = _attached.get(sync)
        if caches is None:
            caches = _attached[sync] = weakref.WeakSet()
            _listen(sync, caches)
        caches.add(self)

    def clear(self) -> None:
        self.epoch += 1
        self._entries.clear()

    def get(self, telegram_id: int, display_name: str, username: str | None) -> Profile | None:
        """The cached profile, unless it is stale or the update brings a new
        name (which :func:`storage.users.touch` must record)."""
        entry = self._entries.get(telegram_id)
        if entry is None:
            return None
        if (
            entry.expires < self._now()
            or entry.bot_blocked
            or entry.username != username
            or (display_name and entry.profile.display_name != display_name[:200])
        ):
            del self._entries[telegram_id]
            return None
        return entry.profile

    def put(self, epoch: int, user: User, profile: Profile) -> None:
        if epoch != self.epoch:
            return
        self._entries[user.telegram_id] = _Entry(
            profile, user.username, bool(user.bot_blocked), self._now() + self._ttl
        )
        self._entries.move_to_end(user.telegram_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    async def load(
        self,
        sessions: async_sessionmaker[AsyncSession],
        telegram_id: int,
        display_name: str,
        username: str | None,
    ) -> Profile:
        """The profile of the user behind an update. On a miss the user is
        read, and created or updated (:func:`storage.users.touch`)."""
        cached = self.get(telegram_id, display_name, username)
        if cached is not None:
            return cached
        epoch = self.epoch
        async with sessions.begin() as session:
            record = await users.touch(session, telegram_id, display_name, username)
            profile = await users.profile_of(session, record)
        # A touch that wrote has moved the epoch: the next update caches.
        self.put(epoch, record, profile)
        return profile

"""Who is writing, without a database round trip on every update.

Every update starts by loading its user's :class:`~storage.users.Profile`
(role, place, language). Users change rarely (registration, approval, a new
language), so the profiles are kept in memory and dropped whenever anything
writes to the ``users`` table through this engine: all of them, except when
the write is a new Telegram name of one user (then only theirs). On
PostgreSQL the same write also sends ``NOTIFY binhdang_users`` inside its
transaction, so that it reaches the other bot processes when (and only if)
it commits; ``bot.runtime`` listens and calls :meth:`ProfileCache.apply_notice`
(a role, an approval, a blocked user are seen everywhere within a second).
An entry also expires after ``ttl_s``, which bounds how stale it can be after
SQL typed by hand.

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

from sqlalchemy import Delete, Update, event, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import users
from storage.models import User
from storage.users import Profile

_WROTE_USERS = "binhdang_wrote_users"
CHANNEL = "binhdang_users"
"""The PostgreSQL channel of changes to ``users``: payload ``*`` (forget
every profile) or user ids (``users.id``) separated by commas."""
_USERS = User.__tablename__
# Columns storage.users.touch() writes, plus the primary key ORM updates bind.
_TOUCHED = {"display_name", "username", "bot_blocked", "updated_at", "users_id"}


# One set of listeners per engine, whatever the number of caches (the tests
# build an Application, hence a cache, per test on one engine).
_attached: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[ProfileCache]] = (
    weakref.WeakKeyDictionary()
)


def _listen(engine: Engine, caches: weakref.WeakSet[ProfileCache]) -> None:
    def forget(user_ids: set[int] | None) -> None:
        for cache in list(caches):
            if user_ids is None:
                cache.clear()
            else:
                cache.forget(user_ids)

    @event.listens_for(engine, "after_execute")
    def _after_execute(
        conn: Connection, clause: Any, multiparams: Any, params: Any, *_: Any
    ) -> None:
        if not isinstance(clause, Update | Delete) or getattr(clause.table, "name", None) != _USERS:
            return
        wrote: set[int] | None = conn.info.get(_WROTE_USERS, set())
        one = _renamed_user(clause, multiparams, params)
        if wrote is None or one is None:
            wrote = None
        else:
            wrote.add(one)
        conn.info[_WROTE_USERS] = wrote
        forget(wrote)
        if conn.dialect.name == "postgresql":
            # Delivered to the listeners when this transaction commits.
            payload = "*" if one is None else str(one)
            conn.execute(select(func.pg_notify(CHANNEL, payload)))

    def _ended(conn: Connection) -> None:
        if _WROTE_USERS in conn.info:
            forget(conn.info.pop(_WROTE_USERS))

    event.listen(engine, "commit", _ended)
    event.listen(engine, "rollback", _ended)


def _renamed_user(clause: Any, multiparams: Any, params: Any) -> int | None:
    """The user whose name alone an ORM flush changes (what
    :func:`storage.users.touch` writes); ``None`` for any other change,
    which forgets every profile."""
    if not isinstance(clause, Update) or multiparams or not isinstance(params, dict):
        return None
    user_id = params.get("users_id")
    if not isinstance(user_id, int) or not set(params) <= _TOUCHED:
        return None
    return user_id


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

    def forget(self, user_ids: set[int]) -> None:
        """Forget these users (by ``users.id``) only."""
        self.epoch += 1
        for telegram_id in [k for k, e in self._entries.items() if e.profile.id in user_ids]:
            del self._entries[telegram_id]

    def apply_notice(self, payload: str) -> None:
        """A change another process committed (a :data:`CHANNEL` payload)."""
        ids = {int(part) for part in payload.split(",") if part.strip().isdigit()}
        if payload.strip() == "*" or not ids:
            self.clear()
        else:
            self.forget(ids)

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

    async def find(
        self, sessions: async_sessionmaker[AsyncSession], telegram_id: int
    ) -> Profile | None:
        """The profile of a user the bot knows, without creating or changing
        anything: ``None`` for a visitor with no row (an update of /report,
        which must leave no trace of its reporter in ``users``)."""
        entry = self._entries.get(telegram_id)
        if entry is not None and entry.expires >= self._now():
            return entry.profile
        async with sessions() as session:
            record = await users.get_by_telegram_id(session, telegram_id)
            return None if record is None else await users.profile_of(session, record)

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

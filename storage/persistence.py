"""PTB persistence backed by SQLAlchemy: conversation states and user data
survive a restart, stored as JSON rows in ``persisted_state`` (no pickle).

Written through, one user at a time: the state a user's update leaves (their
``user_data`` and the steps of their conversations) is committed when that
update ends, by :meth:`SqlPersistence.save_user` (``bot.processor`` calls it
before ``process_update`` returns), never by PTB's periodic round, whose
``update_*`` calls are ignored here: with several processes a periodic
round would write back a state another process has since moved on from.

Rows: ``("user", "<user id>")`` holds the user's data; ``("conv:<name>",
"[<chat id>,<user id>]")`` the step of one conversation.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.models import PersistedState, utcnow
from storage.users import coarse_time

UserData = dict[Any, Any]
Conversations = dict[str, dict[ConversationKey, object]]
USER, CHAT, CONV = "user", "chat", "conv:"
# PTB's periodic round is not used (see the module docstring); it still runs
# at stop, where its calls are ignored too.
UNUSED_INTERVAL_S = 3600.0


def encode_key(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


def decode_key(raw: str) -> ConversationKey:
    return tuple(json.loads(raw))


@dataclass
class UserState:
    """What one user's updates read and leave: their data and their steps."""

    data: UserData = field(default_factory=dict)
    conversations: Conversations = field(default_factory=dict)


class SqlPersistence(BasePersistence[UserData, UserData, UserData]):
    """User data and conversation states in the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, callback_data=False),
            update_interval=UNUSED_INTERVAL_S,
        )
        self.sessions = sessions
        self.names: set[str] = set()  # the persistent conversations, as they load

    @property
    def engine(self) -> AsyncEngine:
        engine: AsyncEngine = self.sessions.kw["bind"]
        return engine

    async def _load(self, namespace: str) -> list[PersistedState]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(PersistedState).where(PersistedState.namespace == namespace)
            )
            return list(rows)

    # Reading at start-up.
    async def get_user_data(self) -> dict[int, UserData]:
        return {int(r.key): dict(r.data) for r in await self._load(USER)}

    async def get_chat_data(self) -> dict[int, UserData]:
        return {}

    async def get_bot_data(self) -> UserData:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        self.names.add(name)
        return {decode_key(r.key): r.data for r in await self._load(CONV + name)}

    # One user, read and written in the caller's transaction.
    async def load_user(self, session: AsyncSession, user_id: int) -> UserState:
        key = encode_key((user_id, user_id))
        wanted = [(USER, str(user_id)), *((CONV + n, key) for n in sorted(self.names))]
        rows = await session.execute(
            select(PersistedState.namespace, PersistedState.key, PersistedState.data).where(
                tuple_(PersistedState.namespace, PersistedState.key).in_(wanted)
            )
        )
        state = UserState()
        for namespace, raw_key, data in rows:
            if namespace == USER:
                state.data = dict(data)
            else:
                state.conversations.setdefault(namespace[len(CONV) :], {})[decode_key(raw_key)] = (
                    data
                )
        return state

    async def save_user(
        self,
        session: AsyncSession,
        user_id: int,
        data: Mapping[Any, Any],
        conversations: Conversations,
        before: Conversations,
    ) -> None:
        """Write the user's data, and each conversation step that moved from
        ``before`` or ended. Usually one statement."""
        await self.write(session, [changes(user_id, data, conversations, before)])

    async def write(self, session: AsyncSession | AsyncConnection, batch: list[Changes]) -> None:
        """The changes of several users: one upsert of all their rows (and one
        delete if a conversation ended), each a statement compiled once."""
        values = [v for c in batch for v in c.values]
        ended = [{"namespace": n, "key": k} for c in batch for n, k in c.ended]
        dialect = _dialect_name(session)
        if ended:
            await session.execute(_delete(), ended)
        if values:
            await session.execute(_upsert(dialect), values)

    # PTB's periodic writes: ignored, the state is written through.
    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        return None

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: UserData) -> None:
        return None

    async def update_bot_data(self, data: UserData) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                delete(PersistedState).where(
                    PersistedState.namespace == USER, PersistedState.key == str(user_id)
                )
            )

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        return None  # bot.processor loads the user's state before the update

    async def refresh_chat_data(self, chat_id: int, chat_data: UserData) -> None:
        return None

    async def refresh_bot_data(self, bot_data: UserData) -> None:
        return None

    async def flush(self) -> None:
        return None


@dataclass
class Changes:
    """The rows one user's turn writes (``values``) and removes (``ended``)."""

    values: list[dict[str, Any]]
    ended: list[tuple[str, str]]


def changes(
    user_id: int, data: Mapping[Any, Any], conversations: Conversations, before: Conversations
) -> Changes:
    found = Changes([], [])
    # A user's data left empty (a /report that ended) is no row at all, and
    # the time of a save is kept to the day: a row keyed by a Telegram id and
    # stamped with the second a report was sent would link the two.
    now = coarse_time(utcnow())
    if data:
        found.values.append(
            {"namespace": USER, "key": str(user_id), "data": data, "updated_at": now}
        )
    else:
        found.ended.append((USER, str(user_id)))
    for name in set(conversations) | set(before):
        current, previous = conversations.get(name, {}), before.get(name, {})
        for key, step in current.items():
            if key not in previous or previous[key] != step:
                found.values.append(
                    {
                        "namespace": CONV + name,
                        "key": encode_key(key),
                        "data": step,
                        "updated_at": now,
                    }
                )
        found.ended.extend((CONV + name, encode_key(key)) for key in previous if key not in current)
    return found


# PostgreSQL, one user's turn (bot.processor.UserStates): on the driver's
# connection, without the ORM. Per update this is five round trips (begin,
# lock, read, write, commit); through AsyncSession they cost about three
# times the CPU (bench/activity_throughput.py).
USER_LOCK_BASE = 0x5553 << 48  # advisory lock keys of users: this + the user id
_PG_LOCK = "SELECT pg_advisory_xact_lock($1)"
_PG_LOAD = (
    "SELECT namespace, key, data::text FROM persisted_state"
    " WHERE namespace = ANY($1::varchar[]) AND key = ANY($2::varchar[])"
)
_PG_UPSERT = (
    "INSERT INTO persisted_state (namespace, key, data, updated_at) VALUES ($1, $2, $3::json, $4)"
    " ON CONFLICT (namespace, key) DO UPDATE"
    " SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at"
)
_PG_DELETE = "DELETE FROM persisted_state WHERE namespace = $1 AND key = $2"


class PgTurn:
    """Read and write one user's state inside their locked transaction."""

    def __init__(self, connection: Any, names: set[str]) -> None:
        self._connection = connection
        self._names = names

    async def load(self, user_id: int) -> UserState:
        key = encode_key((user_id, user_id))
        namespaces = [USER, *(CONV + n for n in sorted(self._names))]
        rows = await self._connection.fetch(_PG_LOAD, namespaces, [str(user_id), key])
        state = UserState()
        for namespace, raw_key, data in rows:
            if namespace == USER and raw_key == str(user_id):
                state.data = dict(json.loads(data))
            elif namespace != USER and raw_key == key:
                state.conversations.setdefault(namespace[len(CONV) :], {})[(user_id, user_id)] = (
                    json.loads(data)
                )
        return state

    async def write(self, found: Changes) -> None:
        if found.ended:
            await self._connection.executemany(_PG_DELETE, found.ended)
        if found.values:
            await self._connection.executemany(
                _PG_UPSERT,
                [
                    (
                        v["namespace"],
                        v["key"],
                        json.dumps(v["data"]),
                        v["updated_at"].replace(tzinfo=None),
                    )
                    for v in found.values
                ],
            )


@contextlib.asynccontextmanager
async def pg_turn(
    sessions: async_sessionmaker[AsyncSession], names: set[str], user_id: int
) -> AsyncIterator[PgTurn]:
    """A transaction holding the advisory lock of the user: whoever runs one
    of their updates, in any process. Freed with the commit, or when the
    connection drops. If the body raises, nothing is written."""
    engine = sessions.kw["bind"]
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        async with raw.transaction():
            await raw.execute(_PG_LOCK, USER_LOCK_BASE + user_id)
            yield PgTurn(raw, names)


def _dialect_name(target: AsyncSession | AsyncConnection) -> str:
    if isinstance(target, AsyncConnection):
        return target.dialect.name
    return target.get_bind().dialect.name


# Built once and run with a list of rows (executemany), so that SQLAlchemy
# compiles each once; an INSERT … VALUES of the rows themselves was compiled
# anew at every write, about 1.5 of the 2.4 ms a write took on SQLite.
_TABLE = cast(Table, PersistedState.__table__)


@functools.cache
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE of one row, in the dialect's form."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.namespace, _TABLE.c.key],
        set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at},
    )


@functools.cache
def _delete() -> Any:
    return delete(_TABLE).where(
        _TABLE.c.namespace == bindparam("namespace"), _TABLE.c.key == bindparam("key")
    )


__all__: list[str] = ["Changes", "PgTurn", "SqlPersistence", "UserState", "changes", "pg_turn"]

"""PTB persistence backed by SQLAlchemy: conversation states and user/chat data
survive a restart, stored as JSON rows in ``persisted_state`` (no pickle).

PTB calls the ``update_*`` methods together once per ``update_interval``; the
writes of one such round are gathered and committed in a single transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.models import PersistedState
from storage.models.base import utcnow
from storage.users import coarse_time

UserData = dict[Any, Any]
_USER, _CHAT, _CONV = "user", "chat", "conv:"
_DELETE = object()


def _encode_key(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


def _decode_key(raw: str) -> ConversationKey:
    return tuple(json.loads(raw))


class SqlPersistence(BasePersistence[UserData, UserData, UserData]):
    """User data, chat data and conversation states in the database."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], update_interval: float = 1.0
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self._sessions = sessions
        self._pending: dict[tuple[str, str], Any] = {}
        self._commit: asyncio.Task[None] | None = None

    async def _load(self, namespace: str) -> list[PersistedState]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(PersistedState).where(PersistedState.namespace == namespace)
            )
            return list(rows)

    async def _stage(self, namespace: str, key: str, value: Any) -> None:
        self._pending[(namespace, key)] = value
        if self._commit is None or self._commit.done():
            self._commit = asyncio.create_task(self._write_pending())
        await asyncio.shield(self._commit)

    async def _write_pending(self) -> None:
        await asyncio.sleep(0)  # let the other writes of this round stage first
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            async with self._sessions.begin() as session:
                await _upsert(session, pending.items())
        except Exception:
            # Keep what could not be written for the next round, unless a
            # newer value has been staged meanwhile.
            for key, value in pending.items():
                self._pending.setdefault(key, value)
            raise

    # Reading at start-up.
    async def get_user_data(self) -> dict[int, UserData]:
        return {int(r.key): dict(r.data) for r in await self._load(_USER)}

    async def get_chat_data(self) -> dict[int, UserData]:
        return {int(r.key): dict(r.data) for r in await self._load(_CHAT)}

    async def get_bot_data(self) -> UserData:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return {_decode_key(r.key): r.data for r in await self._load(_CONV + name)}

    # Writing.
    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._stage(
            _CONV + name, _encode_key(key), _DELETE if new_state is None else new_state
        )

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        await self._stage(_USER, str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: UserData) -> None:
        await self._stage(_CHAT, str(chat_id), data)

    async def update_bot_data(self, data: UserData) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._stage(_CHAT, str(chat_id), _DELETE)

    async def drop_user_data(self, user_id: int) -> None:
        await self._stage(_USER, str(user_id), _DELETE)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: UserData) -> None:
        return None

    async def refresh_bot_data(self, bot_data: UserData) -> None:
        return None

    async def flush(self) -> None:
        if self._commit is not None:
            # A round that failed has put its writes back in _pending.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._commit)
        await self._write_pending()


async def _upsert(session: AsyncSession, items: Iterable[tuple[tuple[str, str], Any]]) -> None:
    """Portable upsert: delete the keys, then insert the ones that still hold data."""
    entries = list(items)
    by_namespace: dict[str, list[str]] = {}
    for (namespace, key), _ in entries:
        by_namespace.setdefault(namespace, []).append(key)
    for namespace, keys in by_namespace.items():
        await session.execute(
            delete(PersistedState).where(
                PersistedState.namespace == namespace, PersistedState.key.in_(keys)
            )
        )
    # A user's data left empty (a /report that ended) is no row at all, and
    # the time of a save is kept to the day: a row keyed by a Telegram id and
    # stamped with the second a report was sent would link the two.
    day = coarse_time(utcnow())
    session.add_all(
        PersistedState(namespace=ns, key=key, data=value, updated_at=day)
        for (ns, key), value in entries
        if value is not _DELETE and value != {}
    )


__all__: list[str] = ["SqlPersistence"]

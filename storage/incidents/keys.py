"""The encryption key (khóa mã hóa): is it the one the data was stored with,
and sealing everything again under a new one.

A known text sealed under the key is kept in ``key_checks``. At start
(:func:`verify`) a key that cannot open it, with the old keys given in
``BINHDANG_OLD_SECRET_KEYS``, is refused with one line: otherwise a changed
key would let the bot run while no report could be read, no draft be sent and
no status update go out.

:func:`rotate` seals every encrypted value under the current key, a batch per
transaction. A value already under the current key is left alone, so a
rotation stopped half-way (a crash, Ctrl-C) is resumed by running it again.
The check value is sealed again last: until then the old keys are still
needed to start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.incidents.crypto import Cipher, CipherError
from storage.models import Incident, IncidentNote, KeyCheck

CHECK_NAME = "incidents"
CHECK_FIELD = "key.check"
CHECK_TEXT = "binhdang-bot key check"
BATCH = 200

# Every encrypted column, with the field name its values are sealed with.
ENCRYPTED: list[tuple[type[Any], dict[str, str]]] = [
    (
        Incident,
        {
            "description_enc": "incident.description",
            "media_enc": "incident.media",
            "location_enc": "incident.location",
            "reporter_enc": "incident.reporter",
            "phone_enc": "incident.phone",
        },
    ),
    (IncidentNote, {"text_enc": "incident.note", "media_enc": "incident.note_media"}),
]

WRONG_KEY = (
    "BINHDANG_SECRET_KEY is not the key the incident reports were stored with: "
    "set that key, or put it in BINHDANG_OLD_SECRET_KEYS and run `binhdang keys rotate`"
)
NO_KEY = (
    "BINHDANG_SECRET_KEY is not set, but incident reports are stored encrypted: "
    "set the key they were stored with"
)


class KeyProblem(Exception):
    """The configured key cannot read the stored data; the message is one line."""


async def _sample(session: AsyncSession) -> tuple[str, str] | None:
    """One stored encrypted value and its field, from before the check existed."""
    for model, columns in ENCRYPTED:
        for column, field in columns.items():
            token = await session.scalar(
                select(getattr(model, column)).where(getattr(model, column).is_not(None)).limit(1)
            )
            if token is not None:
                return field, token
    return None


async def verify(session: AsyncSession, cipher: Cipher | None, now: datetime) -> None:
    """Refuse a key that cannot read the stored data (:class:`KeyProblem`).
    The first start with a key stores the check value; a database from
    before this check is checked against one of its encrypted values."""
    check = await session.get(KeyCheck, CHECK_NAME)
    if check is None:
        sample = await _sample(session)
        if cipher is None:
            if sample is not None:
                raise KeyProblem(NO_KEY)
            return
        if sample is not None:
            try:
                cipher.decrypt(*sample)
            except CipherError:
                raise KeyProblem(WRONG_KEY) from None
        session.add(
            KeyCheck(name=CHECK_NAME, token=cipher.encrypt(CHECK_FIELD, CHECK_TEXT), created_at=now)
        )
        await session.flush()
        return
    if cipher is None:
        raise KeyProblem(NO_KEY)
    try:
        cipher.decrypt(CHECK_FIELD, check.token)
    except CipherError:
        raise KeyProblem(WRONG_KEY) from None


@dataclass(frozen=True)
class Rotated:
    rows: int  # rows looked at
    sealed: int  # values sealed again under the current key
    unreadable: int  # values no key could open (left as they are)


Progressed = Callable[[int, int], None]  # (rows done, rows in all)


async def rotate(
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
    now: datetime,
    *,
    batch: int = BATCH,
    progress: Progressed | None = None,
) -> Rotated:
    """Seal every encrypted value under the current key, ``batch`` rows per
    transaction; resumable (see the module's docstring)."""
    current = cipher.current_only()
    async with sessions() as session:
        total = 0
        for model, columns in ENCRYPTED:
            has_value = or_(*(getattr(model, c).is_not(None) for c in columns))
            total += await session.scalar(select(func.count()).where(has_value)) or 0
    done = sealed = unreadable = 0
    for model, columns in ENCRYPTED:
        has_value = or_(*(getattr(model, c).is_not(None) for c in columns))
        last = 0
        while True:
            async with sessions.begin() as session:
                rows = (
                    await session.scalars(
                        select(model)
                        .where(model.id > last, has_value)
                        .order_by(model.id)
                        .limit(batch)
                    )
                ).all()
                for row in rows:
                    for column, field in columns.items():
                        token = getattr(row, column)
                        if token is None or current.is_current(field, token):
                            continue
                        try:
                            plain = cipher.decrypt(field, token)
                        except CipherError:
                            unreadable += 1
                            continue
                        setattr(row, column, current.encrypt(field, plain))
                        sealed += 1
            if not rows:
                break
            last = rows[-1].id
            done += len(rows)
            if progress is not None:
                progress(done, total)
    if not unreadable:
        async with sessions.begin() as session:
            check = await session.get(KeyCheck, CHECK_NAME)
            token = current.encrypt(CHECK_FIELD, CHECK_TEXT)
            if check is None:
                session.add(KeyCheck(name=CHECK_NAME, token=token, created_at=now))
            else:
                check.token, check.created_at = token, now
    return Rotated(done, sealed, unreadable)

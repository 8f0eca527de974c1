"""The outbox (hộp thư đi): enqueue messages in the same transaction as the
business change, and the claim / mark-sent steps the sender runs on them.

How to use it from a feature is in docs/outbox.md. The sender itself is
``scheduler.sender``; nothing here talks to Telegram.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from storage.models import User
from storage.models.outbox import OutboxEntry, OutboxPayload, OutboxStatus, Priority

log = logging.getLogger(__name__)

ASAP = datetime(2000, 1, 1, tzinfo=UTC)
"""``not_before`` of a message to send as soon as possible."""

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
_TAG = re.compile(r"<[^>]*>")


def visible_length(text: str, parse_mode: str | None) -> int:
    """The length Telegram checks: after HTML parsing, in UTF-16 code units
    (an emoji outside the basic plane counts twice)."""
    if parse_mode and parse_mode.upper() == "HTML":
        text = html.unescape(_TAG.sub("", text))
    return len(text.encode("utf-16-le")) // 2


class Button(BaseModel):
    """An inline button: ``callback_data`` (at most 64 bytes) or ``url``."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1, max_length=64)
    callback_data: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Button:
        if (self.callback_data is None) == (self.url is None):
            raise ValueError("a button has either callback_data or url")
        if self.callback_data is not None and not (
            1 <= len(self.callback_data.encode()) <= MAX_CALLBACK_DATA
        ):
            raise ValueError("callback_data has 1 to 64 bytes")
        return self


class Message(BaseModel):
    """What to send. ``text`` is the message, or the caption of ``photo`` or
    ``document`` (Telegram ``file_id``s). HTML unless ``parse_mode`` is None."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    parse_mode: str | None = "HTML"
    buttons: tuple[tuple[Button, ...], ...] = ()
    photo: str | None = None
    document: str | None = None
    protect_content: bool = False
    disable_notification: bool = False
    # Replace the text and buttons of this earlier message in the same chat
    # instead of sending a new one (an incident alert that follows its report).
    edit_message_id: int | None = None

    @model_validator(mode="after")
    def _fits(self) -> Message:
        if self.photo and self.document:
            raise ValueError("a message has one photo or one document, not both")
        limit = MAX_CAPTION if self.has_media else MAX_TEXT
        length = visible_length(self.text, self.parse_mode)
        if not self.has_media and length == 0:
            raise ValueError("a text message needs text")
        if length > limit:
            raise ValueError(f"text has {length} characters; at most {limit} fit")
        return self

    @property
    def has_media(self) -> bool:
        return bool(self.photo or self.document)


@dataclass(frozen=True)
class Recipient:
    """One chat to enqueue for in :func:`enqueue_many`."""

    chat_id: int
    user_id: int | None = None
    dedupe_key: str | None = None


@dataclass(frozen=True)
class Enqueued:
    id: int
    created: bool  # False: an entry with this dedupe key already existed


@dataclass(frozen=True)
class Claimed:
    """An entry the sender has taken to send."""

    id: int
    kind: str
    priority: int
    chat_id: int
    user_id: int | None
    payload_id: int
    attempts: int  # including this one
    ref: str | None
    dedupe_key: str | None
    lease_until: datetime | None = None  # not sent after this: another sender may take it
    taken_over: bool = False  # claimed before by a sender whose lease lapsed


@dataclass(frozen=True)
class Outcome:
    """What became of an entry, as handed to outcome hooks."""

    id: int
    kind: str
    chat_id: int
    user_id: int | None
    ref: str | None
    dedupe_key: str | None
    status: OutboxStatus
    message_id: int | None
    error: str | None
    attempts: int


OutcomeHook = Callable[[AsyncSession, Outcome], Awaitable[None]]
_hooks: dict[str, list[OutcomeHook]] = {}


def on_outcome(kind: str, hook: OutcomeHook) -> None:
    """Call ``hook(session, outcome)`` when an entry of ``kind`` reaches a final
    status (sent, blocked, failed, expired), inside the transaction that
    records it: what the hook writes commits together with the mark."""
    if hook not in _hooks.setdefault(kind, []):
        _hooks[kind].append(hook)


def _insert(session: AsyncSession) -> Any:
    """An INSERT that skips rows whose dedupe key exists (both engines)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(OutboxEntry).on_conflict_do_nothing(index_elements=["dedupe_key"])


async def add_payload(session: AsyncSession, message: Message) -> int:
    """Store a message once, to enqueue it for many chats by its id."""
    payload = OutboxPayload(content=message.model_dump(mode="json"))
    session.add(payload)
    await session.flush()
    return payload.id


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    chat_id: int,
    message: Message | int,
    user_id: int | None = None,
    priority: int = Priority.NORMAL,
    dedupe_key: str | None = None,
    ref: str | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> Enqueued:
    """Queue one message (a :class:`Message`, or a payload id from
    :func:`add_payload`). Nothing is sent before the session commits. With a
    ``dedupe_key`` that is already in the outbox, nothing is added and the
    existing entry is returned."""
    if dedupe_key is not None:
        existing = await session.scalar(
            select(OutboxEntry.id).where(OutboxEntry.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return Enqueued(existing, False)
    payload_id = message if isinstance(message, int) else await add_payload(session, message)
    values = _row(kind, priority, payload_id, ref, not_before, expires_at)
    values.update(chat_id=chat_id, user_id=user_id, dedupe_key=dedupe_key)
    new_id = await session.scalar(_insert(session).values(**values).returning(OutboxEntry.id))
    if new_id is not None:
        return Enqueued(int(new_id), True)
    raced = await session.scalar(select(OutboxEntry.id).where(OutboxEntry.dedupe_key == dedupe_key))
    assert raced is not None
    return Enqueued(int(raced), False)


async def enqueue_many(
    session: AsyncSession,
    *,
    kind: str,
    recipients: Sequence[Recipient],
    message: Message | int,
    priority: int = Priority.BULK,
    ref: str | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Queue the same message for many chats (one payload row). Recipients
    whose dedupe key is already in the outbox are skipped. Returns how many
    entries were added."""
    seen = await _known_keys(session, recipients)
    fresh = [r for r in recipients if r.dedupe_key is None or r.dedupe_key not in seen]
    if not fresh:
        return 0
    payload_id = message if isinstance(message, int) else await add_payload(session, message)
    base = _row(kind, priority, payload_id, ref, not_before, expires_at)
    rows = [
        {**base, "chat_id": r.chat_id, "user_id": r.user_id, "dedupe_key": r.dedupe_key}
        for r in fresh
    ]
    for chunk in _chunks(rows, 1000):
        await session.execute(_insert(session), chunk)
    return len(fresh)


async def enqueue_batches(
    session: AsyncSession,
    *,
    kind: str,
    batches: Sequence[tuple[Message, Sequence[Recipient]]],
    priority: int = Priority.NORMAL,
    ref: str | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> int:
    """:func:`enqueue_many` for many messages at once (a reminder whose text
    differs from one area to the next): the same rules, in a handful of
    statements however many messages there are. Returns how many entries
    were added."""
    every = [r for _, people in batches for r in people]
    seen = await _known_keys(session, every)
    fresh = [
        (message, kept)
        for message, people in batches
        if (kept := [r for r in people if r.dedupe_key is None or r.dedupe_key not in seen])
    ]
    if not fresh:
        return 0
    payload_ids = list(
        await session.scalars(
            insert(OutboxPayload).returning(OutboxPayload.id, sort_by_parameter_order=True),
            [{"content": message.model_dump(mode="json")} for message, _ in fresh],
        )
    )
    rows = []
    for payload_id, (_, people) in zip(payload_ids, fresh, strict=True):
        base = _row(kind, priority, payload_id, ref, not_before, expires_at)
        rows += [
            {**base, "chat_id": r.chat_id, "user_id": r.user_id, "dedupe_key": r.dedupe_key}
            for r in people
        ]
    for chunk in _chunks(rows, 1000):
        await session.execute(_insert(session), chunk)
    return len(rows)


async def _known_keys(session: AsyncSession, recipients: Sequence[Recipient]) -> set[str]:
    keys = [r.dedupe_key for r in recipients if r.dedupe_key is not None]
    seen: set[str] = set()
    for key_chunk in _chunks(keys, 500):
        seen.update(
            k
            for k in await session.scalars(
                select(OutboxEntry.dedupe_key).where(OutboxEntry.dedupe_key.in_(key_chunk))
            )
            if k is not None
        )
    return seen


def _row(
    kind: str,
    priority: int,
    payload_id: int,
    ref: str | None,
    not_before: datetime | None,
    expires_at: datetime | None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "priority": int(priority),
        "payload_id": payload_id,
        "ref": ref,
        "status": OutboxStatus.PENDING,
        "not_before": not_before or ASAP,
        "expires_at": expires_at,
        "attempts": 0,
        "created_at": datetime.now(UTC),
    }


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Reading.
async def get(session: AsyncSession, entry_id: int) -> OutboxEntry | None:
    return await session.get(OutboxEntry, entry_id)


async def by_dedupe_key(session: AsyncSession, dedupe_key: str) -> OutboxEntry | None:
    return await session.scalar(select(OutboxEntry).where(OutboxEntry.dedupe_key == dedupe_key))


async def counts(session: AsyncSession, ref: str) -> dict[OutboxStatus, int]:
    """How many entries of ``ref`` are in each status (every status present)."""
    rows = await session.execute(
        select(OutboxEntry.status, func.count())
        .where(OutboxEntry.ref == ref)
        .group_by(OutboxEntry.status)
    )
    found = {status: 0 for status in OutboxStatus}
    found.update({status: int(n) for status, n in rows.all()})
    return found


async def message_of(session: AsyncSession, payload_id: int) -> Message:
    payload = await session.get(OutboxPayload, payload_id)
    if payload is None:
        raise LookupError(f"no outbox payload {payload_id}")
    return Message.model_validate(payload.content)


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest pending entry may be sent."""
    found: datetime | None = await session.scalar(
        select(func.min(OutboxEntry.not_before)).where(OutboxEntry.status == OutboxStatus.PENDING)
    )
    if found is not None and found.tzinfo is None:
        found = found.replace(tzinfo=UTC)  # an aggregate bypasses the column type
    return found


# Feature-side changes.
async def cancel(session: AsyncSession, ref: str) -> int:
    """Withdraw the entries of ``ref`` that are not sent yet. Entries being
    sent at this moment finish. Returns how many were withdrawn."""
    result = await session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.ref == ref, OutboxEntry.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, finished_at=datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)


# The sender's steps. Each runs in a transaction of its own.
DEFAULT_LEASE = timedelta(seconds=15)
# A claim reads this many times the entries it may take, so that one chat's
# queue ahead of the others still leaves entries for other chats.
CLAIM_WINDOW = 4


def _lapsed(now: datetime) -> Any:
    """``sending`` entries whose claimer's lease has run out (or that were
    claimed before leases existed): their sender died, or lost the database."""
    return and_(
        OutboxEntry.status == OutboxStatus.SENDING,
        or_(OutboxEntry.lease_until.is_(None), OutboxEntry.lease_until <= now),
    )


async def claimed_ids(session: AsyncSession) -> set[int]:
    """Entries marked ``sending`` (at start-up: claimed by a process that died)."""
    rows = await session.scalars(
        select(OutboxEntry.id).where(OutboxEntry.status == OutboxStatus.SENDING)
    )
    return set(rows.all())


async def expire_due(session: AsyncSession, now: datetime) -> list[Outcome]:
    """Entries past ``expires_at`` will not be sent; their hooks run. A lapsed
    claim past its expiry is expired too, not taken over."""
    stale = (
        await session.scalars(
            select(OutboxEntry)
            .where(
                or_(OutboxEntry.status == OutboxStatus.PENDING, _lapsed(now)),
                OutboxEntry.expires_at.is_not(None),
                OutboxEntry.expires_at <= now,
            )
            .limit(500)
            .with_for_update(skip_locked=True)
        )
    ).all()
    outcomes = []
    for entry in stale:
        entry.status, entry.finished_at = OutboxStatus.EXPIRED, now
        outcomes.append(_outcome(entry))
    await session.flush()
    for outcome in outcomes:
        await _run_hooks(session, outcome)
    return outcomes


async def claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    *,
    owner: str = "",
    lease: timedelta = DEFAULT_LEASE,
    busy_chats: Collection[int] = (),
) -> list[Claimed]:
    """Take up to ``limit`` due entries, most urgent first, and mark them
    ``sending`` by ``owner`` until ``now + lease``. Entries another sender
    holds are skipped (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and their
    unexpired lease everywhere); an entry whose lease lapsed is taken over,
    with ``taken_over`` set: its first claimer may have sent it. The caller
    commits before sending anything.

    At most one entry per chat is taken, and none for a chat that has an
    entry ``sending`` under a live lease or that is in ``busy_chats`` (the
    caller's own, still in flight or waiting for their turn). A chat gets one
    message a second, so fifty alerts to one coordinator would otherwise fill
    every slot of the sender and hold a broadcast to everyone else behind
    them; it also keeps one chat's messages in order."""
    due = and_(
        OutboxEntry.status == OutboxStatus.PENDING,
        OutboxEntry.not_before <= now,
    )
    live = aliased(OutboxEntry)
    held = (
        select(live.id)
        .where(
            live.chat_id == OutboxEntry.chat_id,
            live.status == OutboxStatus.SENDING,
            live.lease_until > now,
        )
        .exists()
    )
    query = (
        select(OutboxEntry)
        .where(
            or_(due, _lapsed(now)),
            or_(OutboxEntry.expires_at.is_(None), OutboxEntry.expires_at > now),
            ~held,
        )
        .order_by(OutboxEntry.priority, OutboxEntry.not_before, OutboxEntry.id)
        .limit(limit * CLAIM_WINDOW)
        .with_for_update(skip_locked=True)
    )
    if busy_chats:
        query = query.where(OutboxEntry.chat_id.not_in(list(busy_chats)))
    entries: list[OutboxEntry] = []
    chats: set[int] = set()
    for entry in (await session.scalars(query)).all():
        if entry.chat_id not in chats and len(entries) < limit:
            chats.add(entry.chat_id)
            entries.append(entry)
    claimed = []
    for entry in entries:
        taken_over = entry.status is OutboxStatus.SENDING
        if taken_over:
            log.warning(
                "outbox entry %d: the lease of %s lapsed; sending it again (it may arrive twice)",
                entry.id,
                entry.claimed_by or "an earlier version",
            )
        entry.status, entry.claimed_at = OutboxStatus.SENDING, now
        entry.claimed_by, entry.lease_until = owner[:64] or None, now + lease
        entry.attempts += 1
        claimed.append(
            Claimed(
                id=entry.id,
                kind=entry.kind,
                priority=entry.priority,
                chat_id=entry.chat_id,
                user_id=entry.user_id,
                payload_id=entry.payload_id,
                attempts=entry.attempts,
                ref=entry.ref,
                dedupe_key=entry.dedupe_key,
                lease_until=now + lease,
                taken_over=taken_over,
            )
        )
    await session.flush()
    return claimed


async def finish(
    session: AsyncSession,
    entry_id: int,
    status: OutboxStatus,
    now: datetime,
    *,
    message_id: int | None = None,
    error: str | None = None,
    hooks: bool = True,
) -> Outcome | None:
    """Record a final status, in one UPDATE (the mark right after a send is
    the sender's duplicate window: it is kept short). ``blocked`` also marks
    the user as unreachable, so later broadcasts skip them until they write to
    the bot again. An entry already final is left as it is (None)."""
    assert status.final
    row = (
        await session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id == entry_id,
                OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
            .values(
                status=status,
                finished_at=now,
                message_id=message_id,
                error=error[:300] if error else None,
            )
            .returning(
                OutboxEntry.kind,
                OutboxEntry.chat_id,
                OutboxEntry.user_id,
                OutboxEntry.ref,
                OutboxEntry.dedupe_key,
                OutboxEntry.attempts,
            )
            .execution_options(synchronize_session=False)
        )
    ).first()
    if row is None:
        return None
    kind, chat_id, user_id, ref, dedupe_key, attempts = row
    if status is OutboxStatus.BLOCKED:
        await session.execute(
            update(User).where(User.telegram_id == chat_id).values(bot_blocked=True)
        )
    outcome = Outcome(
        id=entry_id,
        kind=kind,
        chat_id=chat_id,
        user_id=user_id,
        ref=ref,
        dedupe_key=dedupe_key,
        status=status,
        message_id=message_id,
        error=error[:300] if error else None,
        attempts=attempts,
    )
    if hooks:
        await _run_hooks(session, outcome)
    return outcome


async def finish_sent(session: AsyncSession, sent: Sequence[tuple[int, int, datetime]]) -> None:
    """Record many ``(entry id, message id, when)`` as sent in one statement
    (executemany). For kinds without outcome hooks (:func:`has_hooks`); an
    entry already final is left as it is."""
    if not sent:
        return
    table = cast(Table, OutboxEntry.__table__)
    await session.execute(
        update(table)
        .where(
            table.c.id == bindparam("entry"),
            # not IN (...): an expanding list cannot go in an executemany
            or_(table.c.status == OutboxStatus.PENDING, table.c.status == OutboxStatus.SENDING),
        )
        .values(
            status=OutboxStatus.SENT,
            finished_at=bindparam("at"),
            message_id=bindparam("sent_id"),
            error=None,
        ),
        [{"entry": entry, "sent_id": message, "at": at} for entry, message, at in sent],
    )


def has_hooks(kind: str) -> bool:
    """Whether an outcome of this kind runs hooks (:func:`on_outcome`)."""
    return bool(_hooks.get(kind))


async def release(
    session: AsyncSession,
    entry_id: int,
    not_before: datetime,
    error: str,
    *,
    count_attempt: bool = True,
    owner: str | None = None,
) -> None:
    """Put a claimed entry back to wait (a transient error: 429, 5xx, timeout).
    With ``owner``, only while that sender still holds the claim."""
    entry = await session.get(OutboxEntry, entry_id, with_for_update=True)
    if entry is None or entry.status is not OutboxStatus.SENDING:
        return
    if owner is not None and entry.claimed_by != owner[:64]:
        return
    entry.status, entry.not_before, entry.claimed_at = OutboxStatus.PENDING, not_before, None
    entry.claimed_by, entry.lease_until = None, None
    entry.error = error[:300]
    if not count_attempt:
        entry.attempts = max(0, entry.attempts - 1)
    await session.flush()


# Retention.
INCIDENT_KINDS_PREFIX = "incident_"  # alerts, notices, status updates (storage.incidents)
PURGE_BATCH = 1000


@dataclass(frozen=True)
class Retention:
    """How long a finished entry is kept after its outcome, by kind."""

    default: timedelta
    incidents: timedelta  # kinds starting with "incident_": a chat id next to an incident code


@dataclass(frozen=True)
class Purged:
    entries: int
    payloads: int


def _purgeable(now: datetime, retention: Retention) -> Any:
    incident = OutboxEntry.kind.startswith(INCIDENT_KINDS_PREFIX, autoescape=True)

    def older(cutoff: datetime) -> Any:
        return or_(
            OutboxEntry.finished_at < cutoff,
            and_(OutboxEntry.finished_at.is_(None), OutboxEntry.created_at < cutoff),
        )

    return and_(
        OutboxEntry.status.in_([s for s in OutboxStatus if s.final]),
        or_(
            and_(incident, older(now - retention.incidents)),
            and_(~incident, older(now - retention.default)),
        ),
    )


async def purge_finished(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    retention: Retention,
    *,
    batch: int = PURGE_BATCH,
) -> Purged:
    """Delete the entries whose outcome is older than their retention, then
    the messages (payloads) that no entry uses any more and that are older
    than the shorter retention. Pending and sending entries are never
    touched. Each batch is a transaction of its own, so that SQLite's write
    lock is held for one batch at a time; the batches walk up the ids once."""
    entries = await _purge_in_batches(
        sessions,
        OutboxEntry.id,
        _purgeable(now, retention),
        delete(OutboxEntry),
        batch,
    )
    cutoff = now - min(retention.default, retention.incidents)
    unused = and_(
        OutboxPayload.created_at < cutoff,
        ~exists().where(OutboxEntry.payload_id == OutboxPayload.id),
    )
    payloads = await _purge_in_batches(
        sessions, OutboxPayload.id, unused, delete(OutboxPayload), batch
    )
    if entries or payloads:
        log.info("outbox purge: %d entries and %d messages deleted", entries, payloads)
    return Purged(entries, payloads)


async def _purge_in_batches(
    sessions: async_sessionmaker[AsyncSession],
    id_column: Any,
    condition: Any,
    statement: Any,
    batch: int,
) -> int:
    deleted, after = 0, 0
    while True:
        async with sessions.begin() as session:
            ids = list(
                await session.scalars(
                    select(id_column)
                    .where(id_column > after, condition)
                    .order_by(id_column)
                    .limit(batch)
                )
            )
            if ids:
                await session.execute(
                    statement.where(id_column.in_(ids)).execution_options(synchronize_session=False)
                )
        deleted += len(ids)
        if len(ids) < batch:
            return deleted
        after = ids[-1]


def _outcome(entry: OutboxEntry) -> Outcome:
    return Outcome(
        id=entry.id,
        kind=entry.kind,
        chat_id=entry.chat_id,
        user_id=entry.user_id,
        ref=entry.ref,
        dedupe_key=entry.dedupe_key,
        status=entry.status,
        message_id=entry.message_id,
        error=entry.error,
        attempts=entry.attempts,
    )


async def _run_hooks(session: AsyncSession, outcome: Outcome) -> None:
    for hook in _hooks.get(outcome.kind, ()):
        await hook(session, outcome)


__all__ = [
    "ASAP",
    "DEFAULT_LEASE",
    "Button",
    "Claimed",
    "Enqueued",
    "Message",
    "OutboxEntry",
    "OutboxStatus",
    "Outcome",
    "Priority",
    "Purged",
    "Recipient",
    "Retention",
    "add_payload",
    "by_dedupe_key",
    "cancel",
    "claim",
    "counts",
    "enqueue",
    "enqueue_batches",
    "enqueue_many",
    "expire_due",
    "finish",
    "finish_sent",
    "get",
    "has_hooks",
    "message_of",
    "next_due",
    "on_outcome",
    "purge_finished",
    "release",
]

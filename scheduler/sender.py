"""The sender: works through the outbox (``storage.outbox``), most urgent
first, within Telegram's limits (``scheduler.throttle``), and records what
became of every message.

Exactly once, as far as Telegram allows. Each entry goes through:

1. **claim**: a transaction marks due entries ``sending`` and commits;
2. **send**: one Bot API request;
3. **mark**: a transaction records ``sent`` (with the ``message_id``),
   ``blocked`` or ``failed``, or puts the entry back to wait after a transient
   error, and commits.

A claim is a lease (docs/outbox.md, "Leases"): the entry belongs to this
sender until ``lease_until``, and the sender does not start a request for it
after that. A sender that dies leaves its claimed entries ``sending``; once
their lease has lapsed, any sender takes them over (the standby that became
the leader, or this process restarted) and sends them. Nothing is reset at
start: another process may be sending. An entry claimed but not yet sent is
therefore never lost, and an entry that was marked is never sent again.

The window for a duplicate is between the request and the mark: a ``kill -9``
after Telegram accepted a message leaves its entry ``sending``, and the next
start sends it again. The mark is written as soon as the answer arrives (marks
that arrive during a commit go into the next one together), but a commit
takes milliseconds, tens on a loaded machine. So the sender first appends the
entry to the sent journal (``scheduler.journal``), synchronously, with no
``await`` between the parsed answer and that ``write()``; the next start marks
journalled entries sent instead of sending them again. What is left is one
request's round trip: a request written just before the kill still reaches
Telegram, which delivers it, and its answer is never read. On loopback that is
about a millisecond per message in flight (at 30 messages a second a random
kill lands in one a few times in a hundred); to Telegram it is one network
round trip. Without a journal (in-memory databases, or
``BINHDANG_OUTBOX_JOURNAL=off``) the commit of the mark is part of the window
too. A timeout is the same window seen from the other side: Telegram may have
delivered a message whose answer never arrived, and the retry can duplicate it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram import Message as TelegramMessage
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from scheduler.journal import SentJournal
from scheduler.throttle import Throttle, paced
from storage import outbox
from storage.models.outbox import OutboxStatus

log = logging.getLogger(__name__)

EXPIRY_EVERY_S = 1.0
# A request is not started this close to the end of its lease: it has the
# margin to reach Telegram before another sender may take the entry over.
LEASE_MARGIN = timedelta(seconds=2)
# A chat whose turn comes sooner than this may be claimed for: its entry waits
# in the throttle that long at most, holding one slot.
TURN_SOON_S = 0.2


@dataclass(frozen=True)
class SenderConfig:
    # Claimed entries at once: enough to keep 30 a second going over a slow
    # link; more only adds latency for alerts and ambiguous entries after a
    # crash on another machine (docs/outbox.md).
    max_in_flight: int = 8
    idle_poll_s: float = 1.0  # how often an idle sender looks for work from elsewhere
    max_attempts: int = 12  # transient errors (5xx, timeouts) before giving up
    backoff_cap_s: float = 300.0
    lease_s: float = 15.0  # how long a claim is this sender's alone
    one_transaction_at_a_time: bool = True  # SQLite; a server takes several
    owner: str = field(default_factory=lambda: default_owner())


def default_owner() -> str:
    """Who claims: this host and process, unique across restarts."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class SenderStats:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    expired: int = 0
    recovered: int = 0  # marked sent at start from the sent journal
    taken_over: int = 0  # claimed after another sender's lease lapsed: ambiguous
    lease_lapsed: int = 0  # not sent: this sender's own lease ran out first
    marks: int = 0
    mark_seconds: float = 0.0  # from Telegram's answer to the committed mark

    @property
    def mean_mark_ms(self) -> float:
        return 1000 * self.mark_seconds / self.marks if self.marks else 0.0


async def send_payload(
    bot: Bot, chat_id: int, message: outbox.Message, *, token_held: bool = True
) -> TelegramMessage:
    """One Bot API request for an outbox message. The sender has taken its
    token from the throttle already; anyone else passes ``token_held=False``."""
    markup = None
    if message.buttons:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(b.text, callback_data=b.callback_data, url=b.url)
                    for b in row
                ]
                for row in message.buttons
            ]
        )
    common: dict[str, Any] = {
        "reply_markup": markup,
        "protect_content": message.protect_content,
        "disable_notification": message.disable_notification,
        "parse_mode": message.parse_mode,
    }
    with paced() if token_held else contextlib.nullcontext():
        if message.edit_message_id is not None and not message.has_media:
            edited = await bot.edit_message_text(
                message.text,
                chat_id=chat_id,
                message_id=message.edit_message_id,
                reply_markup=markup,
                parse_mode=message.parse_mode,
            )
            if isinstance(edited, TelegramMessage):
                return edited
            raise BadRequest("the edited message was not returned")
        if message.photo:
            return await bot.send_photo(
                chat_id, message.photo, caption=message.text or None, **common
            )
        if message.document:
            return await bot.send_document(
                chat_id, message.document, caption=message.text or None, **common
            )
        return await bot.send_message(chat_id, message.text, **common)


class Sender:
    """Sends what the outbox holds. One per process and per database.

    ``start()``/``stop()`` run it in the background, woken by :meth:`wake`, by
    its own timer for scheduled entries, and every ``idle_poll_s``.
    ``drain()`` instead sends everything due now and returns: the tests use
    it, with a clock they control."""

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        throttle: Throttle,
        config: SenderConfig | None = None,
        journal: SentJournal | None = None,
    ) -> None:
        self.bot = bot
        self.journal = journal
        self.sessions = sessions
        self.clock = clock
        self.throttle = throttle
        self.config = config or SenderConfig()
        self.stats = SenderStats()
        self._changed = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._chats_in_flight: dict[int, int] = {}
        self._stopping = False
        self._runner: asyncio.Task[None] | None = None
        # One transaction at a time on SQLite: it has one writer anyway, and the
        # in-memory database of the tests shares one connection between all
        # sessions. A server runs claims, reads and marks side by side.
        self._db_lock: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if self.config.one_transaction_at_a_time else _Unlocked()
        )
        self._payloads: dict[int, outbox.Message] = {}
        self._expired_at = float("-inf")
        self._woken = False
        self._marks: list[_Mark] = []
        self._marker: asyncio.Task[None] | None = None

    # Lifecycle.
    async def start(self) -> None:
        if self._runner is not None and not self._runner.done():
            return
        self._stopping = False
        await self.recover()
        self._runner = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop claiming; let the messages in flight finish and be recorded."""
        self._stopping = True
        self.wake()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner
        if self.journal is not None:
            self.journal.clear_if_settled()
            self.journal.close()

    @property
    def running(self) -> bool:
        return self._runner is not None and not self._runner.done()

    def wake(self) -> None:
        """Look at the outbox now (call it after committing urgent entries)."""
        self._woken = True
        self._changed.set()

    async def recover(self) -> int:
        """Entries this machine's sender sent before it died: those its
        journal says Telegram accepted are marked sent. Nothing else is
        touched: entries claimed by a sender that died are taken over when
        their lease lapses (:func:`storage.outbox.claim`). Returns how many
        were marked."""
        journalled = self.journal.read() if self.journal is not None else {}
        if journalled:
            async with self._db_lock, self.sessions() as session:
                in_doubt = await outbox.claimed_ids(session)
            journalled = {k: v for k, v in journalled.items() if k in in_doubt}
        now = self.clock()
        for entry_id, message_id in journalled.items():
            item = _Journalled(entry_id)

            async def mark(
                session: AsyncSession, entry_id: int = entry_id, message_id: int = message_id
            ) -> None:
                await outbox.finish(
                    session, entry_id, OutboxStatus.SENT, now, message_id=message_id
                )

            await self._write(item, mark)
        if journalled:
            log.warning("%d messages found in the sent journal were marked sent", len(journalled))
        if self.journal is not None:
            self.journal.clear()
        self.stats.recovered += len(journalled)
        return len(journalled)

    async def drain(self) -> SenderStats:
        """Send everything that is due now, wait for the outcomes, and return."""
        self._expired_at = float("-inf")
        await self._pump(until_idle=True)
        return self.stats

    # The loop.
    async def _run(self) -> None:
        try:
            await self._pump(until_idle=False)
        except Exception:
            log.exception("the sender stopped on an error")
            raise

    async def _pump(self, *, until_idle: bool) -> None:
        # The next claim starts once half the slots are free, while the other
        # half are still being sent and recorded. Waiting for every slot made
        # a claim, the sends and their marks take turns, and the rate fell
        # below 30 a second whenever the database was slow (bench/instances.py).
        batch = max(1, self.config.max_in_flight // 2)
        try:
            while not self._stopping:
                room = self.config.max_in_flight - len(self._in_flight)
                if self._in_flight and (room == 0 or (room < batch and not self._woken)):
                    await self._wait(None)  # after wake(), the next free slot
                    continue
                self._woken = False
                # drain() sends everything due: a chat's spacing is waited out in the throttle.
                claimed = await self._claim(room, skip_spaced=not until_idle)
                for item in claimed:
                    self._spawn(item)
                if claimed and len(claimed) == room:
                    continue  # more may be due
                if self._in_flight:
                    await self._wait(None)
                elif until_idle:
                    if not self._changed.is_set():
                        return
                    # A delivery ended during the claim: its chat, left out
                    # of that claim, may have more to send.
                    self._changed.clear()
                else:
                    if self.journal is not None:
                        self.journal.clear_if_settled()
                    await self._wait(await self._idle_timeout())
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _idle_timeout(self) -> float:
        timeout = self.config.idle_poll_s
        try:
            async with self._db_lock, self.sessions() as session:
                due = await outbox.next_due(session)
        except SQLAlchemyError:
            log.exception("cannot read the outbox")
            return timeout
        turn = self.throttle.next_turn_in(TURN_SOON_S)  # a chat left out for its spacing
        if due is not None:
            wait = (due - self.clock()).total_seconds()
            if wait > 0:
                timeout = min(timeout, wait)
            elif turn is None:
                # Due, yet nothing could be claimed: its chat has an entry in
                # flight under another sender's lease. Look again at the poll.
                return timeout
        return timeout if turn is None else min(timeout, turn)

    async def _wait(self, limit_s: float | None) -> None:
        if not self._changed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), limit_s)
        self._changed.clear()

    def _spawn(self, item: outbox.Claimed) -> None:
        task = asyncio.create_task(self._deliver(item), name=f"outbox-{item.id}")
        self._in_flight.add(task)
        chats = self._chats_in_flight
        chats[item.chat_id] = chats.get(item.chat_id, 0) + 1
        task.add_done_callback(lambda done: self._done(done, item.chat_id))

    def _done(self, task: asyncio.Task[None], chat_id: int) -> None:
        self._in_flight.discard(task)
        left = self._chats_in_flight.pop(chat_id, 1) - 1
        if left:
            self._chats_in_flight[chat_id] = left
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task failed", exc_info=task.exception())
        self._changed.set()

    async def _claim(self, limit: int, *, skip_spaced: bool) -> list[outbox.Claimed]:
        now = self.clock()
        busy = set(self._chats_in_flight)
        if skip_spaced:
            busy |= self.throttle.spaced_chats(TURN_SOON_S)
        expire = time.monotonic() - self._expired_at >= EXPIRY_EVERY_S
        expired: list[outbox.Outcome] = []
        try:
            async with self._db_lock, self.sessions.begin() as session:
                if expire:  # claim skips expired entries; marking them can wait a second
                    expired = await outbox.expire_due(session, now)
                    self._expired_at = time.monotonic()
                claimed = await outbox.claim(
                    session,
                    now,
                    limit,
                    owner=self.config.owner,
                    lease=timedelta(seconds=self.config.lease_s),
                    busy_chats=busy,
                )
        except SQLAlchemyError:
            log.exception("cannot claim from the outbox")
            await asyncio.sleep(1.0)
            return []
        self.stats.expired += len(expired)
        self.stats.taken_over += sum(1 for c in claimed if c.taken_over)
        return claimed

    # One message.
    async def _deliver(self, item: outbox.Claimed) -> None:
        try:
            message = await self._message(item.payload_id)
        except (LookupError, ValidationError) as exc:
            await self._finish(item, OutboxStatus.FAILED, error=f"unreadable payload: {exc}")
            return
        await self.throttle.acquire(item.chat_id, item.priority)
        if item.lease_until is not None and self.clock() >= item.lease_until - LEASE_MARGIN:
            # Waited too long for its turn: another sender may take it over
            # now, so this one must not send it.
            self.throttle.refund()
            self.stats.lease_lapsed += 1
            await self._release(item, 0.0, "lease lapsed before sending", count=False)
            return
        try:
            sent = await send_payload(self.bot, item.chat_id, message)
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            self.throttle.pause(delay, item.chat_id)
            await self._release(item, delay, f"429: retry after {delay:g} s", count=False)
        except Forbidden as exc:
            self.throttle.refund()
            await self._finish(item, OutboxStatus.BLOCKED, error=str(exc))
        except BadRequest as exc:
            await self._finish(item, OutboxStatus.FAILED, error=str(exc))
        except TimedOut as exc:
            await self._retry_or_fail(item, f"timed out: {exc}")
        except NetworkError as exc:  # a 5xx, or Telegram unreachable
            self.throttle.refund()
            await self._retry_or_fail(item, str(exc))
        except TelegramError as exc:
            await self._finish(item, OutboxStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("unexpected error sending outbox entry %d", item.id)
            await self._retry_or_fail(item, f"{type(exc).__name__}: {exc}")
        else:
            # The duplicate window of the module docstring starts here: the
            # journal (no await before it) closes it, the commit ends it.
            if self.journal is not None:
                self.journal.record(item.id, sent.message_id)
            answered = time.monotonic()
            marked = await self._finish(item, OutboxStatus.SENT, message_id=sent.message_id)
            if marked and self.journal is not None:
                self.journal.committed()
                self.journal.clear_if_settled()
            self.stats.marks += 1
            self.stats.mark_seconds += time.monotonic() - answered

    async def _message(self, payload_id: int) -> outbox.Message:
        message = self._payloads.get(payload_id)
        if message is None:
            async with self._db_lock, self.sessions() as session:
                message = await outbox.message_of(session, payload_id)
            if len(self._payloads) > 1000:
                self._payloads.clear()
            self._payloads[payload_id] = message
        return message

    async def _retry_or_fail(self, item: outbox.Claimed, error: str) -> None:
        if item.attempts >= self.config.max_attempts:
            await self._finish(
                item,
                OutboxStatus.FAILED,
                error=f"gave up after {item.attempts} attempts: {error}",
            )
            return
        delay = min(self.config.backoff_cap_s, 2.0 ** (item.attempts - 1))
        await self._release(item, delay, error, count=True)

    async def _release(
        self, item: outbox.Claimed, delay: float, error: str, *, count: bool
    ) -> None:
        self.stats.retried += 1
        not_before = self.clock() + timedelta(seconds=delay)

        async def write(session: AsyncSession) -> None:
            await outbox.release(
                session,
                item.id,
                not_before,
                error,
                count_attempt=count,
                owner=self.config.owner,
            )

        await self._write(item, write)

    async def _finish(
        self,
        item: outbox.Claimed,
        status: OutboxStatus,
        *,
        message_id: int | None = None,
        error: str | None = None,
    ) -> bool:
        """Record the outcome; False if the database could not be written.
        Outcomes that arrive while another is being written are committed
        together (group commit), so a busy database does not become the
        bottleneck of the send rate."""
        if status is OutboxStatus.SENT:
            self.stats.sent += 1
        elif status is OutboxStatus.BLOCKED:
            self.stats.blocked += 1
        else:
            self.stats.failed += 1
            log.warning("outbox entry %d to %d failed: %s", item.id, item.chat_id, error)
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks.append(_Mark(item, status, self.clock(), message_id, error, done))
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._write_marks(), name="outbox-marks")
        return await done

    async def _write_marks(self) -> None:
        while self._marks:
            batch, self._marks = self._marks, []
            plain = [m for m in batch if m.plain]
            try:
                async with self._db_lock, self.sessions.begin() as session:
                    await outbox.finish_sent(
                        session, [(m.item.id, m.message_id or 0, m.at) for m in plain]
                    )
                    for mark in batch:
                        if not mark.plain:
                            await mark.write(session, hooks=True)
            except Exception as exc:
                if isinstance(exc, SQLAlchemyError):
                    log.exception("cannot record %d outbox outcomes; one by one now", len(batch))
                else:
                    log.exception("an outcome hook failed; recording one by one")
                for mark in batch:
                    mark.done.set_result(await self._one_mark(mark))
            else:
                for mark in batch:
                    mark.done.set_result(True)

    async def _one_mark(self, mark: _Mark) -> bool:
        try:
            async with self._db_lock, self.sessions.begin() as session:
                await mark.write(session, hooks=True)
            return True
        except SQLAlchemyError:
            log.exception("cannot record outbox entry %d; retrying", mark.item.id)
        except Exception:
            log.exception("an outcome hook of kind %r failed; recorded without it", mark.item.kind)

        async def without_hooks(session: AsyncSession) -> None:
            await mark.write(session, hooks=False)

        return await self._write(mark.item, without_hooks)

    async def _write(self, item: outbox.Claimed | _Journalled, write: Any) -> bool:
        """Commit ``write``, retrying while the database is unreachable."""
        for attempt in range(6):
            try:
                async with self._db_lock, self.sessions.begin() as session:
                    await write(session)
                return True
            except SQLAlchemyError:
                log.exception("cannot record outbox entry %d (attempt %d)", item.id, attempt + 1)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        log.critical("outbox entry %d stays 'sending'; see the sent journal", item.id)
        return False


class _Unlocked(contextlib.AbstractAsyncContextManager[None]):
    async def __aexit__(self, *exc: object) -> None:
        return None


@dataclass(frozen=True)
class _Journalled:
    id: int


@dataclass(frozen=True)
class _Mark:
    item: outbox.Claimed
    status: OutboxStatus
    at: datetime
    message_id: int | None
    error: str | None
    done: asyncio.Future[bool]

    @property
    def plain(self) -> bool:
        """Sent, and of a kind without hooks: one statement marks many."""
        return (
            self.status is OutboxStatus.SENT
            and self.message_id is not None
            and not outbox.has_hooks(self.item.kind)
        )

    async def write(self, session: AsyncSession, *, hooks: bool) -> None:
        await outbox.finish(
            session,
            self.item.id,
            self.status,
            self.at,
            message_id=self.message_id,
            error=self.error,
            hooks=hooks,
        )


def _seconds(value: timedelta | float | int) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

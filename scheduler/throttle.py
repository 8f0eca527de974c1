"""Staying inside Telegram's limits: at most ``rate`` messages per second for
the whole bot (30 by default; more with paid broadcasts) and at most one per
``chat_interval`` seconds to any one chat, with the most urgent first.

PTB's ``AIORateLimiter`` was not enough: it limits the whole bot (every request
that has a ``chat_id``) and group chats, but has no limit per private chat and
no priorities, so an alert would queue behind a broadcast; and on a 429 it stops
everything, retrying only if asked to. Here the sender asks
:meth:`Throttle.acquire` for each message with its chat and priority, and
:class:`SharedRateLimiter` meters the handlers' own sends and edits.

With several processes (``bot.runtime``) a budget kept in memory is per
process. The outbox is sent by the leader alone, so its throttle is the
budget of the whole bot for what it sends on its own (broadcasts, reminders,
alerts). Replies are sent by the process that got the update and have a
throttle of their own in each process (the same rate): they answer people
who write, at the pace those people write, and they must not slow a
broadcast down, nor a broadcast them. A 429 from Telegram is obeyed by both
(docs/outbox.md, "Several processes and the rate budget").
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

INTERACTIVE = 1
"""Priority of replies made by handlers: after urgent alerts, before reminders
and broadcasts (see ``storage.models.outbox.Priority``)."""

CHAT_MARGIN_S = 0.05  # clock jitter between us and the server; a 429 costs a full second
_EPSILON = 1e-9  # float refills land just short of a whole token
_paced: ContextVar[bool] = ContextVar("paced", default=False)

_LIMITED = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvoice",
        "sendvideo",
        "sendaudio",
        "sendanimation",
        "sendlocation",
        "sendcontact",
        "sendmediagroup",
        "sendsticker",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "editmessagemedia",
    }
)


class Throttle:
    """A token bucket for the bot, spacing per chat, and a priority queue.

    The bucket holds ``rate * burst_s`` tokens; half a second of burst leaves
    the server's own one-second bucket room for our clock's jitter."""

    def __init__(
        self,
        rate_per_s: float = 30.0,
        chat_interval_s: float = 1.0,
        *,
        burst_s: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        self.rate = rate_per_s
        self.chat_interval = chat_interval_s
        self.capacity = max(1.0, rate_per_s * burst_s)
        self._now = monotonic
        self._sleep = sleep
        # A process that has just started does not know what the one before it
        # sent in its last second (a crash, a quick restart): no burst at first.
        self._tokens = 1.0
        self._updated = monotonic()
        self._paused_until = 0.0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._granter: asyncio.Task[None] | None = None
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_free_at: dict[int, float] = {}

    async def acquire(self, chat_id: int | None, priority: int) -> None:
        """Wait for this chat's turn, then for a token of the whole bot."""
        if chat_id is None or self.chat_interval <= 0:
            await self.take(priority)
            return
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            wait = self._chat_free_at.get(chat_id, 0.0) - self._now()
            if wait > 0:
                await self._sleep(wait)
            await self.take(priority)
            self._chat_free_at[chat_id] = self._now() + self.chat_interval + CHAT_MARGIN_S
        if not lock.locked() and len(self._chat_locks) > 10_000:
            self._forget_idle_chats()

    def spaced_chats(self, within_s: float) -> set[int]:
        """Chats whose next turn is more than ``within_s`` away."""
        later = self._now() + within_s
        return {chat for chat, free_at in self._chat_free_at.items() if free_at > later}

    def next_turn_in(self, within_s: float) -> float | None:
        """Seconds until the soonest of :meth:`spaced_chats` has its turn
        ``within_s`` away; None if there is none."""
        later = self._now() + within_s
        waits = [free_at - later for free_at in self._chat_free_at.values() if free_at > later]
        return min(waits) if waits else None

    def refund(self) -> None:
        """A request the server refused before counting it (403, 5xx)."""
        self._refill()
        self._tokens = min(self.capacity, self._tokens + 1.0)

    def pause(self, seconds: float, chat_id: int | None = None, *, everyone: bool = True) -> None:
        """After a 429: wait ``seconds`` as Telegram asks, in this chat or, by
        default, everywhere (a 429 in a broadcast is flood control of the bot)."""
        until = self._now() + seconds
        if everyone:
            self._paused_until = max(self._paused_until, until)
        if chat_id is not None:
            self._chat_free_at[chat_id] = max(self._chat_free_at.get(chat_id, 0.0), until)

    async def take(self, priority: int) -> None:
        """A token of the whole bot, without spacing per chat."""
        if not self._waiters and self._wait_time() <= 0:
            self._tokens -= 1.0
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        if self._granter is None or self._granter.done():
            self._granter = asyncio.create_task(self._grant())
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.refund()  # granted just as the waiter gave up
            raise

    async def _grant(self) -> None:
        while self._waiters:
            if self._waiters[0][2].done():  # its waiter was cancelled
                heapq.heappop(self._waiters)
                continue
            wait = self._wait_time()
            if wait > 0:
                await self._sleep(wait)
                continue
            _, _, future = heapq.heappop(self._waiters)
            self._tokens -= 1.0
            future.set_result(None)

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def _wait_time(self) -> float:
        self._refill()
        paused = self._paused_until - self._now()
        short = 0.0 if self._tokens >= 1.0 - _EPSILON else (1.0 - self._tokens) / self.rate
        return max(paused, short)

    def _forget_idle_chats(self) -> None:
        now = self._now()
        for chat_id in [c for c, t in self._chat_free_at.items() if t < now]:
            lock = self._chat_locks.get(chat_id)
            if lock is None or not lock.locked():
                self._chat_free_at.pop(chat_id, None)
                self._chat_locks.pop(chat_id, None)


@contextmanager
def paced() -> Iterator[None]:
    """Requests made inside hold their token already (the sender's)."""
    token = _paced.set(True)
    try:
        yield
    finally:
        _paced.reset(token)


class SharedRateLimiter(BaseRateLimiter[None]):
    """PTB's hook for every request of the Application's bot: sends and edits
    made by handlers take a token from the replies' :class:`Throttle` (no
    spacing per chat, so a reply of two messages is not held back), and a 429
    is waited out and retried twice. Requests the sender makes inside
    :func:`paced` already hold their token."""

    def __init__(self, throttle: Throttle, max_retries: int = 2) -> None:
        self.throttle = throttle
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if _paced.get() or endpoint.lower() not in _LIMITED:
            return await callback(*args, **kwargs)
        chat_id = data.get("chat_id")
        chat = chat_id if isinstance(chat_id, int) else None
        for attempt in range(self.max_retries + 1):
            await self.throttle.take(INTERACTIVE)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = _seconds(exc.retry_after)
                self.throttle.pause(delay, chat, everyone=False)
                if attempt == self.max_retries:
                    raise
                log.info("429 on %s to %s: waiting %.1f s", endpoint, chat, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(str(value))

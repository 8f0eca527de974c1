"""Rate limits and fault injection for the local Bot API.

Algorithm: token buckets. Each bucket holds up to ``max(1, rate * burst_s)`` tokens and refills
continuously at ``rate`` tokens per second; an accepted send/edit request takes one token from
the global bucket and one from the chat's bucket. If either bucket has less than one token the
request is answered 429 and consumes nothing; ``retry_after`` is the time until both buckets
hold a full token again, rounded up to whole seconds (at least 1).
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Server behaviour knobs. The default is permissive: no rate limits, no injected errors.

    ``Limits.telegram()`` approximates the real Bot API (30 msg/s overall, 1 msg/s per chat).
    """

    global_per_s: float | None = None
    per_chat_per_s: float | None = None
    burst_s: float = 1.0
    server_error_rate: float = 0.0
    seed: int = 0
    count_utf16: bool = False  # measure text limits in UTF-16 units instead of code points
    max_text_length: int = 4096
    max_caption_length: int = 1024

    @classmethod
    def telegram(cls, **overrides: Any) -> Limits:
        return dataclasses.replace(cls(global_per_s=30.0, per_chat_per_s=1.0), **overrides)


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait_time(self, now: float) -> float:
        self.refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    limits: Limits
    _global: TokenBucket | None = None
    _chats: dict[int, TokenBucket] = field(default_factory=dict)

    def _bucket(self, rate: float, now: float) -> TokenBucket:
        capacity = max(1.0, rate * self.limits.burst_s)
        return TokenBucket(rate=rate, capacity=capacity, tokens=capacity, updated=now)

    def acquire(self, chat_id: int | None, now: float) -> int | None:
        """Take a token; return ``None`` if allowed, else ``retry_after`` in seconds."""
        buckets: list[TokenBucket] = []
        if self.limits.global_per_s is not None:
            if self._global is None:
                self._global = self._bucket(self.limits.global_per_s, now)
            buckets.append(self._global)
        if self.limits.per_chat_per_s is not None and chat_id is not None:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                bucket = self._chats[chat_id] = self._bucket(self.limits.per_chat_per_s, now)
            buckets.append(bucket)
        wait = max((bucket.wait_time(now) for bucket in buckets), default=0.0)
        if wait > 0.0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1.0
        return None


@dataclass
class FaultInjector:
    """Deterministically answers a fraction of send-type requests with 502 Bad Gateway."""

    limits: Limits
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.limits.seed)

    def should_fail(self) -> bool:
        rate = self.limits.server_error_rate
        if rate <= 0.0:
            return False
        return rate >= 1.0 or self._rng.random() < rate

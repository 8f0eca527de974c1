"""The throttle on a virtual clock: what it grants must respect the limits as
measured by its own clock, whatever the order of the requests."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.throttle import CHAT_MARGIN_S, Throttle


class VirtualTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def make(time: VirtualTime, rate: float = 30.0, chat_interval: float = 1.0) -> Throttle:
    return Throttle(rate, chat_interval, monotonic=time.monotonic, sleep=time.sleep)


async def run_all(throttle: Throttle, time: VirtualTime, requests: list[tuple[int, int]]):
    grants: list[tuple[float, int, int]] = []

    async def one(chat: int, priority: int) -> None:
        await throttle.acquire(chat, priority)
        grants.append((time.now, chat, priority))

    await asyncio.gather(*(one(chat, priority) for chat, priority in requests))
    return grants


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from([0, 5, 9])), max_size=60))
def test_grants_respect_both_limits(requests):
    time = VirtualTime()
    throttle = make(time, rate=30.0)
    grants = asyncio.run(run_all(throttle, time, requests))
    assert len(grants) == len(requests)
    times = [t for t, _, _ in grants]
    for i in range(len(times)):
        for j in range(i, len(times)):
            allowed = throttle.capacity + throttle.rate * (times[j] - times[i])
            assert j - i + 1 <= allowed + 1e-6
    for chat in {c for _, c, _ in grants}:
        mine = [t for t, c, _ in grants if c == chat]
        assert all(b - a >= 1.0 + CHAT_MARGIN_S - 1e-9 for a, b in itertools.pairwise(mine))


async def test_urgent_overtakes_waiting_bulk():
    time = VirtualTime()
    throttle = make(time, rate=10.0, chat_interval=0)
    order: list[str] = []

    async def one(name: str, priority: int) -> None:
        await throttle.acquire(None, priority)
        order.append(name)

    bulk = [asyncio.create_task(one(f"bulk{n}", 9)) for n in range(8)]
    await asyncio.sleep(0)  # the bulk requests queue first
    alert = asyncio.create_task(one("alert", 0))
    await asyncio.gather(alert, *bulk)
    # a new throttle has one token, which bulk0 took; the alert takes the next one
    assert order[:2] == ["bulk0", "alert"]
    assert order[2:] == [f"bulk{n}" for n in range(1, 8)]


async def test_refund_and_pause():
    time = VirtualTime()
    throttle = make(time, rate=2.0, chat_interval=0)
    await throttle.take(5)
    assert throttle._tokens == 0.0
    throttle.refund()
    assert throttle._tokens == 1.0
    start = time.now
    throttle.pause(3.0)
    await throttle.take(5)
    assert time.now - start >= 3.0

"""bot.polling: the offset never moves past an update that is not done."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot import polling
from bot.polling import Poller


class FakeApplication:
    """Hands out a future per update, which the test completes."""

    def __init__(self) -> None:
        self.waiters: dict[int, list[asyncio.Future[None]]] = {}

    def enqueue(self, update: Update) -> asyncio.Future[None]:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(update.update_id, []).append(waiter)
        return waiter


async def test_an_update_whose_commit_failed_stays_unconfirmed_until_it_ran_again(monkeypatch):
    monkeypatch.setattr(polling, "RETRY_S", 0.01)
    app = FakeApplication()
    poller = Poller(app)  # type: ignore[arg-type]
    first, second = Update(update_id=10), Update(update_id=11)
    for update in (first, second):
        poller._highest = update.update_id
        poller._enqueue(update)

    app.waiters[10][0].set_exception(RuntimeError("commit failed"))
    app.waiters[11][0].set_result(None)
    await asyncio.sleep(0)  # the done callbacks run
    poller._advance()  # as the polling loop does after each getUpdates
    assert poller.confirmed == 10  # not 12: update 10 was not committed

    for _ in range(100):  # it is handed over again
        if len(app.waiters[10]) == 2:
            break
        await asyncio.sleep(0.01)
    assert poller.confirmed == 10
    app.waiters[10][1].set_result(None)
    await asyncio.sleep(0)
    assert poller.confirmed == 12


async def test_an_update_that_never_commits_does_not_hold_back_the_rest(monkeypatch):
    monkeypatch.setattr(polling, "RETRY_S", 0.0)
    monkeypatch.setattr(polling, "MAX_TRIES", 3)
    app = FakeApplication()
    poller = Poller(app)  # type: ignore[arg-type]
    poller._highest = 20
    poller._enqueue(Update(update_id=20))
    for attempt in range(3):
        for _ in range(100):
            if len(app.waiters[20]) == attempt + 1:
                break
            await asyncio.sleep(0.01)
        assert poller.confirmed in (None, 20)
        app.waiters[20][attempt].set_exception(RuntimeError("never commits"))
        await asyncio.sleep(0)
    assert poller.confirmed == 21  # given up after MAX_TRIES, logged as an error
    await asyncio.sleep(0.05)
    assert len(app.waiters[20]) == 3  # and not handed over again

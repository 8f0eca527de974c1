"""Long polling that confirms an update to Telegram only once it has been
processed.

PTB's ``Updater`` confirms a batch (the ``offset`` of the next
``getUpdates``) as soon as it has queued it, before the handlers run: a
process that dies then loses the updates it had queued. Here the offset only
moves past an update once the Application has finished with it, and with
every earlier one; a process that dies mid-way gets the unfinished updates
again from Telegram at its next start (the skip of redelivered updates,
``handlers.delivery``, keeps one that did finish from running twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.app import TrackedApplication

log = logging.getLogger(__name__)
RETRY_S = 1.0  # before an update whose state could not be committed runs again
# Tries of one such update before it is given up (logged as an error): one
# update that can never be committed must not hold back every later one.
MAX_TRIES = 30


class Poller:
    def __init__(
        self, application: TrackedApplication, *, timeout_s: int = 10, limit: int = 100
    ) -> None:
        self.application = application
        self.timeout_s = timeout_s
        self.limit = limit
        self.confirmed: int | None = None  # the offset of the next getUpdates
        self._in_flight: dict[int, asyncio.Future[None]] = {}
        self._failures: dict[int, int] = {}  # update id → failed tries
        self._highest = -1
        self._progress = asyncio.Event()

    async def run(self) -> None:
        """Until cancelled. The updates in flight then stay unconfirmed."""
        await self.application.bot.delete_webhook(drop_pending_updates=False)
        failures = 0
        while True:
            try:
                updates = await self.application.bot.get_updates(
                    offset=self.confirmed,
                    timeout=self.timeout_s,
                    limit=self.limit,
                    allowed_updates=Update.ALL_TYPES,
                    read_timeout=self.timeout_s + 10,
                )
                failures = 0
            except (InvalidToken, Conflict):
                raise
            except RetryAfter as exc:
                await asyncio.sleep(float(str(exc.retry_after)) if exc.retry_after else 1.0)
                continue
            except (TimedOut, NetworkError) as exc:
                failures += 1
                log.warning("getUpdates failed (%s); trying again", exc)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            fresh = [u for u in updates if u.update_id > self._highest]
            for update in fresh:
                self._highest = update.update_id
                self._enqueue(update)
            if updates and not fresh:
                # Telegram answers at once while unconfirmed updates remain:
                # wait for one of ours to finish rather than ask again.
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), 1.0)
            self._advance()

    def _enqueue(self, update: Update) -> None:
        waiter = self.application.enqueue(update)
        self._in_flight[update.update_id] = waiter
        waiter.add_done_callback(functools.partial(self._finished, update))

    def _finished(self, update: Update, waiter: asyncio.Future[None]) -> None:
        done = [k for k, w in self._in_flight.items() if w is waiter]
        if waiter.cancelled():
            return  # the Application stopped first: Telegram delivers it again
        if waiter.exception() is not None:
            tries = self._failures.get(update.update_id, 0) + 1
            self._failures[update.update_id] = tries
            if tries < MAX_TRIES:
                # Its state could not be committed: it stays unconfirmed and runs again.
                log.warning("update %d was not committed; processing it again", update.update_id)
                asyncio.get_running_loop().call_later(RETRY_S, self._enqueue, update)
                return
            log.error(
                "update %d was not committed after %d tries; given up", update.update_id, tries
            )
        self._failures.pop(update.update_id, None)
        for key in done:
            del self._in_flight[key]
        self._advance()
        self._progress.set()

    def _advance(self) -> None:
        """Confirm every update below the oldest unfinished one."""
        # Done without an error is confirmed; a failed one waits for its retry.
        pending = [
            k
            for k, w in self._in_flight.items()
            if not w.done() or w.cancelled() or w.exception() is not None
        ]
        if pending:
            self.confirmed = min(pending)
        elif self._highest >= 0:
            self.confirmed = self._highest + 1

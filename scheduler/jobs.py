"""Wiring of the timed work into the Application: the outbox sender, and the
JobQueue jobs that wake the process to plan reminders, start scheduled
broadcasts and update their progress, discard abandoned conversation drafts
(``scheduler.abandoned``), and the daily purge of finished outbox rows.

Nothing here is the schedule itself: what is due is always derived from
database rows (``storage.calendar``, ``storage.broadcasts``, ``storage.outbox``),
so a restart, a crash or a job that did not fire loses nothing. APScheduler
(through PTB's JobQueue) only says "look now".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application, ContextTypes

from scheduler import abandoned, broadcasting, reminders, retention
from scheduler.journal import SentJournal
from scheduler.runtime import Runtime, Texts
from scheduler.sender import Sender
from scheduler.throttle import Throttle
from storage import outbox

log = logging.getLogger(__name__)

KEY = "scheduler"
TICK_S = 30.0  # reminders and scheduled broadcasts go out within half a minute
PROGRESS_S = 5.0  # live progress of a running broadcast
PURGE_EVERY = timedelta(days=1)
PURGE_FIRST = timedelta(minutes=10)  # after start-up, once the backlog is sent

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Wiring:
    """What the jobs of one Application share (``application.bot_data[KEY]``)."""

    runtime: Runtime
    texts: Texts
    sender: Sender


def make_throttle(runtime: Runtime) -> Throttle:
    """Made before the Application, whose rate limiter shares it."""
    return Throttle(runtime.settings.send_rate_per_s)


def journal_path(runtime: Runtime) -> Path | None:
    """Where the background sender keeps its sent journal: the setting, else
    beside a SQLite database file; none for other databases unless set."""
    settings = runtime.settings
    if not settings.background_jobs or settings.outbox_journal == "off":
        return None
    if settings.outbox_journal:
        return Path(settings.outbox_journal)
    url = settings.database_url
    if url.startswith("sqlite") and ":memory:" not in url and ":///" in url:
        return Path(url.split(":///", 1)[1] + "-sent.journal")
    return None


def attach(
    application: AnyApplication, runtime: Runtime, throttle: Throttle, texts: Texts
) -> Wiring:
    """Create the sender of this Application (before it starts)."""
    path = journal_path(runtime)
    journal = SentJournal(path) if path is not None else None
    sender = Sender(application.bot, runtime.sessions, runtime.clock, throttle, journal=journal)
    wiring = Wiring(runtime=runtime, texts=texts, sender=sender)
    application.bot_data[KEY] = wiring
    return wiring


def of(application: AnyApplication) -> Wiring:
    wiring = application.bot_data.get(KEY)
    if not isinstance(wiring, Wiring):
        raise RuntimeError("the scheduler is not attached; see scheduler.jobs.attach")
    return wiring


def sender_of(application: AnyApplication) -> Sender:
    return of(application).sender


def wake_sender(application: AnyApplication) -> None:
    """Send newly committed outbox entries now rather than at the next poll.
    Call it after the transaction that enqueued them has committed."""
    wiring = application.bot_data.get(KEY)
    if isinstance(wiring, Wiring):
        wiring.sender.wake()


async def start(application: AnyApplication) -> None:
    """At start-up, after ``initialize()``: the sender and the timers, unless
    ``BINHDANG_BACKGROUND_JOBS`` is off (the tests drive them with :func:`run_due`)."""
    wiring = of(application)
    if not wiring.runtime.settings.background_jobs:
        return
    await wiring.sender.start()
    queue = application.job_queue
    if queue is None:
        log.warning("no JobQueue: reminders and scheduled broadcasts run only when woken")
        return
    queue.run_repeating(_tick, interval=TICK_S, first=1.0, name="calendar-and-broadcasts")
    queue.run_repeating(_progress, interval=PROGRESS_S, first=PROGRESS_S, name="progress")
    queue.run_repeating(_purge, interval=PURGE_EVERY, first=PURGE_FIRST, name="outbox-purge")
    queue.run_repeating(_abandoned, interval=abandoned.EVERY_S, first=1.0, name="abandoned-drafts")
    queue.run_repeating(retention.job, interval=PURGE_EVERY, first=PURGE_FIRST, name="retention")


async def stop(application: AnyApplication) -> None:
    """Before the Application stops: messages in flight finish and are recorded."""
    wiring = application.bot_data.get(KEY)
    if isinstance(wiring, Wiring):
        await wiring.sender.stop()


async def run_due(application: AnyApplication) -> None:
    """Everything the timers would do, once, at ``clock()``: discard abandoned
    drafts, plan reminders, start the broadcasts that are due, send what the
    outbox holds, and update the progress messages. Tests call this after
    moving the clock."""
    wiring = of(application)
    await abandoned.sweep(application, wiring.runtime.clock())
    await tick(application)
    await wiring.sender.drain()
    await broadcasting.update_progress(wiring.runtime, wiring.texts, wiring.sender)
    await wiring.sender.drain()


async def tick(application: AnyApplication) -> None:
    wiring = of(application)
    planned = await reminders.plan_due(wiring.runtime, wiring.texts)
    started = await broadcasting.start_due(wiring.runtime, wiring.texts)
    if planned or started:
        wiring.sender.wake()


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await tick(context.application)
    except Exception:
        log.exception("the calendar and broadcast tick failed; the next one retries")


async def _abandoned(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await abandoned.sweep(context.application, of(context.application).runtime.clock())
    except Exception:
        log.exception("the check for abandoned drafts failed; the next one retries")


async def _progress(context: ContextTypes.DEFAULT_TYPE) -> None:
    wiring = of(context.application)
    try:
        await broadcasting.update_progress(wiring.runtime, wiring.texts, wiring.sender)
    except Exception:
        log.exception("updating broadcast progress failed")


async def purge_outbox(runtime: Runtime) -> outbox.Purged:
    """Delete the finished outbox rows older than their retention
    (``BINHDANG_OUTBOX_RETENTION_DAYS``, ``BINHDANG_OUTBOX_INCIDENT_RETENTION_DAYS``)."""
    settings = runtime.settings
    retention = outbox.Retention(
        default=timedelta(days=settings.outbox_retention_days),
        incidents=timedelta(days=settings.outbox_incident_retention_days),
    )
    return await outbox.purge_finished(runtime.sessions, runtime.clock(), retention)


async def _purge(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await purge_outbox(of(context.application).runtime)
    except Exception:
        log.exception("purging the outbox failed; tomorrow's run retries")

"""Wiring of the timed work into the Application: the outbox sender, and the
JobQueue jobs that wake the process to plan reminders, start scheduled
broadcasts and update their progress, discard abandoned conversation drafts
(``scheduler.abandoned``), escalate incidents nobody took and review the
directory (``scheduler.escalation``), and the daily purge of finished outbox
rows.

All of it is the leader's work (``bot.runtime``): exactly one process runs
it at a time. :func:`start` begins it when the process becomes the leader,
:func:`stop` ends it when it stops being one; :data:`LEADER_JOBS` lists the
timers.

Nothing here is the schedule itself: what is due is always derived from
database rows (``storage.calendar``, ``storage.broadcasts``, ``storage.outbox``),
so a restart, a crash or a job that did not fire loses nothing. APScheduler
(through PTB's JobQueue) only says "look now".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application, ContextTypes, Job

from scheduler import abandoned, broadcasting, escalation, reminders, retention
from scheduler.journal import SentJournal
from scheduler.runtime import Runtime, Texts
from scheduler.sender import Sender, SenderConfig
from scheduler.throttle import Throttle
from storage import outbox
from storage.db import is_sqlite

log = logging.getLogger(__name__)

KEY = "scheduler"
TICK_S = 30.0  # reminders and scheduled broadcasts go out within half a minute
PROGRESS_S = 5.0  # live progress of a running broadcast
PURGE_EVERY = timedelta(days=1)
PURGE_FIRST = timedelta(minutes=10)  # after start-up, once the backlog is sent
DIRECTORY_EVERY_S = 6 * 3600.0

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Wiring:
    """What the jobs of one Application share (``application.bot_data[KEY]``)."""

    runtime: Runtime
    texts: Texts
    sender: Sender
    timers: escalation.IncidentTimers
    jobs: list[Job[Any]] = field(default_factory=list)
    # Set by bot.runtime on PostgreSQL: tells the leader's sender (maybe in
    # another process) to look at the outbox now.
    remote_wake: Callable[[], None] | None = None


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
    config = SenderConfig(
        lease_s=runtime.settings.outbox_lease_s,
        one_transaction_at_a_time=is_sqlite(runtime.settings.database_url),
    )
    sender = Sender(
        application.bot, runtime.sessions, runtime.clock, throttle, config, journal=journal
    )
    timers = escalation.IncidentTimers(
        sessions=runtime.sessions,
        clock=runtime.clock,
        policy=runtime.escalation_policy,
        texts=texts,
        cipher=runtime.cipher,
    )
    wiring = Wiring(runtime=runtime, texts=texts, sender=sender, timers=timers)
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
    Call it after the transaction that enqueued them has committed. In a
    process that is not the leader, the leader is told (``remote_wake``)."""
    wiring = application.bot_data.get(KEY)
    if not isinstance(wiring, Wiring):
        return
    if wiring.sender.running or wiring.remote_wake is None:
        wiring.sender.wake()
    else:
        wiring.remote_wake()


@dataclass(frozen=True)
class LeaderJob:
    name: str
    run: Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
    every: Callable[[Runtime], float | timedelta]
    first: float | timedelta  # after becoming the leader


async def start(application: AnyApplication) -> None:
    """The leader's work begins: the sender and the timers, unless
    ``BINHDANG_BACKGROUND_JOBS`` is off (the tests drive them with :func:`run_due`)."""
    wiring = of(application)
    if not wiring.runtime.settings.background_jobs or wiring.jobs:
        return
    await wiring.sender.start()
    queue = application.job_queue
    if queue is None:
        log.warning("no JobQueue: reminders and scheduled broadcasts run only when woken")
        return
    wiring.jobs = [
        queue.run_repeating(
            job.run, interval=job.every(wiring.runtime), first=job.first, name=job.name
        )
        for job in LEADER_JOBS
    ]


async def stop(application: AnyApplication) -> None:
    """The leader's work ends (the process stops, or another leads): the
    timers are removed, and the messages in flight finish and are recorded."""
    wiring = application.bot_data.get(KEY)
    if isinstance(wiring, Wiring):
        jobs, wiring.jobs = wiring.jobs, []
        for job in jobs:
            job.schedule_removal()
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


async def run_checks(application: AnyApplication) -> list[str]:
    """Escalate what is due and review the directory, then wake the sender.
    Returns the codes of the reports escalated."""
    timers = of(application).timers
    codes = await escalation.escalate(timers)
    await escalation.review_directory(timers)
    wake_sender(application)
    return codes


async def _escalation(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        if await escalation.escalate(of(context.application).timers):
            wake_sender(context.application)
    except Exception:
        log.exception("the escalation check failed; the next one retries")


async def _directory(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        asked, flagged = await escalation.review_directory(of(context.application).timers)
        if asked or flagged:
            wake_sender(context.application)
    except Exception:
        log.exception("the directory review failed; the next one retries")


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


LEADER_JOBS: tuple[LeaderJob, ...] = (
    LeaderJob("calendar-and-broadcasts", _tick, lambda _: TICK_S, 1.0),
    LeaderJob("progress", _progress, lambda _: PROGRESS_S, PROGRESS_S),
    LeaderJob("outbox-purge", _purge, lambda _: PURGE_EVERY, PURGE_FIRST),
    LeaderJob("abandoned-drafts", _abandoned, lambda _: abandoned.EVERY_S, 1.0),
    # first=0: a timer that expired while no process led fires at once.
    LeaderJob("incident-escalation", _escalation, lambda r: r.settings.incident_check_seconds, 0.0),
    LeaderJob("address-review", _directory, lambda _: DIRECTORY_EVERY_S, 60.0),
    LeaderJob("retention", retention.job, lambda _: PURGE_EVERY, PURGE_FIRST),
)
"""The leader's timers, besides the sender (which runs on its own)."""

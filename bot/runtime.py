"""What one bot process owns, and what runs where.

Any number of processes may run on one PostgreSQL database; on SQLite,
exactly one (a second is refused at start). Each process has a role:

============================  =========================  ======================
work                          every process              the leader only
============================  =========================  ======================
updates from Telegram         yes: long polling, or the
                              webhook behind a load
                              balancer (``intake``)
the HTTP server               yes: health, webhook,
                              the dashboard (``web``)
the handlers' replies         yes, in the process that
                              got the update
the profile cache             yes, each its own; dropped
                              on ``NOTIFY binhdang_users``
the wait for the rest of a    yes, in the process that
split text (``handlers.kit    got its first part; after a
.take_text``)                 restart, in each process
the outbox sender                                        yes (leases: any row a
                                                         dead leader held is
                                                         taken over)
reminders, scheduled                                     yes (``scheduler.jobs
broadcasts, progress,                                    .LEADER_JOBS``)
escalation timers, the
directory review, the draft
sweeper, the outbox purge,
retention
============================  =========================  ======================

The leader is whoever holds the advisory lock of :class:`bot.coordination.Election`
(on SQLite, the one process). A follower tries to take it every
``BINHDANG_LEADER_RETRY_S``; the lock is freed when the leader's connection
drops, so a standby takes over within about that delay after a ``kill -9``.
What one update does inside a process (its user's ordering and state) is
``bot.processor``'s and the handlers' business.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
from typing import Any

from telegram import Update

from bot.app import TrackedApplication
from bot.coordination import ChangeFeed, Election, SingleProcessLock
from bot.polling import Poller
from bot.services import Services
from bot.webserver import WebhookConfig, WebServer, build_web_app, webhook_path
from handlers import kit
from handlers.common import set_commands
from scheduler import jobs
from storage import profiles
from storage.db import is_sqlite

log = logging.getLogger(__name__)

RUNTIME_KEY = "runtime"  # in application.bot_data
OUTBOX_CHANNEL = "binhdang_outbox"  # "look at the outbox now", to the leader


class Role(enum.StrEnum):
    LEADER = "leader"
    FOLLOWER = "follower"


class Intake(enum.StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"
    NONE = "none"  # the tests and the benches feed updates themselves


class ProcessRuntime:
    """Start with :meth:`start`, stop with :meth:`stop` (or ``async with``)."""

    def __init__(
        self,
        services: Services,
        application: TrackedApplication,
        *,
        intake: Intake | None = None,
        listen: tuple[str, int] | None = None,
    ) -> None:
        settings = services.settings
        self.services = services
        self.application = application
        if intake is None:
            intake = Intake.WEBHOOK if settings.webhook_url else Intake.POLLING
        self.intake = intake
        self.listen = listen or (settings.listen_host, settings.listen_port)
        self.single = is_sqlite(settings.database_url)
        self.file_lock = SingleProcessLock(settings.database_url)
        self.webhook: WebhookConfig | None = None
        if intake is Intake.WEBHOOK:
            secret = settings.webhook_secret
            if settings.webhook_url is None or secret is None:
                raise ValueError("webhook mode needs BINHDANG_WEBHOOK_URL and _SECRET")
            self.webhook = WebhookConfig(
                path=webhook_path(settings.webhook_url), secret=secret.get_secret_value()
            )
        self.web = WebServer(
            build_web_app(application, services, webhook=self.webhook, status=self.status)
        )
        self.election: Election | None = None
        self.feed: ChangeFeed | None = None
        if not self.single:
            self.election = Election(
                services.engine,
                retry_s=settings.leader_retry_s,
                on_elected=self._lead,
                on_deposed=self._follow,
            )
            self.feed = ChangeFeed(
                services.engine,
                {
                    profiles.CHANNEL: services.profiles.apply_notice,
                    OUTBOX_CHANNEL: self._outbox_notice,
                },
                on_gap=services.profiles.clear,
            )
        self.poller = Poller(application) if intake is Intake.POLLING else None
        self._tasks: list[asyncio.Task[None]] = []
        self._leading = False
        application.bot_data[RUNTIME_KEY] = self

    @property
    def role(self) -> Role:
        return Role.LEADER if self._leading else Role.FOLLOWER

    def status(self) -> dict[str, Any]:
        """What the health route shows."""
        sender = jobs.sender_of(self.application).stats
        body: dict[str, Any] = {
            "role": self.role.value,
            "intake": self.intake.value,
            "pid": os.getpid(),
            "outbox_sent": sender.sent,
            "outbox_taken_over": sender.taken_over,
        }
        if self.webhook is not None:
            body["webhook_refused"] = self.webhook.stats.refused
        if self.election is not None:
            body["leader_changes"] = self.election.changes
        return body

    # The leader's work (scheduler.jobs).
    async def _lead(self) -> None:
        self._leading = True
        await jobs.start(self.application)

    async def _follow(self) -> None:
        self._leading = False
        await jobs.stop(self.application)

    def _outbox_notice(self, _payload: str) -> None:
        if self._leading:
            jobs.sender_of(self.application).wake()

    def _remote_wake(self) -> None:
        if self.feed is not None:
            self._spawn(self.feed.notify(OUTBOX_CHANNEL), "outbox-notify")

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.append(task)
        task.add_done_callback(self._reap)

    def _reap(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped on an error", task.get_name(), exc_info=task.exception())

    # Lifecycle.
    async def start(self) -> None:
        """The database must be prepared (``bot.app.prepare_database``)."""
        self.file_lock.acquire()  # SQLite: raises AlreadyRunning
        try:
            await self.application.initialize()
            await set_commands(self.application)
            await self.application.start()
            kit.resume_held_parts(
                self.application
            )  # a split text's first part, held when the last process died
            await self.web.start(*self.listen)
            jobs.of(self.application).remote_wake = self._remote_wake
            if self.feed is not None:
                self._spawn(self.feed.run(), "change-feed")
            if self.election is not None:
                self._spawn(self.election.run(), "leader-election")
            else:
                await self._lead()
            await self._open_intake()
        except BaseException:
            await self.stop()
            raise
        log.info(
            "bot process %d: %s, server on %s", os.getpid(), self.intake.value, self.web.base_url
        )

    async def _open_intake(self) -> None:
        if self.poller is not None:
            self._spawn(self.poller.run(), "polling")
        elif self.webhook is not None:
            settings = self.services.settings
            assert settings.webhook_url is not None
            await self.application.bot.set_webhook(
                settings.webhook_url,
                secret_token=self.webhook.secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )

    async def stop(self) -> None:
        """Intake first (a webhook request in progress is answered once its
        update is processed), then the leader's work, then the Application."""
        tasks, self._tasks = list(self._tasks), []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.web.stop()
        if self.election is not None:
            await self.election.resign()
        elif self._leading:
            await self._follow()
        if self.application.running:
            await self.application.stop()
        with contextlib.suppress(RuntimeError):
            await self.application.shutdown()
        self.file_lock.release()

    async def __aenter__(self) -> ProcessRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

"""The check for abandoned conversation drafts: which drafts it discards, and
that it runs every minute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telegram.ext import Application, ApplicationBuilder

from bot.i18n import translator
from bot.settings import Settings
from scheduler import abandoned, jobs
from storage.incidents import EscalationPolicy
from tests.harness import Clock

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)


@dataclass
class Runtime:
    settings: Settings
    sessions: object
    clock: Clock
    cipher: None = None
    escalation_policy: EscalationPolicy = field(default_factory=EscalationPolicy)


def application_watching(discarded: list[int], fail_for: int | None = None) -> Application:
    application = ApplicationBuilder().token("1:test").build()

    async def discard(user_id: int) -> None:
        if user_id == fail_for:
            raise RuntimeError("Telegram is down")
        application.user_data[user_id].pop("draft")
        discarded.append(user_id)

    abandoned.watch(application, abandoned.Watch("draft", IDLE, discard))
    return application


def open_draft(application: Application, user_id: int, seen: datetime | None) -> None:
    draft: dict[str, object] = {"step": "KIND", "msgs": [1, 2]}
    if seen is not None:
        abandoned.touch(draft, seen)
    application.user_data[user_id]["draft"] = draft


async def test_only_drafts_idle_for_the_limit_go():
    discarded: list[int] = []
    application = application_watching(discarded)
    open_draft(application, 1, NOW - IDLE)  # exactly the limit
    open_draft(application, 2, NOW - IDLE + timedelta(seconds=1))
    open_draft(application, 3, NOW - timedelta(days=3))
    application.user_data[4]["draft"] = {"msgs": [5]}  # no step: not an open draft
    application.user_data[5]["other"] = {"step": "X", "seen": 0.0}  # not watched

    assert await abandoned.sweep(application, NOW) == [1, 3]
    assert discarded == [1, 3]
    assert "draft" in application.user_data[2] and "draft" in application.user_data[4]
    assert "other" in application.user_data[5]
    assert await abandoned.sweep(application, NOW) == []  # once


async def test_a_draft_from_before_the_check_gets_its_full_time():
    discarded: list[int] = []
    application = application_watching(discarded)
    open_draft(application, 1, None)
    assert await abandoned.sweep(application, NOW) == []
    assert application.user_data[1]["draft"][abandoned.SEEN] == NOW.timestamp()
    assert await abandoned.sweep(application, NOW + IDLE - timedelta(minutes=1)) == []
    assert await abandoned.sweep(application, NOW + IDLE) == [1]


async def test_one_failure_does_not_stop_the_others():
    discarded: list[int] = []
    application = application_watching(discarded, fail_for=1)
    open_draft(application, 1, NOW - IDLE)
    open_draft(application, 2, NOW - IDLE)
    assert await abandoned.sweep(application, NOW) == [2]
    assert "draft" in application.user_data[1]  # tried again next time
    assert await abandoned.sweep(application, NOW) == []


async def test_the_check_runs_every_minute(sessions):
    settings = Settings(_env_file=None, outbox_journal="off")
    runtime = Runtime(settings, sessions, Clock(NOW))
    application = ApplicationBuilder().token("1:test").build()
    jobs.attach(application, runtime, jobs.make_throttle(runtime), translator)
    await jobs.start(application)
    try:
        (check,) = application.job_queue.get_jobs_by_name("abandoned-drafts")
        assert check.job.trigger.interval == timedelta(minutes=1)
    finally:
        await jobs.stop(application)

"""The daily outbox purge, with the retention read from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from telegram.ext import ApplicationBuilder

from bot.i18n import translator
from bot.settings import Settings
from scheduler import jobs
from storage import outbox
from storage.incidents import EscalationPolicy
from storage.models import OutboxEntry, OutboxStatus
from tests.harness import Clock

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@dataclass
class Runtime:
    settings: Settings
    sessions: object
    clock: Clock
    cipher: None = None
    escalation_policy: EscalationPolicy = field(default_factory=EscalationPolicy)


async def test_purge_uses_the_retention_settings(sessions):
    settings = Settings(_env_file=None, outbox_retention_days=10, outbox_incident_retention_days=2)
    runtime = Runtime(settings, sessions, Clock(NOW))
    ages = {"incident_status": (1, 3), "reminder": (9, 11)}  # days since sent: kept, purged
    async with sessions.begin() as session:
        for kind, days in ages.items():
            for age in days:
                queued = await outbox.enqueue(
                    session, kind=kind, chat_id=age, message=outbox.Message(text="x")
                )
                entry = await session.get(OutboxEntry, queued.id)
                entry.status, entry.finished_at = OutboxStatus.SENT, NOW - timedelta(days=age)
        await outbox.enqueue(
            session, kind="incident_status", chat_id=99, message=outbox.Message(text="y")
        )
    purged = await jobs.purge_outbox(runtime)
    assert purged.entries == 2
    async with sessions() as session:
        left = (await session.execute(select(OutboxEntry.kind, OutboxEntry.chat_id))).all()
    assert sorted(left) == [("incident_status", 1), ("incident_status", 99), ("reminder", 9)]


async def test_the_purge_is_a_daily_job(sessions):
    settings = Settings(_env_file=None, outbox_journal="off")
    runtime = Runtime(settings, sessions, Clock(NOW))
    application = ApplicationBuilder().token("1:test").build()
    jobs.attach(application, runtime, jobs.make_throttle(runtime), translator)
    await jobs.start(application)
    try:
        (purge,) = application.job_queue.get_jobs_by_name("outbox-purge")
        assert purge.job.trigger.interval == timedelta(days=1)
    finally:
        await jobs.stop(application)

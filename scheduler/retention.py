"""The daily retention purge of closed incident reports
(``storage.incidents.retention``; ``BINHDANG_INCIDENT_RETENTION_DAYS``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import ContextTypes

from scheduler.runtime import Runtime
from storage.incidents import retention

log = logging.getLogger(__name__)


async def purge_incidents(runtime: Runtime) -> int:
    """Erase the personal fields of the closed reports past their retention."""
    keep = timedelta(days=runtime.settings.incident_retention_days)
    async with runtime.sessions.begin() as session:
        purged = await retention.purge_all(session, runtime.clock(), keep)
    if purged:
        log.info("retention: erased the personal fields of %d closed reports", purged)
    return purged


async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
    from scheduler.jobs import of  # jobs imports this module

    try:
        await purge_incidents(of(context.application).runtime)
    except Exception:
        log.exception("the incident retention purge failed; tomorrow's run retries")

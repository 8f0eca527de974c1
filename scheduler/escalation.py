"""The timed work of the incident feature: escalating reports that nobody
took in time, and keeping the trusted-address directory confirmed.

The timers are database rows (``Incident.due_at``, ``TrustedAddress.confirmed_at``),
so these checks only say "look now": run at start-up and then periodically,
they do what is due at ``clock()`` once, however long the bot was down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import incidents
from storage.incidents import Cipher, EscalationPolicy, Texts
from storage.trusted_addresses import checks

log = logging.getLogger(__name__)


@dataclass
class IncidentTimers:
    """What the checks need; one per Application."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    policy: EscalationPolicy
    texts: Texts
    cipher: Cipher | None
    # One check at a time in this process; other processes are kept apart by
    # the row locks of ``escalate_due``.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def escalate(timers: IncidentTimers) -> list[str]:
    """Escalate every report whose timer has expired; returns their codes."""
    async with timers.lock, timers.sessions.begin() as session:
        codes = await incidents.escalate_due(
            session, timers.clock(), timers.policy, timers.texts, timers.cipher
        )
    if codes:
        log.info("escalated %d reports: %s", len(codes), ", ".join(codes))
    return codes


async def review_directory(timers: IncidentTimers) -> tuple[int, int]:
    """Ask staff to confirm their entries (monthly) and flag the entries not
    confirmed for 60 days to their coordinators. Returns (asked, flagged)."""
    async with timers.lock, timers.sessions.begin() as session:
        now = timers.clock()
        asked = await checks.send_checks(session, now, timers.texts)
        flagged = await checks.flag_stale(session, now, timers.texts)
    return asked, flagged

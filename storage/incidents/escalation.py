"""Escalation (chuyển cấp): a report that nobody took in time goes up one
level. The timer is ``Incident.due_at`` in the database, so a timer that
expired while the bot was down fires once when it is back: the check moves
``due_at`` in the same transaction that alerts the next level."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.incidents.crypto import Cipher
from storage.incidents.labels import Texts
from storage.incidents.notices import Reason, notify_reporter
from storage.incidents.routing import UNREACHABLE, EscalationPolicy, raise_level, route
from storage.models import EscalationLevel, Incident, IncidentStatus

BATCH = 100


async def escalate_due(
    session: AsyncSession,
    now: datetime,
    policy: EscalationPolicy,
    texts: Texts,
    cipher: Cipher | None = None,
) -> list[str]:
    """Escalate every report whose timer has expired; returns their codes.
    Rows are locked (``SKIP LOCKED`` on PostgreSQL), so two checks at once do
    not both take the same report."""
    query = (
        select(Incident)
        .where(
            Incident.status == IncidentStatus.NEW,
            Incident.due_at.is_not(None),
            Incident.due_at <= now,
        )
        .order_by(Incident.due_at, Incident.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    done = []
    for incident in (await session.scalars(query)).all():
        assert incident.due_at is not None
        unreachable = incident.due_at <= UNREACHABLE
        reason = (
            Reason("unreachable")
            if unreachable
            else Reason("timeout", policy.delay(incident.danger_now))
        )
        raised = incident.level < EscalationLevel.NATIONAL
        if raised:
            await raise_level(session, incident, reason.code, now)
        await route(session, incident, now, policy, texts, reason)
        if raised:
            await notify_reporter(
                session, cipher, incident, "escalated", texts, str(incident.level)
            )
        done.append(incident.code)
    return done

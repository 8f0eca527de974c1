"""Who receives a report (tiếp nhận tin báo), level by level:

* commune: the staff of the trusted addresses that cover the place, the
  trusted-address staff registered at its commune, and the commune's
  coordinators;
* province: the province's coordinators;
* national: the administrators.

A level where nobody can receive it (nobody registered, or everybody blocked
the bot) is passed at once, so a report is never left with nobody. Alerts go
through the outbox; if every alert of the current level ends blocked or
failed, the report is due for escalation at once (:func:`alert_outcome`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, outbox
from storage.incidents.labels import Texts
from storage.incidents.notices import (
    ALERT_KIND,
    Reason,
    alert_key,
    enqueue_alerts,
    incident_of_ref,
)
from storage.incidents.reach import Place, eligible, place_of
from storage.models import (
    EscalationLevel,
    Incident,
    IncidentAlert,
    IncidentStatus,
    OutboxEntry,
    OutboxStatus,
    User,
)

log = logging.getLogger(__name__)
ENTITY = "incident"
UNREACHABLE = datetime(2000, 1, 1, tzinfo=UTC)
"""``due_at`` of a report whose current responders could not be reached."""


@dataclass(frozen=True)
class EscalationPolicy:
    """How long a report waits for someone to take it before it goes up a level."""

    danger: timedelta = timedelta(minutes=30)
    normal: timedelta = timedelta(hours=4)

    def delay(self, danger_now: bool) -> timedelta:
        return self.danger if danger_now else self.normal


async def responders(session: AsyncSession, place: Place, level: int) -> list[User]:
    """The people who receive a report about ``place`` at ``level``, skipping
    anyone inactive or who blocked the bot."""
    who = await eligible(session, place, level)
    if who is None:
        return []
    query = select(User).where(who, User.bot_blocked.is_(False)).order_by(User.id)
    return list((await session.scalars(query)).all())


async def alerted_ids(session: AsyncSession, incident_id: int) -> set[int]:
    return set(
        (
            await session.scalars(
                select(IncidentAlert.user_id).where(IncidentAlert.incident_id == incident_id)
            )
        ).all()
    )


async def raise_level(
    session: AsyncSession, incident: Incident, reason: str, now: datetime
) -> None:
    """Move the report one level up, and record it."""
    before = incident.level
    incident.level = min(before + 1, EscalationLevel.NATIONAL)
    incident.escalated = True
    incident.updated_at = now
    await audit.record(
        session,
        None,
        ENTITY,
        incident.id,
        "escalate",
        {"from": before, "to": incident.level, "reason": reason},
        now,
    )


async def route(
    session: AsyncSession,
    incident: Incident,
    now: datetime,
    policy: EscalationPolicy,
    texts: Texts,
    reason: Reason | None = None,
) -> int:
    """Alert the people of the report's current level, going up at once while
    a level has nobody; set the escalation timer. Returns how many were alerted."""
    place = await place_of(session, incident.unit_id)
    already = await alerted_ids(session, incident.id)
    while True:
        level = incident.level
        people = [p for p in await responders(session, place, level) if p.id not in already]
        if people:
            added = await enqueue_alerts(
                session, incident, people, level, texts, reason, place.text
            )
            last = level >= EscalationLevel.NATIONAL
            incident.due_at = None if last else now + policy.delay(incident.danger_now)
            return added
        if level >= EscalationLevel.NATIONAL:
            # Nobody at all (no administrator is configured): try again later.
            log.critical("incident %s has nobody to receive it", incident.id)
            incident.due_at = now + policy.delay(incident.danger_now)
            await audit.record(session, None, ENTITY, incident.id, "no_responder", {}, now)
            return 0
        await raise_level(session, incident, "no_responder", now)
        reason = Reason("no_responder")


async def alert_outcome(session: AsyncSession, outcome: outbox.Outcome) -> None:
    """An alert could not be delivered: if nobody at the report's current level
    can get it, the report is due for escalation now."""
    if outcome.status is OutboxStatus.SENT:
        return
    incident_id = incident_of_ref(outcome.ref)
    if incident_id is None:
        return
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None or incident.status is not IncidentStatus.NEW or incident.due_at is None:
        return
    people = (
        await session.scalars(
            select(IncidentAlert.user_id).where(
                IncidentAlert.incident_id == incident_id, IncidentAlert.level == incident.level
            )
        )
    ).all()
    keys = [alert_key(incident_id, p) for p in people]
    statuses = (
        await session.scalars(select(OutboxEntry.status).where(OutboxEntry.dedupe_key.in_(keys)))
    ).all()
    if any(s is OutboxStatus.SENT or not s.final for s in statuses):
        return
    incident.due_at = UNREACHABLE
    at = await session.scalar(select(OutboxEntry.finished_at).where(OutboxEntry.id == outcome.id))
    await audit.record(
        session, None, ENTITY, incident_id, "unreachable", {"level": incident.level}, at
    )


outbox.on_outcome(ALERT_KIND, alert_outcome)

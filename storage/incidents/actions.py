"""What responders do with a report (xử lý): take it, refer it on, close it
with an outcome. The first to take it becomes responsible and the others are
told who did; the reporter, unless anonymous, gets a neutral status update.
Every change is audited."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.incidents.access import may_open
from storage.incidents.crypto import Cipher
from storage.incidents.labels import Texts
from storage.incidents.notices import notify_closed, notify_reporter, notify_taken
from storage.incidents.routing import ENTITY
from storage.models import Incident, IncidentOutcome, IncidentStatus, Referral, User
from storage.users import Profile


class Result(enum.Enum):
    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    TAKEN_BY_OTHER = "taken_by_other"  # someone else is responsible
    ALREADY_YOURS = "already_yours"
    CLOSED = "closed"


@dataclass(frozen=True)
class Done:
    result: Result
    code: str | None = None
    responsible: str | None = None  # display name


async def _load(
    session: AsyncSession, actor: Profile, incident_id: int, action: str, now: datetime
) -> Incident | Done:
    """The open report, locked, or why ``actor`` may not act on it."""
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        return Done(Result.NOT_FOUND)
    if not await may_open(session, actor, incident):
        await audit.record(
            session, actor.id, ENTITY, incident.id, "denied", {"action": action}, now
        )
        return Done(Result.NOT_ALLOWED, incident.code)
    if incident.status is IncidentStatus.CLOSED:
        return Done(Result.CLOSED, incident.code, await _name(session, incident))
    return incident


async def _name(session: AsyncSession, incident: Incident) -> str | None:
    if incident.responsible_id is None:
        return None
    user = await session.get(User, incident.responsible_id)
    return user.display_name if user is not None else None


async def _become_responsible(
    session: AsyncSession,
    incident: Incident,
    actor: User,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> None:
    incident.responsible_id = actor.id
    incident.status = IncidentStatus.TAKEN
    incident.acknowledged_at = incident.acknowledged_at or now
    incident.due_at = None
    incident.updated_at = now
    await audit.record(session, actor.id, ENTITY, incident.id, "take", {}, now)
    await notify_taken(session, incident, actor, texts)
    await notify_reporter(session, cipher, incident, "taken", texts)


async def take(
    session: AsyncSession,
    actor: Profile,
    incident_id: int,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> Done:
    """ "I take it": the first one becomes responsible."""
    incident = await _load(session, actor, incident_id, "take", now)
    if isinstance(incident, Done):
        return incident
    if incident.responsible_id == actor.id:
        return Done(Result.ALREADY_YOURS, incident.code, await _name(session, incident))
    if incident.responsible_id is not None:
        return Done(Result.TAKEN_BY_OTHER, incident.code, await _name(session, incident))
    user = await session.get(User, actor.id)
    assert user is not None
    await _become_responsible(session, incident, user, now, texts, cipher)
    return Done(Result.OK, incident.code, user.display_name)


async def _load_as_responsible(
    session: AsyncSession,
    actor: Profile,
    incident_id: int,
    action: str,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> Incident | Done:
    """Referring or closing a report nobody has taken makes the actor
    responsible; someone else's report may only be changed by a coordinator."""
    incident = await _load(session, actor, incident_id, action, now)
    if isinstance(incident, Done):
        return incident
    user = await session.get(User, actor.id)
    assert user is not None
    if incident.responsible_id is None:
        await _become_responsible(session, incident, user, now, texts, cipher)
    elif incident.responsible_id != actor.id and not actor.is_coordinator:
        return Done(Result.TAKEN_BY_OTHER, incident.code, await _name(session, incident))
    return incident


async def refer(
    session: AsyncSession,
    actor: Profile,
    incident_id: int,
    referral: Referral,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> Done:
    """ "Referred to…" police, health station, legal aid or child protection."""
    incident = await _load_as_responsible(session, actor, incident_id, "refer", now, texts, cipher)
    if isinstance(incident, Done):
        return incident
    incident.status, incident.referred_to = IncidentStatus.REFERRED, referral
    incident.updated_at = now
    await audit.record(session, actor.id, ENTITY, incident.id, "refer", {"to": referral.value}, now)
    await notify_reporter(session, cipher, incident, "referred", texts)
    return Done(Result.OK, incident.code, await _name(session, incident))


async def close(
    session: AsyncSession,
    actor: Profile,
    incident_id: int,
    outcome: IncidentOutcome,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> Done:
    """ "Closed", with an outcome."""
    incident = await _load_as_responsible(session, actor, incident_id, "close", now, texts, cipher)
    if isinstance(incident, Done):
        return incident
    incident.status, incident.outcome = IncidentStatus.CLOSED, outcome
    incident.closed_at = incident.updated_at = now
    incident.due_at = None
    await audit.record(
        session, actor.id, ENTITY, incident.id, "close", {"outcome": outcome.value}, now
    )
    closer = await session.get(User, actor.id)
    assert closer is not None
    await notify_closed(session, incident, closer, outcome, texts)
    await notify_reporter(session, cipher, incident, "closed", texts)
    return Done(Result.OK, incident.code, await _name(session, incident))

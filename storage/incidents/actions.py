"""What responders do with a report (xử lý): take it, refer it on, close it
with an outcome. The first to take it becomes responsible and the others are
told who did; the reporter, unless anonymous, gets a neutral status update.
Every change is audited.

"First one wins" holds on both engines: each change is a conditional
``UPDATE … WHERE`` on the state the actor saw, and whoever's statement
matches no row lost the race (``SELECT … FOR UPDATE`` does nothing on
SQLite). Permission is checked before anything about the report is said."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.incidents.access import may_open, refuse
from storage.incidents.crypto import Cipher
from storage.incidents.intake import add_note
from storage.incidents.labels import Texts
from storage.incidents.notices import (
    current_holder,
    notify_closed,
    notify_reporter,
    notify_taken,
    refresh_alerts,
)
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


async def load(
    session: AsyncSession, actor: Profile | None, incident_id: int, action: str, now: datetime
) -> Incident | Done:
    """The report if ``actor`` may act on it now, else why not. Someone who
    may not act learns nothing: not whether it exists, not its state."""
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        return Done(Result.NOT_ALLOWED)
    if not await may_open(session, actor, incident):
        await refuse(session, actor, incident, action, now)
        return Done(Result.NOT_ALLOWED)
    return incident


async def _load_open(
    session: AsyncSession, actor: Profile, incident_id: int, action: str, now: datetime
) -> Incident | Done:
    incident = await load(session, actor, incident_id, action, now)
    if isinstance(incident, Incident) and incident.status is IncidentStatus.CLOSED:
        return Done(Result.CLOSED, incident.code, await _name(session, incident))
    return incident


async def _name(session: AsyncSession, incident: Incident) -> str | None:
    if incident.responsible_id is None:
        return None
    user = await session.get(User, incident.responsible_id)
    return user.display_name if user is not None else None


async def _claim(
    session: AsyncSession, incident: Incident, expected: dict[str, Any], values: dict[str, Any]
) -> bool:
    """Change the report only if it is still as ``expected`` (column name →
    value; ``None`` means NULL); ``False`` if someone else changed it first.
    The object is read again either way."""
    conditions = [Incident.id == incident.id]
    for name, value in expected.items():
        column = getattr(Incident, name)
        conditions.append(column.is_(None) if value is None else column == value)
    result = await session.execute(
        update(Incident)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(incident)
    return bool(getattr(result, "rowcount", 0))


async def _holder_gone(session: AsyncSession, incident: Incident) -> bool:
    """The responsible person may no longer act on it (moved, deactivated)."""
    return incident.responsible_id is not None and await current_holder(session, incident) is None


async def _become_responsible(
    session: AsyncSession,
    incident: Incident,
    actor: User,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> bool:
    """Take the report if it is still free (or its holder lost access); ``False``
    if someone else took it first."""
    before = incident.responsible_id
    claimed = await _claim(
        session,
        incident,
        {"responsible_id": before, "status": incident.status},
        {
            "responsible_id": actor.id,
            "status": IncidentStatus.TAKEN
            if incident.status is IncidentStatus.NEW
            else incident.status,
            "acknowledged_at": func.coalesce(Incident.acknowledged_at, now),
            "due_at": None,
            "updated_at": now,
        },
    )
    if not claimed:
        return False
    details = {"from": before} if before is not None else {}
    await audit.record(session, actor.id, ENTITY, incident.id, "take", details, now)
    await notify_taken(session, incident, actor, texts)
    await notify_reporter(session, cipher, incident, "taken", texts)
    return True


async def take(
    session: AsyncSession,
    actor: Profile,
    incident_id: int,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> Done:
    """ "I take it": the first one becomes responsible. A report whose holder
    has since lost access to it can be taken over."""
    incident = await _load_open(session, actor, incident_id, "take", now)
    if isinstance(incident, Done):
        return incident
    if incident.responsible_id == actor.id:
        return Done(Result.ALREADY_YOURS, incident.code, await _name(session, incident))
    if incident.responsible_id is not None and not await _holder_gone(session, incident):
        return Done(Result.TAKEN_BY_OTHER, incident.code, await _name(session, incident))
    user = await session.get(User, actor.id)
    assert user is not None
    if not await _become_responsible(session, incident, user, now, texts, cipher):
        return await _lost(session, incident, actor)
    await refresh_alerts(session, incident, texts, now)
    return Done(Result.OK, incident.code, user.display_name)


async def _lost(session: AsyncSession, incident: Incident, actor: Profile) -> Done:
    """Someone else changed the report first: say what it is now."""
    name = await _name(session, incident)
    if incident.status is IncidentStatus.CLOSED:
        return Done(Result.CLOSED, incident.code, name)
    if incident.responsible_id == actor.id:
        return Done(Result.ALREADY_YOURS, incident.code, name)
    return Done(Result.TAKEN_BY_OTHER, incident.code, name)


async def _load_as_responsible(
    session: AsyncSession,
    actor: Profile,
    incident_id: int,
    action: str,
    now: datetime,
    texts: Texts,
    cipher: Cipher | None,
) -> Incident | Done:
    """Referring or closing a report nobody holds makes the actor responsible;
    someone else's report may only be changed by a coordinator, or taken over
    when its holder has lost access."""
    incident = await _load_open(session, actor, incident_id, action, now)
    if isinstance(incident, Done):
        return incident
    user = await session.get(User, actor.id)
    assert user is not None
    if incident.responsible_id == actor.id:
        return incident
    if incident.responsible_id is not None and not await _holder_gone(session, incident):
        if actor.is_coordinator:
            return incident
        return Done(Result.TAKEN_BY_OTHER, incident.code, await _name(session, incident))
    if not await _become_responsible(session, incident, user, now, texts, cipher):
        if incident.status is not IncidentStatus.CLOSED and actor.is_coordinator:
            return incident
        return await _lost(session, incident, actor)
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
    changed = await _claim(
        session,
        incident,
        {"status": incident.status, "responsible_id": incident.responsible_id},
        {"status": IncidentStatus.REFERRED, "referred_to": referral, "updated_at": now},
    )
    if not changed:
        return await _lost(session, incident, actor)
    await audit.record(session, actor.id, ENTITY, incident.id, "refer", {"to": referral.value}, now)
    await notify_reporter(session, cipher, incident, "referred", texts)
    await refresh_alerts(session, incident, texts, now)
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
    changed = await _claim(
        session,
        incident,
        {"status": incident.status, "responsible_id": incident.responsible_id},
        {
            "status": IncidentStatus.CLOSED,
            "outcome": outcome,
            "closed_at": now,
            "updated_at": now,
            "due_at": None,
        },
    )
    if not changed:
        return await _lost(session, incident, actor)
    await audit.record(
        session, actor.id, ENTITY, incident.id, "close", {"outcome": outcome.value}, now
    )
    closer = await session.get(User, actor.id)
    assert closer is not None
    await notify_closed(session, incident, closer, outcome, texts)
    await notify_reporter(session, cipher, incident, "closed", texts)
    await refresh_alerts(session, incident, texts, now)
    return Done(Result.OK, incident.code, await _name(session, incident))


@dataclass(frozen=True)
class Seen:
    """A report as a responder's buttons need it: its state and who holds it."""

    incident: Incident
    holder: str | None


async def look(
    session: AsyncSession, actor: Profile | None, incident_id: int, action: str, now: datetime
) -> Seen | Done:
    """The report's state for someone who may act on it now (a refusal is
    audited and says nothing about the report)."""
    incident = await load(session, actor, incident_id, action, now)
    if isinstance(incident, Done):
        return incident
    return Seen(incident, await _name(session, incident))


async def add_responder_note(
    session: AsyncSession,
    cipher: Cipher,
    actor: Profile | None,
    incident_id: int,
    text: str,
    now: datetime,
    texts: Texts,
) -> Done:
    """A responder's note, if they may still act on the report when it is saved."""
    incident = await load(session, actor, incident_id, "note", now)
    if isinstance(incident, Done):
        return incident
    assert actor is not None
    await add_note(
        session, cipher, incident, author_id=actor.id, text=text, media=[], now=now, texts=texts
    )
    return Done(Result.OK, incident.code, await _name(session, incident))

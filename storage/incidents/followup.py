"""The reporter's side after a report (``/report CODE``): a neutral status,
information added later, and the limit on guessing codes.

* The status says only: received, someone is working on it, or closed:
  never a name, a service or a detail.
* Wrong codes are counted per opaque ``subject`` (a keyed hash of the
  Telegram account, see :func:`subject_of`), in a table of their own that
  never names a report; rows older than the window are deleted.
* A follow-up is asked again whether someone is in danger now: if so the
  report becomes urgent (a shorter timer while nobody holds it, and every
  responder is told at once). New information on a closed report opens it
  again, and the responders hear of it."""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.incidents.crypto import Cipher
from storage.incidents.intake import Media, add_note, find_by_code
from storage.incidents.labels import Texts
from storage.incidents.notices import alerted_people, current_holder, refresh_alerts
from storage.incidents.routing import ENTITY, EscalationPolicy, route
from storage.models import CodeAttempt, Incident, IncidentStatus

MAX_TRIES = 5
TRIES_WINDOW = timedelta(hours=1)


class PublicStatus(enum.Enum):
    """What a reporter may know of her report."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"  # someone is working on it
    CLOSED = "closed"


def public_status(incident: Incident) -> PublicStatus:
    if incident.status is IncidentStatus.CLOSED:
        return PublicStatus.CLOSED
    if incident.status is IncidentStatus.NEW:
        return PublicStatus.RECEIVED
    return PublicStatus.IN_PROGRESS


def subject_of(secret: str, telegram_id: int) -> str:
    """An opaque name for one Telegram account, for the guess limit only: it
    cannot be turned back into the id without the key."""
    digest = hmac.new(secret.encode(), f"code-tries:{telegram_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


class CodeResult(enum.Enum):
    FOUND = "found"
    WRONG = "wrong"  # counted
    LIMITED = "limited"  # too many wrong codes in the window: not even looked up


@dataclass(frozen=True)
class CodeCheck:
    result: CodeResult
    incident_id: int | None = None
    code: str | None = None
    status: PublicStatus | None = None


async def check_code(session: AsyncSession, subject: str, raw: str, now: datetime) -> CodeCheck:
    """Look a code up for whoever ``subject`` is, within the guess limit."""
    await session.execute(delete(CodeAttempt).where(CodeAttempt.at <= now - TRIES_WINDOW))
    tries = await session.scalar(
        select(func.count()).select_from(CodeAttempt).where(CodeAttempt.subject == subject)
    )
    if (tries or 0) >= MAX_TRIES:
        return CodeCheck(CodeResult.LIMITED)
    incident = await find_by_code(session, raw[:40])
    if incident is None:
        session.add(CodeAttempt(subject=subject, at=now))
        await session.flush()
        return CodeCheck(CodeResult.WRONG)
    return CodeCheck(CodeResult.FOUND, incident.id, incident.code, public_status(incident))


async def status_of(session: AsyncSession, incident_id: int) -> PublicStatus | None:
    incident = await session.get(Incident, incident_id)
    return public_status(incident) if incident is not None else None


@dataclass(frozen=True)
class FollowUp:
    code: str
    urgent: bool  # routed as urgent
    reopened: bool


async def add_from_reporter(
    session: AsyncSession,
    cipher: Cipher,
    incident_id: int,
    *,
    text: str | None,
    media: list[Media],
    danger_now: bool,
    now: datetime,
    policy: EscalationPolicy,
    texts: Texts,
) -> FollowUp | None:
    """Information the reporter added with the code (``None``: no such report)."""
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        return None
    reopened = await _reopen(session, incident, now, policy, texts)
    urgent = danger_now and await _make_urgent(session, incident, now, policy)
    event = "danger" if urgent else "reopened" if reopened else "note"
    await add_note(
        session,
        cipher,
        incident,
        author_id=None,
        text=text,
        media=media,
        now=now,
        texts=texts,
        event=event,
    )
    if reopened:
        await refresh_alerts(session, incident, texts, now)
    return FollowUp(incident.code, urgent, reopened)


async def _reopen(
    session: AsyncSession,
    incident: Incident,
    now: datetime,
    policy: EscalationPolicy,
    texts: Texts,
) -> bool:
    """A closed report is open again: back to its holder if they may still act
    on it, otherwise to the responders as a new report. Only one of two
    follow-ups at the same moment reopens it."""
    if incident.status is not IncidentStatus.CLOSED:
        return False
    holder = await current_holder(session, incident)
    status = IncidentStatus.NEW if holder is None else IncidentStatus.TAKEN
    outcome = incident.outcome
    changed = await session.execute(
        update(Incident)
        .where(Incident.id == incident.id, Incident.status == IncidentStatus.CLOSED)
        .values(
            status=status,
            responsible_id=holder.id if holder else None,
            outcome=None,
            closed_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(incident)
    if not getattr(changed, "rowcount", 0):
        return False
    details = {"outcome": outcome.value if outcome else None, "status": status.value}
    await audit.record(session, None, ENTITY, incident.id, "reopen", details, now)
    if status is IncidentStatus.NEW:
        incident.due_at = now + policy.delay(incident.danger_now)
        if not await alerted_people(session, incident):  # all of them moved on
            await route(session, incident, now, policy, texts)
    return True


async def _make_urgent(
    session: AsyncSession, incident: Incident, now: datetime, policy: EscalationPolicy
) -> bool:
    """Someone is in danger now: the report is urgent, and while nobody holds
    it, it goes up a level after the urgent delay at the latest."""
    incident.danger_now = True
    if incident.status is IncidentStatus.NEW:
        soon = now + policy.danger
        if incident.due_at is None or incident.due_at > soon:
            incident.due_at = soon
    incident.updated_at = now
    await session.flush()
    await audit.record(session, None, ENTITY, incident.id, "danger_now", {}, now)
    return True

"""Who may open a report (quyền xem), and opening it: decrypting what the
responders need, with every open, and every refusal, in the audit trail.

A report can be opened by administrators, by the people it was sent to, by
whoever is responsible for it, by the current responders of its place
(trusted-address staff and commune coordinators there, even if they joined
after it was sent), and by the province's coordinators once it has reached
the province. The reporter's name, Telegram account and phone are shown only
if they agreed to share them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.incidents.crypto import Cipher, CipherError
from storage.incidents.intake import Media
from storage.incidents.routing import ENTITY, place_of, responders
from storage.models import (
    EscalationLevel,
    Incident,
    IncidentAlert,
    IncidentNote,
    User,
)
from storage.users import Profile

log = logging.getLogger(__name__)


async def may_open(session: AsyncSession, profile: Profile, incident: Incident) -> bool:
    if profile.is_admin:
        return True
    if not profile.is_active:
        return False
    if incident.responsible_id == profile.id:
        return True
    alerted = await session.scalar(
        select(IncidentAlert.id).where(
            IncidentAlert.incident_id == incident.id, IncidentAlert.user_id == profile.id
        )
    )
    if alerted is not None:
        return True
    place = await place_of(session, incident.unit_id)
    for level in range(EscalationLevel.COMMUNE, min(incident.level, EscalationLevel.PROVINCE) + 1):
        if any(p.id == profile.id for p in await responders(session, place, level)):
            return True
    return False


@dataclass(frozen=True)
class NoteView:
    at: datetime
    author: str | None  # None: the reporter
    text: str | None
    media: tuple[Media, ...]


@dataclass(frozen=True)
class IncidentDetails:
    """A report as a responder reads it."""

    incident: Incident
    description: str | None
    media: tuple[Media, ...]
    location: tuple[float, float] | None
    reporter_name: str | None
    reporter_username: str | None
    reporter_chat_id: int | None
    phone: str | None
    responsible: str | None
    notes: tuple[NoteView, ...]
    unreadable: bool  # some field did not decrypt (another key?)


def _media(raw: Any) -> tuple[Media, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Media(str(m.get("kind")), str(m.get("file_id")))
        for m in raw
        if isinstance(m, dict) and m.get("file_id")
    )


async def open_incident(
    session: AsyncSession,
    cipher: Cipher,
    profile: Profile,
    incident_id: int,
    now: datetime,
) -> IncidentDetails | None:
    """The report decrypted for ``profile``, or ``None`` if they may not open
    it (or it does not exist). Both are audited."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        return None
    if not await may_open(session, profile, incident):
        await audit.record(session, profile.id, ENTITY, incident.id, "open_denied", {}, now)
        log.warning("user %s was refused incident %s", profile.id, incident.id)
        return None
    await audit.record(session, profile.id, ENTITY, incident.id, "open", {}, now)
    broken = False

    def read(field: str, token: str | None) -> Any:
        nonlocal broken
        if token is None:
            return None
        try:
            return cipher.decrypt_json(field, token)
        except (CipherError, ValueError):
            broken = True
            return None

    def read_text(field: str, token: str | None) -> str | None:
        nonlocal broken
        try:
            return cipher.maybe_decrypt(field, token)
        except CipherError:
            broken = True
            return None

    reporter: dict[str, Any] = {}
    phone = None
    if incident.consent:
        found = read("incident.reporter", incident.reporter_enc)
        reporter = found if isinstance(found, dict) else {}
        phone = read_text("incident.phone", incident.phone_enc)
    location = read("incident.location", incident.location_enc)
    notes = []
    rows = await session.execute(
        select(IncidentNote, User.display_name)
        .outerjoin(User, User.id == IncidentNote.author_id)
        .where(IncidentNote.incident_id == incident.id)
        .order_by(IncidentNote.created_at, IncidentNote.id)
    )
    for note, author in rows.all():
        notes.append(
            NoteView(
                at=note.created_at,
                author=None if note.from_reporter else (author or "?"),
                text=read_text("incident.note", note.text_enc),
                media=_media(read("incident.note_media", note.media_enc)),
            )
        )
    responsible = (
        await session.scalar(select(User.display_name).where(User.id == incident.responsible_id))
        if incident.responsible_id is not None
        else None
    )
    chat_id = reporter.get("chat_id")
    return IncidentDetails(
        incident=incident,
        description=read_text("incident.description", incident.description_enc),
        media=_media(read("incident.media", incident.media_enc)),
        location=(
            (float(location[0]), float(location[1]))
            if isinstance(location, list) and len(location) == 2
            else None
        ),
        reporter_name=str(reporter["name"]) if reporter.get("name") else None,
        reporter_username=str(reporter["username"]) if reporter.get("username") else None,
        reporter_chat_id=chat_id if isinstance(chat_id, int) else None,
        phone=phone,
        responsible=responsible,
        notes=tuple(notes),
        unreadable=broken,
    )

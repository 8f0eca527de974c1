"""Who may open a report and act on it (quyền xem, quyền xử lý), and opening
it: decrypting what the responders need, with every open, and every refusal,
in the audit trail.

Access is decided by who the user is now, never by what they once were: an
alert received, or having taken the report, gives nothing by itself. A user
may open and act on a report if, today, they are active and

* an administrator; or
* a responder of its place at the commune level (see
  :func:`storage.incidents.routing.eligible`): trusted-address staff there and
  its commune's coordinators, even if they joined after it was sent; or
* a coordinator of its province, once it has reached the province.

Someone who moved to another place or role, or was deactivated, loses access
at once. The reporter's name, Telegram account and phone are shown only if
they agreed to share them."""

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
from storage.incidents.reach import Place, place_of, who_may_act
from storage.incidents.routing import ENTITY
from storage.models import (
    Incident,
    IncidentNote,
    User,
)
from storage.users import Profile

log = logging.getLogger(__name__)


async def may_open(
    session: AsyncSession, profile: Profile | None, incident: Incident, place: Place | None = None
) -> bool:
    """Whether ``profile`` may open and act on ``incident``, read from their
    ``users`` row now (not from the profile, which may be a moment old)."""
    if profile is None:
        return False
    place = place or await place_of(session, incident.unit_id)
    who = await who_may_act(session, place, incident.level)
    return await session.scalar(select(User.id).where(User.id == profile.id, who)) is not None


async def refuse(
    session: AsyncSession, profile: Profile | None, incident: Incident, action: str, now: datetime
) -> None:
    """Record a refusal (with no actor for someone the bot does not know)."""
    await audit.record(
        session,
        profile.id if profile else None,
        ENTITY,
        incident.id,
        "denied",
        {"action": action},
        now,
    )
    log.warning(
        "user %s was refused %s on incident %s",
        profile.id if profile else None,
        action,
        incident.id,
    )


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

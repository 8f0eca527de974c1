"""Taking in a report (tiếp nhận tin báo): check it, encrypt what is
confidential, store it with a neutral reference code, and route it, all in
one transaction. A retried submission with the same ``submission_key`` lands
once; later information comes with the reference code."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.incidents.crypto import Cipher
from storage.incidents.labels import Texts
from storage.incidents.notices import notify_note
from storage.incidents.routing import ENTITY, EscalationPolicy, route
from storage.models import (
    Affected,
    ContactMode,
    Incident,
    IncidentKind,
    IncidentNote,
    IncidentStatus,
    Occurred,
    Unit,
    UnitLevel,
)
from storage.trusted_addresses.phones import normalise_phone

CODE_PREFIX = "BD-"
# No 0/O, 1/I/L, so that a code read aloud or copied by hand stays right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 4
MAX_DESCRIPTION = 12_000
MAX_MEDIA = 10
MEDIA_KINDS = ("photo", "voice", "video", "document", "audio")
_CODE = re.compile(rf"^BD-?([{CODE_ALPHABET}]{{{CODE_LENGTH}}})$")


class InvalidReport(ValueError):
    """The report cannot be stored; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Media:
    kind: str
    file_id: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "file_id": self.file_id}


@dataclass(frozen=True)
class Reporter:
    """Who reported, kept only when they want to be contacted in Telegram."""

    chat_id: int
    name: str
    username: str | None = None


@dataclass
class IncidentInput:
    submission_key: str
    kind: IncidentKind
    danger_now: bool
    affected: list[Affected]
    unit_id: int
    occurred: Occurred
    contact: ContactMode
    description: str | None = None
    media: list[Media] = field(default_factory=list)
    location: tuple[float, float] | None = None
    reporter: Reporter | None = None
    phone: str | None = None
    consent: bool = False
    language: str | None = None


@dataclass(frozen=True)
class Submitted:
    incident_id: int
    code: str
    created: bool  # False: this submission had already been stored


def new_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """``bd 7k3q``, ``BD7K3Q`` or ``BD-7K3Q`` → ``BD-7K3Q``; ``None`` if not a code."""
    compact = re.sub(r"[\s_]", "", text.strip().upper())
    match = _CODE.match(compact)
    return f"{CODE_PREFIX}{match[1]}" if match else None


async def _check(session: AsyncSession, data: IncidentInput) -> None:
    unit = await session.get(Unit, data.unit_id)
    if unit is None or unit.level is UnitLevel.PROVINCE:
        raise InvalidReport("place")
    if not data.affected:
        raise InvalidReport("affected")
    if data.description is not None and len(data.description) > MAX_DESCRIPTION:
        raise InvalidReport("description")
    if len(data.media) > MAX_MEDIA or any(m.kind not in MEDIA_KINDS for m in data.media):
        raise InvalidReport("media")
    if data.contact is ContactMode.TELEGRAM and data.reporter is None:
        raise InvalidReport("reporter")
    if data.contact is ContactMode.PHONE and (
        data.phone is None or normalise_phone(data.phone) is None
    ):
        raise InvalidReport("phone")


async def _unused_code(session: AsyncSession) -> str:
    for _ in range(20):
        code = new_code()
        if await session.scalar(select(Incident.id).where(Incident.code == code)) is None:
            return code
    raise RuntimeError("no free reference code")  # 31⁴ codes: only if nearly all are used


async def submit(
    session: AsyncSession,
    cipher: Cipher,
    data: IncidentInput,
    now: datetime,
    policy: EscalationPolicy,
    texts: Texts,
) -> Submitted:
    """Store and route a report. Nothing here names the reporter in clear:
    not the audit entry, not the alert."""
    existing = await session.scalar(
        select(Incident).where(Incident.submission_key == data.submission_key)
    )
    if existing is not None:
        return Submitted(existing.id, existing.code, False)
    await _check(session, data)
    anonymous = data.contact is ContactMode.ANONYMOUS
    reporter = None if anonymous else data.reporter
    phone = normalise_phone(data.phone) if data.phone and not anonymous else None
    incident = Incident(
        code=await _unused_code(session),
        submission_key=data.submission_key,
        kind=data.kind,
        status=IncidentStatus.NEW,
        danger_now=data.danger_now,
        affected=[a.value for a in dict.fromkeys(data.affected)],
        occurred=data.occurred,
        unit_id=data.unit_id,
        contact=data.contact,
        consent=data.consent and not anonymous,
        language=None if anonymous else data.language,
        description_enc=cipher.maybe_encrypt("incident.description", data.description or None),
        media_enc=(
            cipher.encrypt_json("incident.media", [m.to_json() for m in data.media])
            if data.media
            else None
        ),
        location_enc=(
            cipher.encrypt_json("incident.location", list(data.location)) if data.location else None
        ),
        reporter_enc=(
            cipher.encrypt_json(
                "incident.reporter",
                {"chat_id": reporter.chat_id, "name": reporter.name, "username": reporter.username},
            )
            if reporter is not None
            else None
        ),
        phone_enc=cipher.maybe_encrypt("incident.phone", phone),
        level=0,
        escalated=False,
        reported_at=now,
        updated_at=now,
    )
    session.add(incident)
    await session.flush()
    await audit.record(session, None, ENTITY, incident.id, "submit", {"kind": data.kind.value}, now)
    await route(session, incident, now, policy, texts)
    return Submitted(incident.id, incident.code, True)


async def find_by_code(session: AsyncSession, code: str) -> Incident | None:
    normal = normalise_code(code)
    if normal is None:
        return None
    return await session.scalar(select(Incident).where(Incident.code == normal))


async def add_note(
    session: AsyncSession,
    cipher: Cipher,
    incident: Incident,
    *,
    author_id: int | None,
    text: str | None,
    media: list[Media],
    now: datetime,
    texts: Texts,
    event: str = "note",
) -> IncidentNote:
    """A responder's note (``author_id``), or information the reporter added
    with the reference code (``author_id`` ``None``). The responders hear of it."""
    if not text and not media:
        raise InvalidReport("empty")
    if text is not None and len(text) > MAX_DESCRIPTION:
        raise InvalidReport("description")
    if len(media) > MAX_MEDIA:
        raise InvalidReport("media")
    note = IncidentNote(
        incident_id=incident.id,
        author_id=author_id,
        from_reporter=author_id is None,
        text_enc=cipher.maybe_encrypt("incident.note", text or None),
        media_enc=(
            cipher.encrypt_json("incident.note_media", [m.to_json() for m in media])
            if media
            else None
        ),
        created_at=now,
    )
    session.add(note)
    incident.updated_at = now
    await session.flush()
    action = "reporter_note" if author_id is None else "note"
    await audit.record(session, author_id, ENTITY, incident.id, action, {"note": note.id}, now)
    await notify_note(session, incident, note.id, author_id, texts, event)
    return note

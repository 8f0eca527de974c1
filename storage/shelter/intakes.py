"""Shelter intakes (tiếp nhận tạm lánh): recorded by the staff of a trusted
address that shelters people (or a coordinator of its commune), without a
name; the referral and the incident code are encrypted as incident reports
are (storage/incidents/crypto.py). Counted by commune and period with the
support given."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import audit
from storage.incidents.art36 import Art36Outcome, notify_commune_committee
from storage.incidents.crypto import Cipher
from storage.incidents.intake import normalise_code
from storage.incidents.labels import Texts
from storage.models import (
    RegisterEntry,
    RegisterKind,
    RegisterStatus,
    Role,
    ShelterIntake,
    Unit,
    UnitLevel,
)
from storage.reports import areas
from storage.reports.areas import Area
from storage.reports.periods import Period
from storage.users import Profile

ENTITY = "shelter_intake"
MAX_NIGHTS = 366
MAX_REFERRAL = 300


class Support(enum.Enum):
    """Hỗ trợ đã cung cấp."""

    SHELTER = "shelter"  # Chỗ ở tạm lánh
    COUNSELLING = "counselling"  # Tư vấn, hỗ trợ tâm lý
    MEDICAL = "medical"  # Chăm sóc y tế
    LEGAL = "legal"  # Trợ giúp pháp lý
    REFERRAL = "referral"  # Chuyển gửi


SUPPORT_CODES: dict[Support, str] = {
    Support.SHELTER: "tl",
    Support.COUNSELLING: "tv",
    Support.MEDICAL: "yt",
    Support.LEGAL: "pl",
    Support.REFERRAL: "cg",
}


class IntakeError(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class IntakeInput(BaseModel):
    """An intake as entered: no name, no contact, no description of a person."""

    model_config = ConfigDict(frozen=True)

    entry_id: int
    taken_in_on: date
    nights: int = Field(ge=0, le=MAX_NIGHTS)
    support: frozenset[Support]
    referral_to: str | None = Field(default=None, max_length=MAX_REFERRAL)
    incident_code: str | None = None

    @field_validator("incident_code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        code = normalise_code(value)
        if code is None:
            raise ValueError("incident_code")
        return code


async def shelters_for(session: AsyncSession, actor: Profile) -> list[RegisterEntry]:
    """The sheltering trusted addresses ``actor`` records intakes for: those
    of their commune (staff of a trusted address), or under their unit
    (coordinators)."""
    if not actor.is_active or actor.unit_id is None:
        return []
    if actor.role is not Role.TRUSTED_ADDRESS_STAFF and not actor.is_coordinator:
        return []
    unit = await session.get(Unit, actor.unit_id)
    if unit is None:
        return []
    scope = unit
    if not actor.is_coordinator and unit.level is UnitLevel.VILLAGE and unit.parent_id:
        scope = await session.get(Unit, unit.parent_id) or unit
    place = aliased(Unit)
    query = (
        select(RegisterEntry)
        .join(place, place.id == RegisterEntry.unit_id)
        .where(
            RegisterEntry.kind == RegisterKind.TRUSTED_ADDRESS,
            RegisterEntry.shelters.is_(True),
            RegisterEntry.status == RegisterStatus.ACTIVE,
            place.path.startswith(scope.path, autoescape=True),
        )
        .order_by(RegisterEntry.name, RegisterEntry.id)
    )
    return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class Recorded:
    intake_id: int
    created: bool
    commune_id: int
    notice: Art36Outcome | None = None  # the Art. 36 notice given with it


async def record_intake(
    session: AsyncSession,
    actor: Profile,
    data: IntakeInput,
    cipher: Cipher,
    key: str,
    now: datetime,
    texts: Texts,
) -> Recorded:
    """Store an intake once per ``key`` and give the Art. 36 notice to the
    commune People's Committee with it (``storage.incidents.art36``, keyed
    ``shelter:<id>``: a retry notifies once); the audit trail holds no
    personal data. The caller wakes the outbox sender."""
    existing = await session.scalar(
        select(ShelterIntake).where(ShelterIntake.idempotency_key == key)
    )
    if existing is not None:  # the same intake sent again: its notice as given
        given = await notify_commune_committee(
            session, actor, existing.unit_id, f"shelter:{existing.id}", now, texts
        )
        return Recorded(existing.id, False, existing.unit_id, given)
    allowed = {e.id: e for e in await shelters_for(session, actor)}
    entry = allowed.get(data.entry_id)
    if entry is None:
        raise IntakeError("not_allowed")
    unit = await session.get(Unit, entry.unit_id)
    assert unit is not None
    commune = unit
    if unit.level is UnitLevel.VILLAGE and unit.parent_id is not None:
        commune = await session.get(Unit, unit.parent_id) or unit
    intake = ShelterIntake(
        entry_id=entry.id,
        unit_id=commune.id,
        taken_in_on=data.taken_in_on,
        nights=data.nights,
        shelter=Support.SHELTER in data.support,
        counselling=Support.COUNSELLING in data.support,
        medical=Support.MEDICAL in data.support,
        legal=Support.LEGAL in data.support,
        referral=Support.REFERRAL in data.support or bool(data.referral_to),
        referral_enc=cipher.maybe_encrypt("shelter.referral", data.referral_to),
        incident_code_enc=cipher.maybe_encrypt("shelter.incident_code", data.incident_code),
        recorded_by_id=actor.id,
        idempotency_key=key,
        created_at=now,
    )
    session.add(intake)
    await session.flush()
    await audit.record(
        session,
        actor.id,
        ENTITY,
        intake.id,
        "create",
        {"entry_id": [None, entry.id], "taken_in_on": [None, data.taken_in_on.isoformat()]},
        at=now,
    )
    notice = await notify_commune_committee(
        session, actor, commune.id, f"shelter:{intake.id}", now, texts
    )
    intake.notice_id = notice.notice_id
    await session.flush()
    return Recorded(intake.id, True, commune.id, notice)


def referral_of(intake: ShelterIntake, cipher: Cipher) -> str | None:
    return cipher.maybe_decrypt("shelter.referral", intake.referral_enc)


def incident_code_of(intake: ShelterIntake, cipher: Cipher) -> str | None:
    return cipher.maybe_decrypt("shelter.incident_code", intake.incident_code_enc)


@dataclass
class IntakeFigures:
    """Intakes of an area and period: how many, the nights, each support."""

    intakes: int = 0
    nights: int = 0
    support: dict[Support, int] = field(default_factory=dict)
    by_child: dict[str, int] = field(default_factory=dict)  # child path → intakes


async def intake_figures(session: AsyncSession, area: Area, period: Period) -> IntakeFigures:
    place = aliased(Unit)
    query = (
        select()
        .select_from(ShelterIntake)
        .join(place, place.id == ShelterIntake.unit_id)
        .where(
            ShelterIntake.taken_in_on >= period.start,
            ShelterIntake.taken_in_on <= period.end,
        )
    )
    query, child = areas.scoped(query, area, place, ShelterIntake.unit_id)
    columns = {
        Support.SHELTER: ShelterIntake.shelter,
        Support.COUNSELLING: ShelterIntake.counselling,
        Support.MEDICAL: ShelterIntake.medical,
        Support.LEGAL: ShelterIntake.legal,
        Support.REFERRAL: ShelterIntake.referral,
    }
    sums = [func.sum(cast(c, Integer)) for c in columns.values()]
    query = query.add_columns(
        child, func.count(ShelterIntake.id), func.sum(ShelterIntake.nights), *sums
    ).group_by(child)
    found = IntakeFigures()
    for path, n, nights, *given in (await session.execute(query)).all():
        found.intakes += int(n)
        found.nights += int(nights or 0)
        found.by_child[str(path)] = found.by_child.get(str(path), 0) + int(n)
        for support, count in zip(columns, given, strict=True):
            found.support[support] = found.support.get(support, 0) + int(count or 0)
    found.support = {s: found.support[s] for s in Support if found.support.get(s)}
    return found

"""``/incidents``: the open reports a responder may see now (danh sách vụ
việc đang mở), the most urgent and newest first, so that no one has to
scroll back to find an alert. Who may see one is exactly who may open it
(:func:`storage.incidents.access.may_open`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.incidents.access import may_open
from storage.incidents.reach import place_of
from storage.models import (
    EscalationLevel,
    Incident,
    IncidentKind,
    IncidentStatus,
    Role,
    Unit,
    UnitLevel,
    User,
)
from storage.users import Profile

MAX_SHOWN = 30
MAX_CANDIDATES = 300  # read at a time; more batches until enough are shown


@dataclass(frozen=True)
class OpenReport:
    id: int
    code: str
    kind: IncidentKind
    danger_now: bool
    level: int
    status: IncidentStatus
    reported_at: datetime
    holder: str | None
    place: str


async def _candidates(session: AsyncSession, actor: Profile, offset: int) -> list[Incident] | None:
    """Open reports that might be the actor's (checked one by one after), a
    batch from ``offset``; ``None``: the actor's role sees none."""
    user = await session.get(User, actor.id)
    if user is None or not actor.is_active or user.role is None:
        return None
    query = select(Incident).where(Incident.status != IncidentStatus.CLOSED)
    if user.role is not Role.ADMIN:
        if user.role not in (
            Role.TRUSTED_ADDRESS_STAFF,
            Role.COMMUNE_COORDINATOR,
            Role.PROVINCE_COORDINATOR,
        ):
            return None
        unit = await session.get(Unit, user.unit_id) if user.unit_id is not None else None
        if unit is None:
            return None
        area = unit
        if user.role is Role.TRUSTED_ADDRESS_STAFF and unit.level is not UnitLevel.PROVINCE:
            # Linked staff may cover places elsewhere in the province.
            province = (await place_of(session, unit.id)).at(UnitLevel.PROVINCE)
            area = province or unit
        inside = select(Unit.id).where(Unit.path.startswith(area.path, autoescape=True))
        query = query.where(Incident.unit_id.in_(inside))
        if user.role is Role.PROVINCE_COORDINATOR:
            query = query.where(Incident.level >= EscalationLevel.PROVINCE)
    query = (
        query.order_by(Incident.danger_now.desc(), Incident.reported_at.desc(), Incident.id.desc())
        .offset(offset)
        .limit(MAX_CANDIDATES)
    )
    return list((await session.scalars(query)).all())


async def open_reports(
    session: AsyncSession, actor: Profile, limit: int = MAX_SHOWN
) -> list[OpenReport]:
    """The open reports ``actor`` may open now: someone in danger first, then
    the newest."""
    shown: list[OpenReport] = []
    names: dict[int, str] = {}
    # The answer depends only on the place and the level (the actor is the same).
    allowed: dict[tuple[int, int], tuple[bool, str]] = {}
    offset = 0
    # Candidates come most urgent first, in batches: a staff member's own
    # reports may lie behind many of the province's that they may not open.
    while len(shown) < limit:
        candidates = await _candidates(session, actor, offset)
        if not candidates:
            break
        offset += len(candidates)
        await _check(session, actor, candidates, limit, shown, names, allowed)
        if len(candidates) < MAX_CANDIDATES:
            break
    shown.sort(key=lambda r: (not r.danger_now, -r.reported_at.timestamp(), -r.id))
    return shown[:limit]


async def _check(
    session: AsyncSession,
    actor: Profile,
    candidates: list[Incident],
    limit: int,
    shown: list[OpenReport],
    names: dict[int, str],
    allowed: dict[tuple[int, int], tuple[bool, str]],
) -> None:
    """Add to ``shown`` the candidates the actor may open, up to ``limit``."""
    for incident in candidates:
        key = (incident.unit_id, incident.level)
        if key not in allowed:
            place = await place_of(session, incident.unit_id)
            allowed[key] = (await may_open(session, actor, incident, place), place.text)
        may, place_text = allowed[key]
        if not may:
            continue
        holder = None
        if incident.responsible_id is not None:
            if incident.responsible_id not in names:
                names[incident.responsible_id] = (
                    await session.scalar(
                        select(User.display_name).where(User.id == incident.responsible_id)
                    )
                    or "?"
                )
            holder = names[incident.responsible_id]
        shown.append(
            OpenReport(
                id=incident.id,
                code=incident.code,
                kind=incident.kind,
                danger_now=incident.danger_now,
                level=incident.level,
                status=incident.status,
                reported_at=incident.reported_at,
                holder=holder,
                place=place_text,
            )
        )
        if len(shown) >= limit:
            return

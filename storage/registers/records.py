"""Register entries (mô hình): written by a coordinator of the place (or an
operator through the CLI), each change audited; read by area; counted for
the targets in the plans' own words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import audit
from storage.models import (
    MemberRole,
    RegisterEntry,
    RegisterEntryEvent,
    RegisterEvent,
    RegisterKind,
    RegisterMember,
    RegisterStatus,
    TrustedAddress,
    Unit,
    UnitLevel,
)
from storage.registers.links import ENTITY, LinkError, check_link
from storage.reports import areas
from storage.reports.areas import Area
from storage.reports.periods import Period
from storage.text import clean_name, starts_like_formula
from storage.users import Profile

MAX_MEMBERS = 200
# Which events change the status, and to what.
STATUS_AFTER: dict[RegisterEvent, RegisterStatus] = {
    RegisterEvent.ESTABLISHED: RegisterStatus.ACTIVE,
    RegisterEvent.RESUMED: RegisterStatus.ACTIVE,
    RegisterEvent.SUSPENDED: RegisterStatus.SUSPENDED,
    RegisterEvent.DISSOLVED: RegisterStatus.DISSOLVED,
}
# What a target of each kind counts, exactly as the plans word it.
COUNTED_EVENTS: dict[str, frozenset[RegisterEvent]] = {
    "established": frozenset({RegisterEvent.ESTABLISHED}),  # "được thành lập"
    # "được củng cố, nâng chất lượng ... hoặc thành lập mới"
    "renewed": frozenset({RegisterEvent.STRENGTHENED, RegisterEvent.ESTABLISHED}),
    "supported": frozenset({RegisterEvent.SUPPORTED}),  # "được hỗ trợ"
}


class RegisterError(ValueError):
    """A register change the rules refuse; ``code`` names the rule."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class Member(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: MemberRole
    name: str | None = Field(default=None, max_length=100)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return clean_name(value, 100) if value else None


class EventInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    event: RegisterEvent
    on: date
    note: str | None = Field(default=None, max_length=300)


class EntryInput(BaseModel):
    """An entry as typed or imported."""

    model_config = ConfigDict(frozen=True)

    kind: RegisterKind
    unit_id: int
    name: str = Field(min_length=1, max_length=200)
    shelters: bool = False
    equipment: str | None = Field(default=None, max_length=500)
    members: list[Member] = Field(default_factory=list, max_length=MAX_MEMBERS)
    events: list[EventInput] = Field(default_factory=list)
    # A trusted address's directory row (trusted_addresses.id); None keeps
    # whatever link the entry has.
    address_id: int | None = Field(default=None, gt=0)

    @field_validator("name")
    @classmethod
    def _clean(cls, value: str) -> str:
        cleaned = clean_name(value, 200)
        if cleaned is None:
            raise ValueError("name")
        if starts_like_formula(cleaned):
            raise ValueError("formula")
        return cleaned

    @field_validator("equipment")
    @classmethod
    def _equipment(cls, value: str | None) -> str | None:
        if value and starts_like_formula(value):
            raise ValueError("formula")
        return value


@dataclass(frozen=True)
class Saved:
    entry_id: int
    created: bool


def status_of(events: list[tuple[RegisterEvent, date]]) -> RegisterStatus:
    """The status after the latest event that changes it (active if none)."""
    status = RegisterStatus.ACTIVE
    for event, _on in sorted(events, key=lambda e: e[1]):
        status = STATUS_AFTER.get(event, status)
    return status


async def _allowed(session: AsyncSession, actor: Profile | None, unit: Unit) -> bool:
    if actor is None:  # the operator, through the CLI
        return True
    return actor.is_coordinator and actor.covers(unit.path)


async def save(
    session: AsyncSession, actor: Profile | None, data: EntryInput, now: datetime
) -> Saved:
    """Add an entry, or update the one of the same kind, place and name: its
    flags and members are replaced, events not recorded yet are added."""
    unit = await session.get(Unit, data.unit_id)
    if unit is None or unit.level not in (UnitLevel.VILLAGE, UnitLevel.COMMUNE):
        raise RegisterError("unknown_place", str(data.unit_id))
    if not await _allowed(session, actor, unit):
        raise RegisterError("not_allowed")
    entry = await session.scalar(
        select(RegisterEntry).where(
            RegisterEntry.kind == data.kind,
            RegisterEntry.unit_id == data.unit_id,
            RegisterEntry.name == data.name,
        )
    )
    created = entry is None
    if data.address_id is not None and (entry is None or entry.address_id != data.address_id):
        try:
            await check_link(
                session, actor, data.kind, entry.id if entry else None, data.address_id
            )
        except LinkError as error:
            raise RegisterError(error.code, error.detail) from None
    if entry is None:
        entry = RegisterEntry(
            kind=data.kind,
            unit_id=data.unit_id,
            name=data.name,
            status=RegisterStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        entry.events, entry.members = [], []
        session.add(entry)
    before = _snapshot(entry) if not created else {}
    if data.address_id is not None:
        entry.address_id = data.address_id
    entry.shelters = data.shelters and data.kind is RegisterKind.TRUSTED_ADDRESS
    entry.equipment = data.equipment or None
    entry.members = [
        RegisterMember(role=m.role, name=m.name, position=n) for n, m in enumerate(data.members)
    ]
    known = {(e.event, e.on) for e in entry.events}
    for item in data.events:
        if (item.event, item.on) not in known:
            entry.events.append(RegisterEntryEvent(event=item.event, on=item.on, note=item.note))
            known.add((item.event, item.on))
    _settle(entry)
    entry.updated_at = now
    await session.flush()
    after = _snapshot(entry)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        action = "create" if created else "update"
        await audit.record(
            session, actor.id if actor else None, ENTITY, entry.id, action, changes, at=now
        )
    return Saved(entry.id, created)


async def add_event(
    session: AsyncSession,
    actor: Profile | None,
    entry_id: int,
    item: EventInput,
    now: datetime,
) -> RegisterEntry:
    """Record a dated change (củng cố, hỗ trợ, tạm ngừng...) of an entry."""
    entry = await session.get(RegisterEntry, entry_id)
    unit = await session.get(Unit, entry.unit_id) if entry is not None else None
    if entry is None or unit is None:
        raise RegisterError("unknown_entry", str(entry_id))
    if not await _allowed(session, actor, unit):
        raise RegisterError("not_allowed")
    if any((e.event, e.on) == (item.event, item.on) for e in entry.events):
        return entry
    before = entry.status
    entry.events.append(RegisterEntryEvent(event=item.event, on=item.on, note=item.note))
    _settle(entry)
    entry.updated_at = now
    await session.flush()
    details: dict[str, Any] = {"event": [None, f"{item.event.value} {item.on.isoformat()}"]}
    if entry.status is not before:
        details["status"] = [before.value, entry.status.value]
    await audit.record(
        session, actor.id if actor else None, ENTITY, entry.id, "event", details, at=now
    )
    return entry


def _settle(entry: RegisterEntry) -> None:
    entry.status = status_of([(e.event, e.on) for e in entry.events])
    established = [e.on for e in entry.events if e.event is RegisterEvent.ESTABLISHED]
    entry.established_on = min(established) if established else entry.established_on


def _snapshot(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "shelters": entry.shelters,
        "address_id": entry.address_id,
        "equipment": entry.equipment,
        "status": entry.status.value,
        "members": [[m.role.value, m.name] for m in entry.members],
        "events": sorted(f"{e.event.value} {e.on.isoformat()}" for e in entry.events),
    }


# Reading.
@dataclass(frozen=True)
class EntryView:
    id: int
    kind: RegisterKind
    place: str
    place_code: str
    name: str
    established_on: date | None
    status: RegisterStatus
    shelters: bool
    equipment: str | None
    members: list[tuple[MemberRole, str | None]]
    events: list[tuple[RegisterEvent, date, str | None]]
    address_id: int | None = None  # the directory row of a trusted address
    address_name: str | None = None  # its name there


class RegisterRefused(RegisterError):
    """The actor may not read or manage the registers of that place (từ chối):
    not a coordinator, or the place is not under theirs."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("not_allowed", detail)


async def area_for(
    session: AsyncSession, actor: Profile | None, unit_id: int | None = None
) -> Area:
    """The area whose registers ``actor`` reads and manages: ``unit_id``
    (default: the actor's own unit). ``None`` is the operator (CLI), who
    names a unit. Raises :class:`RegisterRefused` for anyone else: someone
    who is not a coordinator, or a unit that is not under theirs."""
    unit_id = unit_id if unit_id is not None else (actor.unit_id if actor else None)
    unit = await session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        raise RegisterRefused("no unit")
    if not await _allowed(session, actor, unit):
        raise RegisterRefused(unit.code or str(unit.id))
    return areas.unit_area(unit)


async def entries_for(
    session: AsyncSession, actor: Profile | None, unit_id: int | None = None
) -> tuple[Area, list[EntryView]]:
    """The entries the actor may read: under :func:`area_for`."""
    area = await area_for(session, actor, unit_id)
    return area, await entries_under(session, area)


async def entries_under(
    session: AsyncSession, area: Area, kind: RegisterKind | None = None
) -> list[EntryView]:
    """The entries at or under the area, by kind, place and name."""
    place = aliased(Unit)
    query = (
        select(RegisterEntry, place.name, place.code, TrustedAddress.name)
        .join(place, place.id == RegisterEntry.unit_id)
        .outerjoin(TrustedAddress, TrustedAddress.id == RegisterEntry.address_id)
    )
    query, _child = areas.scoped(query, area, place, RegisterEntry.unit_id)
    if kind is not None:
        query = query.where(RegisterEntry.kind == kind)
    order = {k: n for n, k in enumerate(RegisterKind)}
    found = [
        EntryView(
            e.id,
            e.kind,
            name,
            code,
            e.name,
            e.established_on,
            e.status,
            e.shelters,
            e.equipment,
            [(m.role, m.name) for m in e.members],
            [(v.event, v.on, v.note) for v in e.events],
            e.address_id,
            directory_name,
        )
        for e, name, code, directory_name in (await session.execute(query)).all()
    ]
    return sorted(found, key=lambda v: (order[v.kind], v.place, v.name))


async def counted(
    session: AsyncSession,
    area: Area,
    kind: RegisterKind | None,
    events: frozenset[RegisterEvent],
    period: Period,
) -> tuple[int, dict[str, int]]:
    """Entries of ``kind`` at or under the area with at least one of
    ``events`` dated within the period: the number, and by child path. An
    entry counts once however many such events it has."""
    place = aliased(Unit)
    query = (
        select()
        .select_from(RegisterEntry)
        .join(place, place.id == RegisterEntry.unit_id)
        .join(RegisterEntryEvent, RegisterEntryEvent.entry_id == RegisterEntry.id)
        .where(
            RegisterEntryEvent.event.in_(events),
            RegisterEntryEvent.on >= period.start,
            RegisterEntryEvent.on <= period.end,
        )
    )
    if kind is not None:
        query = query.where(RegisterEntry.kind == kind)
    query, child = areas.scoped(query, area, place, RegisterEntry.unit_id)
    query = query.add_columns(child, func.count(RegisterEntry.id.distinct())).group_by(child)
    found = {str(path): int(n) for path, n in (await session.execute(query)).all()}
    return sum(found.values()), found

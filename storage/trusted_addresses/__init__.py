"""The trusted-address directory (danh bạ địa chỉ tin cậy): who covers which
place, how to reach them, whether they are open now; kept by coordinators and
confirmed every month by the addresses' own staff.

Submodules: ``hours`` (opening hours), ``phones``, ``csvfile`` (import and
export), ``checks`` (the monthly confirmation and the out-of-date notice)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, units
from storage.models import (
    AddressService,
    Role,
    TrustedAddress,
    TrustedAddressArea,
    TrustedAddressStaff,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.registers.links import link_address
from storage.text import clean_name
from storage.trusted_addresses.hours import HoursError, OpeningHours, normalise, parse
from storage.trusted_addresses.phones import normalise_phone
from storage.users import Profile

MAX_NAME, MAX_ADDRESS, MAX_PHONES, MAX_UNITS, MAX_STAFF = 200, 300, 5, 50, 20
STALE_AFTER = timedelta(days=60)
CHECK_EVERY = timedelta(days=30)
ENTITY = "trusted_address"


class NotAllowed(Exception):
    """The actor may not manage this entry (or these places)."""


class InvalidAddress(ValueError):
    """The entry breaks a rule; ``problems`` lists ``(code, detail)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{c}: {d}" if d else c for c, d in problems))
        self.problems = problems


@dataclass
class AddressData:
    """What a coordinator or a CSV row gives for an entry. ``hours`` is text
    in any form :mod:`storage.trusted_addresses.hours` reads."""

    name: str
    unit_ids: list[int]
    address: str = ""
    phones: list[str] = field(default_factory=list)
    hours: str = ""
    services: list[AddressService] = field(default_factory=list)
    staff_ids: list[int] = field(default_factory=list)  # users.id
    latitude: float | None = None
    longitude: float | None = None
    active: bool = True


@dataclass(frozen=True)
class Covered:
    id: int
    name: str
    path: str
    level: UnitLevel
    code: str


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    telegram_id: int
    name: str


@dataclass(frozen=True)
class AddressView:
    """An entry with its places and staff, detached from the session."""

    id: int
    name: str
    address: str
    phones: tuple[str, ...]
    hours: str
    services: tuple[AddressService, ...]
    latitude: float | None
    longitude: float | None
    active: bool
    confirmed_at: datetime
    units: tuple[Covered, ...]
    staff: tuple[StaffMember, ...]

    @property
    def opening(self) -> OpeningHours:
        try:
            return parse(self.hours)
        except HoursError:
            return OpeningHours(always=False)

    def is_open(self, local: datetime) -> bool | None:
        return self.opening.is_open(local)

    def stale(self, now: datetime) -> bool:
        """Not confirmed for 60 days: possibly out of date."""
        return now - self.confirmed_at > STALE_AFTER

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


# Validation.
async def check(session: AsyncSession, data: AddressData) -> AddressData:
    """The entry cleaned (names trimmed, phones and hours in their stored
    form), or :class:`InvalidAddress` listing everything wrong with it."""
    problems: list[tuple[str, str]] = []
    name = clean_name(data.name, MAX_NAME)
    if name is None:
        problems.append(("name", data.name[:40]))
    address = " ".join(data.address.split())
    if len(address) > MAX_ADDRESS:
        problems.append(("address", ""))
    phones = []
    for raw in data.phones:
        phone = normalise_phone(raw)
        if phone is None:
            problems.append(("phone", raw[:40]))
        elif phone not in phones:
            phones.append(phone)
    if len(phones) > MAX_PHONES:
        problems.append(("phones", str(MAX_PHONES)))
    try:
        hours = normalise(data.hours)
    except HoursError as exc:
        problems.append(("hours", exc.part or data.hours[:40]))
        hours = ""
    unit_ids = list(dict.fromkeys(data.unit_ids))
    if not unit_ids:
        problems.append(("no_units", ""))
    elif len(unit_ids) > MAX_UNITS:
        problems.append(("units", str(MAX_UNITS)))
    else:
        found = {u.id: u for u in await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
        for unit_id in unit_ids:
            unit = found.get(unit_id)
            if unit is None or unit.level is UnitLevel.PROVINCE:
                problems.append(("unit", str(unit_id)))
    staff_ids = list(dict.fromkeys(data.staff_ids))
    if len(staff_ids) > MAX_STAFF:
        problems.append(("staff_count", str(MAX_STAFF)))
    elif staff_ids:
        staff = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(staff_ids)))}
        for user_id in staff_ids:
            user = staff.get(user_id)
            if (
                user is None
                or user.role is not Role.TRUSTED_ADDRESS_STAFF
                or user.status is not UserStatus.ACTIVE
            ):
                problems.append(("staff", str(user.telegram_id if user else user_id)))
    if (data.latitude is None) != (data.longitude is None):
        problems.append(("location", ""))
    elif (
        data.latitude is not None
        and data.longitude is not None
        and not (-90 <= data.latitude <= 90 and -180 <= data.longitude <= 180)
    ):
        problems.append(("location", f"{data.latitude},{data.longitude}"))
    if problems:
        raise InvalidAddress(problems)
    assert name is not None
    return AddressData(
        name=name,
        unit_ids=unit_ids,
        address=address,
        phones=phones,
        hours=hours,
        services=list(dict.fromkeys(data.services)),
        staff_ids=staff_ids,
        latitude=data.latitude,
        longitude=data.longitude,
        active=data.active,
    )


# Permissions.
async def _paths(session: AsyncSession, unit_ids: Sequence[int]) -> list[str]:
    if not unit_ids:
        return []
    return list((await session.scalars(select(Unit.path).where(Unit.id.in_(unit_ids)))).all())


def may_manage_paths(actor: Profile, paths: Sequence[str]) -> bool:
    """Coordinators manage the entries whose places are all in their area."""
    return actor.is_coordinator and all(actor.covers(p) for p in paths)


async def may_manage(session: AsyncSession, actor: Profile, address_id: int) -> bool:
    unit_ids = await _unit_ids(session, address_id)
    return may_manage_paths(actor, await _paths(session, unit_ids))


async def _unit_ids(session: AsyncSession, address_id: int) -> list[int]:
    return list(
        (
            await session.scalars(
                select(TrustedAddressArea.unit_id).where(
                    TrustedAddressArea.address_id == address_id
                )
            )
        ).all()
    )


# Changes.
async def _apply(session: AsyncSession, entry: TrustedAddress, data: AddressData) -> None:
    entry.name, entry.address = data.name, data.address
    entry.phones, entry.hours = list(data.phones), data.hours
    entry.services = [s.value for s in data.services]
    entry.latitude, entry.longitude = data.latitude, data.longitude
    entry.active = data.active
    await session.flush()
    await session.execute(
        delete(TrustedAddressArea).where(TrustedAddressArea.address_id == entry.id)
    )
    await session.execute(
        delete(TrustedAddressStaff).where(TrustedAddressStaff.address_id == entry.id)
    )
    session.add_all(TrustedAddressArea(address_id=entry.id, unit_id=u) for u in data.unit_ids)
    session.add_all(TrustedAddressStaff(address_id=entry.id, user_id=u) for u in data.staff_ids)
    await session.flush()


async def create(
    session: AsyncSession, actor: Profile | None, data: AddressData, now: datetime
) -> TrustedAddress:
    """Add an entry, and its register entry (:func:`link_address`). ``actor``
    ``None`` is the command line (no permission check)."""
    data = await check(session, data)
    if actor is not None and not may_manage_paths(actor, await _paths(session, data.unit_ids)):
        raise NotAllowed("outside the actor's area")
    entry = TrustedAddress(
        name=data.name,
        created_by_id=actor.id if actor else None,
        confirmed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    await _apply(session, entry, data)
    await audit.record(
        session, actor.id if actor else None, ENTITY, entry.id, "create", {"name": data.name}, now
    )
    await link_address(session, actor.id if actor else None, entry.id, now)
    return entry


async def update(
    session: AsyncSession,
    actor: Profile | None,
    address_id: int,
    data: AddressData,
    now: datetime,
) -> TrustedAddress:
    """Replace an entry's fields. Editing counts as confirming it."""
    entry = await session.get(TrustedAddress, address_id, with_for_update=True)
    if entry is None:
        raise LookupError(address_id)
    data = await check(session, data)
    if actor is not None:
        before = await _paths(session, await _unit_ids(session, address_id))
        after = await _paths(session, data.unit_ids)
        if not may_manage_paths(actor, [*before, *after]):
            raise NotAllowed("outside the actor's area")
    await _apply(session, entry, data)
    entry.updated_at = entry.confirmed_at = now
    entry.stale_notified_at = None
    await audit.record(
        session, actor.id if actor else None, ENTITY, entry.id, "update", {"name": data.name}, now
    )
    await link_address(session, actor.id if actor else None, entry.id, now)
    return entry


async def set_active(
    session: AsyncSession, actor: Profile, address_id: int, active: bool, now: datetime
) -> TrustedAddress:
    """Deactivate (or reactivate) an entry: it stays for the record, but is no
    longer listed nor alerted."""
    entry = await session.get(TrustedAddress, address_id, with_for_update=True)
    if entry is None:
        raise LookupError(address_id)
    if not await may_manage(session, actor, address_id):
        raise NotAllowed("outside the actor's area")
    if entry.active != active:
        entry.active, entry.updated_at = active, now
        action = "activate" if active else "deactivate"
        await audit.record(session, actor.id, ENTITY, entry.id, action, {}, now)
    return entry


async def confirm(
    session: AsyncSession, actor: Profile, address_id: int, now: datetime
) -> TrustedAddress:
    """The entry is still correct: its staff or a coordinator says so. Its
    register entry is linked then if it was not yet."""
    is_staff = (
        actor.is_active
        and actor.role is Role.TRUSTED_ADDRESS_STAFF
        and (
            await session.scalar(
                select(TrustedAddressStaff.user_id).where(
                    TrustedAddressStaff.address_id == address_id,
                    TrustedAddressStaff.user_id == actor.id,
                )
            )
            is not None
        )
    )
    if not is_staff and not await may_manage(session, actor, address_id):
        raise NotAllowed("neither staff nor coordinator")
    entry = await session.get(TrustedAddress, address_id, with_for_update=True)
    if entry is None:
        raise LookupError(address_id)
    if entry.confirmed_at >= now:  # someone confirmed it this very moment
        return entry
    # Two people confirming at once confirm it once (FOR UPDATE does nothing
    # on SQLite): only the statement that still sees the old date counts.
    changed = await session.execute(
        sql_update(TrustedAddress)
        .where(TrustedAddress.id == address_id, TrustedAddress.confirmed_at == entry.confirmed_at)
        .values(confirmed_at=now, stale_notified_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(entry)
    if getattr(changed, "rowcount", 0):
        await audit.record(session, actor.id, ENTITY, entry.id, "confirm", {}, now)
        await link_address(session, actor.id, address_id, now)  # one kept before the link
    return entry


# Reading.
async def views(session: AsyncSession, entries: Sequence[TrustedAddress]) -> list[AddressView]:
    """Entries with their places and staff, in the order given."""
    ids = [e.id for e in entries]
    if not ids:
        return []
    covered: dict[int, list[Covered]] = {i: [] for i in ids}
    rows = await session.execute(
        select(TrustedAddressArea.address_id, Unit)
        .join(Unit, Unit.id == TrustedAddressArea.unit_id)
        .where(TrustedAddressArea.address_id.in_(ids))
        .order_by(Unit.path)
    )
    for address_id, unit in rows.all():
        covered[address_id].append(Covered(unit.id, unit.name, unit.path, unit.level, unit.code))
    staff: dict[int, list[StaffMember]] = {i: [] for i in ids}
    people = await session.execute(
        select(TrustedAddressStaff.address_id, User)
        .join(User, User.id == TrustedAddressStaff.user_id)
        .where(TrustedAddressStaff.address_id.in_(ids))
        .order_by(User.id)
    )
    for address_id, user in people.all():
        staff[address_id].append(StaffMember(user.id, user.telegram_id, user.display_name))
    return [
        AddressView(
            id=e.id,
            name=e.name,
            address=e.address,
            phones=tuple(e.phones or ()),
            hours=e.hours,
            services=tuple(_services(e.services)),
            latitude=e.latitude,
            longitude=e.longitude,
            active=e.active,
            confirmed_at=e.confirmed_at,
            units=tuple(covered[e.id]),
            staff=tuple(staff[e.id]),
        )
        for e in entries
    ]


def _services(values: Sequence[str] | None) -> list[AddressService]:
    found = []
    for value in values or ():
        try:
            found.append(AddressService(value))
        except ValueError:
            continue
    return found


async def get(session: AsyncSession, address_id: int) -> AddressView | None:
    entry = await session.get(TrustedAddress, address_id)
    if entry is None:
        return None
    return (await views(session, [entry]))[0]


async def in_area(
    session: AsyncSession, unit_path: str | None, *, include_inactive: bool = False
) -> list[AddressView]:
    """Entries with a place in the subtree at ``unit_path`` (``None``: all), by name."""
    query = select(TrustedAddress).order_by(TrustedAddress.name, TrustedAddress.id)
    if unit_path is not None:
        inside = (
            select(TrustedAddressArea.address_id)
            .join(Unit, Unit.id == TrustedAddressArea.unit_id)
            .where(Unit.path.startswith(unit_path, autoescape=True))
        )
        query = query.where(TrustedAddress.id.in_(inside))
    if not include_inactive:
        query = query.where(TrustedAddress.active.is_(True))
    return await views(session, (await session.scalars(query)).all())


async def covering_ids(
    session: AsyncSession, unit: Unit, lineage: Sequence[Unit] | None = None
) -> list[int]:
    """Active entries that cover a place: the place itself or its commune;
    for a commune, also the entries of its villages. ``lineage`` (the unit
    and its ancestors), when the caller has it, saves a query."""
    if lineage is None:
        lineage = [*await units.ancestors(session, unit), unit]
    own = [u.id for u in lineage if u.level is not UnitLevel.PROVINCE]
    condition: ColumnElement[bool] = TrustedAddressArea.unit_id.in_(own)
    if unit.level is UnitLevel.COMMUNE:
        villages = select(Unit.id).where(Unit.parent_id == unit.id)
        condition = or_(condition, TrustedAddressArea.unit_id.in_(villages))
    query = (
        select(TrustedAddress.id)
        .join(TrustedAddressArea, TrustedAddressArea.address_id == TrustedAddress.id)
        .where(condition, TrustedAddress.active.is_(True))
        .distinct()
    )
    return list((await session.scalars(query)).all())


async def for_place(session: AsyncSession, unit_id: int) -> list[AddressView]:
    """The active entries that cover a place, the most local first."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return []
    ids = await covering_ids(session, unit)
    if not ids:
        return []
    entries = (
        await session.scalars(select(TrustedAddress).where(TrustedAddress.id.in_(ids)))
    ).all()
    found = await views(session, entries)

    def rank(view: AddressView) -> tuple[int, str]:
        exact = any(c.id == unit.id for c in view.units)
        return (0 if exact else 1, view.name)

    return sorted(found, key=rank)


EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


async def nearest(
    session: AsyncSession,
    latitude: float,
    longitude: float,
    *,
    limit: int = 5,
    max_km: float = 100.0,
) -> list[tuple[AddressView, float]]:
    """Active entries with a location, nearest first, with their distance.
    A box of ``max_km`` around the point is searched in SQL first."""
    dlat = max_km / 111.0
    dlon = max_km / (111.0 * max(0.1, math.cos(math.radians(latitude))))
    query = select(TrustedAddress).where(
        TrustedAddress.active.is_(True),
        TrustedAddress.latitude.between(latitude - dlat, latitude + dlat),
        TrustedAddress.longitude.between(longitude - dlon, longitude + dlon),
    )
    entries = (await session.scalars(query)).all()
    measured = []
    for entry in entries:
        assert entry.latitude is not None and entry.longitude is not None
        km = distance_km(latitude, longitude, entry.latitude, entry.longitude)
        if km <= max_km:
            measured.append((entry, km))
    measured.sort(key=lambda pair: pair[1])
    measured = measured[:limit]
    found = await views(session, [e for e, _ in measured])
    return [(view, km) for view, (_, km) in zip(found, measured, strict=True)]


async def staff_of(session: AsyncSession, user_id: int) -> list[int]:
    """The entries a user staffs."""
    return list(
        (
            await session.scalars(
                select(TrustedAddressStaff.address_id).where(TrustedAddressStaff.user_id == user_id)
            )
        ).all()
    )


async def staff_candidates(session: AsyncSession, unit_ids: Sequence[int]) -> list[User]:
    """Registered trusted-address staff at the communes of these places: who a
    coordinator can link to an entry."""
    communes: set[int] = set()
    for unit_id in unit_ids:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            continue
        if unit.level is UnitLevel.COMMUNE:
            communes.add(unit.id)
        elif unit.level is UnitLevel.VILLAGE and unit.parent_id is not None:
            communes.add(unit.parent_id)
    if not communes:
        return []
    query = select(User).where(
        User.role == Role.TRUSTED_ADDRESS_STAFF,
        User.status == UserStatus.ACTIVE,
        User.unit_id.in_(communes),
    )
    return list((await session.scalars(query.order_by(User.display_name, User.id))).all())


__all__ = [
    "STALE_AFTER",
    "AddressData",
    "AddressView",
    "Covered",
    "InvalidAddress",
    "NotAllowed",
    "StaffMember",
    "check",
    "confirm",
    "covering_ids",
    "create",
    "distance_km",
    "for_place",
    "get",
    "in_area",
    "may_manage",
    "nearest",
    "set_active",
    "staff_candidates",
    "staff_of",
    "update",
    "views",
]

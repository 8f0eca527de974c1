"""A trusted address in the registers (mô hình địa chỉ tin cậy) and its row
in the directory (danh bạ địa chỉ tin cậy) are one address: the directory row
says how to reach it, the register entry counts it for the plans (its dated
events, and whether it also shelters people).

:func:`link_address` is the one place that ties them. The directory calls it
whenever an address is created, changed or confirmed, so that every address
in the directory has its register entry; the register CSV names the directory
row by its id (the ``id`` column of ``binhdang addresses export``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import (
    AddressService,
    RegisterEntry,
    RegisterKind,
    RegisterStatus,
    TrustedAddress,
    TrustedAddressArea,
    Unit,
    UnitLevel,
)
from storage.text import fold
from storage.users import Profile

ENTITY = "register_entry"  # in the audit trail


class LinkError(ValueError):
    """A link the rules refuse; ``code`` names the rule."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


async def _places(session: AsyncSession, address_id: int) -> list[Unit]:
    return list(
        (
            await session.scalars(
                select(Unit)
                .join(TrustedAddressArea, TrustedAddressArea.unit_id == Unit.id)
                .where(TrustedAddressArea.address_id == address_id)
                .order_by(Unit.path)
            )
        ).all()
    )


def _commune_id(unit: Unit) -> int | None:
    if unit.level is UnitLevel.COMMUNE:
        return unit.id
    if unit.level is UnitLevel.VILLAGE:
        return unit.parent_id
    return None


def register_place(places: list[Unit]) -> int | None:
    """Where the register keeps an address: its one village or commune; for
    an address covering several places, the commune of the first."""
    if not places:
        return None
    if len(places) == 1 and places[0].level in (UnitLevel.VILLAGE, UnitLevel.COMMUNE):
        return places[0].id
    return _commune_id(places[0])


async def linked_entry(session: AsyncSession, address_id: int) -> RegisterEntry | None:
    return await session.scalar(select(RegisterEntry).where(RegisterEntry.address_id == address_id))


async def link_address(
    session: AsyncSession, actor_id: int | None, address_id: int, now: datetime
) -> int | None:
    """The register entry of a directory row, found or made, and linked.

    Already linked: its name follows the directory's (unless another entry of
    that place has the name). Not yet: an unlinked trusted-address entry of one
    of its places (or their communes) with the same name is linked; otherwise
    an entry is added at :func:`register_place`, active, with no event (what
    the plan counts is dated by coordinators), sheltering if the directory
    lists shelter among its services. Audited; the directory's own permission
    checks came first. Returns the entry's id (``None``: the address has no
    place yet)."""
    address = await session.get(TrustedAddress, address_id)
    if address is None:
        return None
    entry = await linked_entry(session, address_id)
    if entry is not None:
        if entry.name != address.name and not await _taken(session, entry.unit_id, address.name):
            before, entry.name, entry.updated_at = entry.name, address.name, now
            await session.flush()
            details: dict[str, Any] = {"name": [before, address.name]}
            await audit.record(session, actor_id, ENTITY, entry.id, "update", details, at=now)
        return entry.id
    places = await _places(session, address_id)
    home = register_place(places)
    if home is None:
        return None
    nearby = {u.id for u in places} | {c for c in map(_commune_id, places) if c is not None}
    candidates = (
        await session.scalars(
            select(RegisterEntry)
            .where(
                RegisterEntry.kind == RegisterKind.TRUSTED_ADDRESS,
                RegisterEntry.address_id.is_(None),
                RegisterEntry.unit_id.in_(nearby),
            )
            .order_by(RegisterEntry.id)
        )
    ).all()
    wanted = fold(address.name)
    found = next((e for e in candidates if fold(e.name) == wanted), None)
    if found is not None:
        found.address_id, found.updated_at = address_id, now
        await session.flush()
        linked: dict[str, Any] = {"address_id": [None, address_id]}
        await audit.record(session, actor_id, ENTITY, found.id, "link", linked, at=now)
        return found.id
    name = address.name
    if await _taken(session, home, name):  # another address of that place has that name
        name = f"{name[:190]} #{address_id}"
    entry = RegisterEntry(
        kind=RegisterKind.TRUSTED_ADDRESS,
        unit_id=home,
        name=name,
        status=RegisterStatus.ACTIVE,
        shelters=AddressService.SHELTER.value in (address.services or []),
        address_id=address_id,
        created_at=now,
        updated_at=now,
    )
    entry.events, entry.members = [], []
    session.add(entry)
    await session.flush()
    made: dict[str, Any] = {"name": [None, name], "address_id": [None, address_id]}
    await audit.record(session, actor_id, ENTITY, entry.id, "create", made, at=now)
    return entry.id


async def _taken(session: AsyncSession, unit_id: int, name: str) -> bool:
    found = await session.scalar(
        select(RegisterEntry.id).where(
            RegisterEntry.kind == RegisterKind.TRUSTED_ADDRESS,
            RegisterEntry.unit_id == unit_id,
            RegisterEntry.name == name,
        )
    )
    return found is not None


async def may_link(session: AsyncSession, actor: Profile | None, address_id: int) -> bool:
    """Whether the actor may tie a register entry to this directory row: the
    operator, or a coordinator covering every place of the address."""
    if actor is None:
        return True
    places = await _places(session, address_id)
    return actor.is_coordinator and all(actor.covers(u.path) for u in places)


async def check_link(
    session: AsyncSession,
    actor: Profile | None,
    kind: RegisterKind,
    entry_id: int | None,
    address_id: int,
) -> None:
    """Whether a register line being saved (``entry_id`` ``None``: a new one)
    may name this directory row: it is a trusted address, the row exists, the
    actor covers its places, and no other entry names it. Raises
    :class:`LinkError`."""
    if kind is not RegisterKind.TRUSTED_ADDRESS:
        raise LinkError("address_only_for_trusted", str(address_id))
    if await session.get(TrustedAddress, address_id) is None:
        raise LinkError("unknown_address", str(address_id))
    if not await may_link(session, actor, address_id):
        raise LinkError("not_allowed", str(address_id))
    other = await linked_entry(session, address_id)
    if other is not None and other.id != entry_id:
        raise LinkError("address_taken", str(address_id))

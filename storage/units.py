"""The administrative tree: import, search, villages and groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit, UnitGroup, UnitGroupMember, UnitLevel
from storage.text import fold, search_key
from storage.users import Profile

_KINDS = {
    "tỉnh": "province",
    "thành phố trung ương": "city",
    "xã": "commune",
    "phường": "ward",
    "đặc khu": "special_zone",
}
SEARCH_LIMIT = 8


@dataclass(frozen=True)
class UnitHit:
    """A search result, with the province name beside it since names repeat."""

    id: int
    name: str
    level: UnitLevel
    province_name: str | None
    commune_name: str | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def import_official_tree(session: AsyncSession) -> tuple[int, int]:
    """Load the 34 provinces and 3,321 communes of vietnam-provinces.

    Idempotent: existing codes are renamed if their name changed, nothing is
    duplicated. Returns the number of units added and renamed.
    """
    from vietnam_provinces import Province, Ward

    existing = {u.code: u for u in (await session.scalars(select(Unit))).all()}
    added = renamed = 0
    rows: list[dict[str, object]] = []

    def stage(code: str, name: str, level: UnitLevel, kind: str, parent: str | None) -> None:
        nonlocal renamed
        unit = existing.get(code)
        if unit is None:
            path = (f"/{parent}" if parent else "") + f"/{code}/"
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "level": level,
                    "kind": kind,
                    "path": path,
                    "search_key": search_key(name),
                    "active": True,
                    "parent_code": parent,
                }
            )
        elif unit.name != name:
            unit.name, unit.search_key = name, search_key(name)
            renamed += 1

    for p in Province.iter_all():
        stage(
            f"{p.code.value:02d}", p.name, UnitLevel.PROVINCE, _KINDS[p.division_type.value], None
        )
    province_rows, rows = rows, []
    for w in Ward.iter_all():
        stage(
            f"{w.code.value:05d}",
            w.name,
            UnitLevel.COMMUNE,
            _KINDS[w.division_type.value],
            f"{w.province_code.value:02d}",
        )
    commune_rows = rows

    for row in province_rows:
        row.pop("parent_code")
        session.add(Unit(**row))
    await session.flush()
    ids = dict((await session.execute(select(Unit.code, Unit.id))).all())
    for row in commune_rows:
        parent_code = str(row.pop("parent_code"))
        session.add(Unit(parent_id=ids[parent_code], **row))
    added = len(province_rows) + len(commune_rows)
    await session.flush()
    return added, renamed


async def count_units(session: AsyncSession, level: UnitLevel | None = None) -> int:
    query = select(func.count()).select_from(Unit)
    if level is not None:
        query = query.where(Unit.level == level)
    return int(await session.scalar(query) or 0)


async def get_unit(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def get_by_code(session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.code == code))


async def provinces(session: AsyncSession) -> Sequence[Unit]:
    return (
        await session.scalars(
            select(Unit).where(Unit.level == UnitLevel.PROVINCE).order_by(Unit.search_key)
        )
    ).all()


async def children(session: AsyncSession, parent_id: int) -> Sequence[Unit]:
    return (
        await session.scalars(
            select(Unit)
            .where(Unit.parent_id == parent_id, Unit.active.is_(True))
            .order_by(Unit.search_key)
        )
    ).all()


async def ancestors(session: AsyncSession, unit: Unit) -> list[Unit]:
    """The unit's ancestors from the province down, without the unit itself."""
    codes = [c for c in unit.path.strip("/").split("/")][:-1]
    if not codes:
        return []
    found = {u.code: u for u in (await session.scalars(select(Unit).where(Unit.code.in_(codes))))}
    return [found[c] for c in codes if c in found]


async def describe(session: AsyncSession, unit: Unit) -> str:
    """``Thôn 3, Xã Trà Bồng, Quảng Ngãi``: a place as users read it."""
    return ", ".join(u.name for u in reversed([*await ancestors(session, unit), unit]))


def in_subtree(unit_path: str) -> object:
    """A filter for units at or under the unit with path ``unit_path``."""
    return Unit.path.startswith(unit_path, autoescape=True)


async def search(
    session: AsyncSession,
    text: str,
    *,
    level: UnitLevel | None = None,
    within: Unit | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[UnitHit]:
    """Find units by a name typed with or without accents, best matches first."""
    key = search_key(text)
    if not key:
        return []
    query = select(Unit).where(
        Unit.search_key.like(f"%{_escape_like(key)}%", escape="\\"), Unit.active.is_(True)
    )
    if level is not None:
        query = query.where(Unit.level == level)
    if within is not None:
        query = query.where(Unit.path.startswith(within.path, autoescape=True))
    candidates = (await session.scalars(query.limit(500))).all()

    def rank(u: Unit) -> tuple[int, int, str]:
        exact = u.search_key == key
        word = f" {key} " in f" {u.search_key} "
        starts = u.search_key.startswith(key)
        return (
            0 if exact else 1 if word and starts else 2 if word else 3,
            len(u.search_key),
            u.path,
        )

    best = sorted(candidates, key=rank)[:limit]
    parent_codes = {c for u in best for c in u.path.strip("/").split("/")[:-1]}
    names = dict(
        (
            await session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(parent_codes)))
        ).all()
    )
    hits = []
    for u in best:
        codes = u.path.strip("/").split("/")
        hits.append(
            UnitHit(
                id=u.id,
                name=u.name,
                level=u.level,
                province_name=names.get(codes[0]) if len(codes) > 1 else None,
                commune_name=names.get(codes[1]) if len(codes) > 2 else None,
            )
        )
    return hits


async def add_village(
    session: AsyncSession, commune: Unit, name: str, kind: str = "village"
) -> Unit:
    """Add a village (thôn/làng/tổ dân phố) under a commune, or return the
    active one of the same name that is already there."""
    if commune.level is not UnitLevel.COMMUNE:
        raise ValueError("villages belong to communes")
    key = search_key(name)
    siblings = (await session.scalars(select(Unit).where(Unit.parent_id == commune.id))).all()
    for sibling in siblings:
        # A village merged into another (storage.people) is no longer a place.
        if sibling.active and (sibling.search_key == key or fold(sibling.name) == fold(name)):
            return sibling
    numbers = [int(s.code.rsplit("-", 1)[1]) for s in siblings if "-" in s.code]
    code = f"{commune.code}-{max(numbers, default=0) + 1:03d}"
    village = Unit(
        code=code,
        name=name,
        level=UnitLevel.VILLAGE,
        kind=kind,
        parent_id=commune.id,
        path=f"{commune.path}{code}/",
        search_key=key,
        active=True,
    )
    session.add(village)
    await session.flush()
    return village


class NotAllowed(Exception):
    """The actor's unit does not cover that place."""


async def add_village_for(
    session: AsyncSession, actor: Profile, commune_id: int, name: str
) -> tuple[Unit, bool]:
    """A coordinator adds a village under a commune of their area. Returns the
    village and whether it is new (a village of the same name is reused)."""
    commune = await session.get(Unit, commune_id)
    if commune is None or commune.level is not UnitLevel.COMMUNE:
        raise NotAllowed("not a commune")
    if not actor.is_coordinator or not actor.covers(commune.path):
        raise NotAllowed("outside the actor's area")
    before = await count_units(session)
    village = await add_village(session, commune, name)
    return village, await count_units(session) > before


async def create_group(
    session: AsyncSession, name: str, owner: Unit | None, communes: Sequence[Unit]
) -> UnitGroup:
    """A named group of communes (for example a former district)."""
    group = UnitGroup(name=name, owner_unit_id=owner.id if owner else None)
    session.add(group)
    await session.flush()
    for commune in communes:
        if commune.level is not UnitLevel.COMMUNE:
            raise ValueError("a group holds communes")
        session.add(UnitGroupMember(group_id=group.id, unit_id=commune.id))
    await session.flush()
    return group

"""Report areas (địa bàn báo cáo): a unit of the tree and everything under it,
a named group of communes (``UnitGroup``), or the whole country; who may see
which; and the SQL that scopes a query to an area and names each row's child
(the next level down) from the materialised path."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType

from storage import units
from storage.models import Unit, UnitGroup, UnitGroupMember, UnitLevel
from storage.users import Profile

Query = Select[*tuple[Any, ...]]
"""A SELECT of any columns (the type that :func:`scoped` takes and returns)."""


class AreaKind(enum.Enum):
    UNIT = "u"
    GROUP = "g"
    COUNTRY = "n"


@dataclass(frozen=True)
class Area:
    """Where a report looks. ``path`` is the unit's materialised path (``/``
    for the country, empty for a group); ``token`` names the area in callback
    data (``u12``, ``g3``, ``n``)."""

    kind: AreaKind
    id: int | None
    name: str
    path: str
    level: UnitLevel | None = None

    @property
    def token(self) -> str:
        return self.kind.value if self.id is None else f"{self.kind.value}{self.id}"


COUNTRY = Area(AreaKind.COUNTRY, None, "Việt Nam", "/")


def unit_area(unit: Unit) -> Area:
    return Area(AreaKind.UNIT, unit.id, unit.name, unit.path, unit.level)


def group_area(group: UnitGroup) -> Area:
    return Area(AreaKind.GROUP, group.id, group.name, "")


async def resolve(session: AsyncSession, token: str) -> Area | None:
    """The area named by a token, or ``None`` if it does not exist (any more)."""
    if token == AreaKind.COUNTRY.value:
        return COUNTRY
    kind, number = token[:1], token[1:]
    if not number.isdigit() or len(number) > 12:
        return None
    if kind == AreaKind.UNIT.value:
        unit = await session.get(Unit, int(number))
        return unit_area(unit) if unit is not None and unit.active else None
    if kind == AreaKind.GROUP.value:
        group = await session.get(UnitGroup, int(number))
        return group_area(group) if group is not None else None
    return None


async def by_code(session: AsyncSession, code: str) -> Area | None:
    """``51`` (a unit code), ``group:3`` or ``VN`` (the country), as the CLI takes them."""
    code = code.strip()
    if code.upper() in ("VN", "ALL"):
        return COUNTRY
    if code.lower().startswith("group:"):
        return await resolve(session, "g" + code.split(":", 1)[1].strip())
    unit = await units.get_by_code(session, code)
    return unit_area(unit) if unit is not None else None


async def group_members(session: AsyncSession, group_id: int) -> list[Unit]:
    return list(
        (
            await session.scalars(
                select(Unit)
                .join(UnitGroupMember, UnitGroupMember.unit_id == Unit.id)
                .where(UnitGroupMember.group_id == group_id)
                .order_by(Unit.search_key)
            )
        ).all()
    )


async def may_see(session: AsyncSession, profile: Profile, area: Area) -> bool:
    """Coordinators see their own unit and everything under it, and the groups
    whose communes are all under it; administrators see everything."""
    if not profile.is_coordinator:
        return False
    if profile.is_admin:
        return True
    if area.kind is AreaKind.UNIT:
        return profile.covers(area.path)
    if area.kind is AreaKind.GROUP and area.id is not None:
        members = await group_members(session, area.id)
        return bool(members) and all(profile.covers(m.path) for m in members)
    return False


async def default_area(session: AsyncSession, profile: Profile) -> Area | None:
    """The coordinator's own unit, the country for an administrator."""
    if profile.is_admin:
        return COUNTRY
    if not profile.is_coordinator or profile.unit_id is None:
        return None
    unit = await session.get(Unit, profile.unit_id)
    return unit_area(unit) if unit is not None else None


async def visible_groups(session: AsyncSession, profile: Profile) -> list[Area]:
    """Groups of communes the coordinator may report on, by name."""
    if not profile.is_coordinator:
        return []
    found = []
    for group in (
        await session.scalars(select(UnitGroup).order_by(UnitGroup.name, UnitGroup.id))
    ).all():
        area = group_area(group)
        if await may_see(session, profile, area):
            found.append(area)
    return found


async def describe(session: AsyncSession, area: Area) -> str:
    """``Xã Trà Bồng, Quảng Ngãi``; a group or the country by its name."""
    if area.kind is AreaKind.UNIT and area.id is not None:
        unit = await session.get(Unit, area.id)
        if unit is not None:
            return await units.describe(session, unit)
    return area.name


async def children(session: AsyncSession, area: Area) -> list[Unit]:
    """The next level down: the provinces of the country, the communes of a
    province or of a group, the villages of a commune."""
    if area.kind is AreaKind.COUNTRY:
        return list(await units.provinces(session))
    if area.kind is AreaKind.GROUP and area.id is not None:
        return await group_members(session, area.id)
    if area.id is None:
        return []
    return list(await units.children(session, area.id))


# SQL.
class strpos(FunctionElement[int]):
    """1-based position of a substring, 0 if absent: ``strpos`` on PostgreSQL,
    ``instr`` on SQLite."""

    type = Integer()
    name = "strpos"
    inherit_cache = True


@compiles(strpos)
def _strpos_default(element: strpos, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


@compiles(strpos, "sqlite")
def _strpos_sqlite(element: strpos, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


def child_path(area: Area, path: ColumnElement[str]) -> ColumnElement[str]:
    """The path of the child of ``area`` that holds the unit at ``path``
    (``/51/21115/21115-003/`` under ``/51/`` → ``/51/21115/``); the area's own
    path for a unit logged at the area itself. Integers are inlined so that
    the same expression can be selected and grouped on PostgreSQL."""
    length = len(area.path)
    rest = func.substr(path, literal_column(str(length + 1)))
    return func.substr(
        path, literal_column("1"), literal_column(str(length)) + strpos(rest, literal_column("'/'"))
    )


class under(FunctionElement[Any]):
    """``path`` is at or under the unit whose path is a given prefix. PostgreSQL
    matches ``LIKE 'prefix%'`` on the ``text_pattern_ops`` index; SQLite's
    LIKE ignores case and so cannot use an index, so it gets the equivalent
    range ``prefix <= path < prefix-with-its-last-'/'-bumped-to-'0'``."""

    type = NullType()  # not Boolean: SQLite would append "= 1" and lose the index
    name = "under"
    inherit_cache = True


@compiles(under)
def _under_default(element: under, compiler: SQLCompiler, **kw: Any) -> str:
    path, _low, _high, pattern = list(element.clauses)
    return f"({compiler.process(path, **kw)} LIKE {compiler.process(pattern, **kw)} ESCAPE '!')"


@compiles(under, "sqlite")
def _under_sqlite(element: under, compiler: SQLCompiler, **kw: Any) -> str:
    path, low, high, _pattern = list(element.clauses)
    column = compiler.process(path, **kw)
    return (
        f"({column} >= {compiler.process(low, **kw)} AND {column} < {compiler.process(high, **kw)})"
    )


class unindexed(FunctionElement[Any]):
    """A column whose index SQLite must not use for this term (``+column``),
    so that it picks another index, such as a partial one; PostgreSQL gets
    the column as it is."""

    type = Integer()
    name = "unindexed"
    inherit_cache = True


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def in_subtree(path: Any, prefix: str) -> Any:
    """A filter for the units at or under the unit whose path is ``prefix``."""
    assert prefix.endswith("/")
    pattern = prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    return under(path, literal(prefix), literal(prefix[:-1] + "0"), literal(pattern))


_SUBTREE = aliased(Unit)  # made once: see storage.reports.tally


def subtree_ids(area: Area) -> Any:
    """A subquery of the ids of the units at or under the area (a group: under
    its communes); ``None`` for the country."""
    if area.kind is AreaKind.UNIT:
        return select(_SUBTREE.id).where(in_subtree(_SUBTREE.path, area.path))
    unit = aliased(Unit)
    if area.kind is AreaKind.GROUP:
        member = aliased(Unit)
        link = aliased(UnitGroupMember)
        return (
            select(unit.id)
            .join(member, unit.path.startswith(member.path))
            .join(link, (link.unit_id == member.id) & (link.group_id == area.id))
        )
    return None


def scoped(query: Query, area: Area, place: Any, unit_column: Any = None) -> tuple[Query, Any]:
    """Restrict ``query`` (which has ``place``, a ``Unit`` alias, in its FROM)
    to the area's subtree; return it with the expression naming each row's
    child by its path. With ``unit_column`` (the column that ``place`` is
    joined on), the rows are also looked up by unit: ``unit_column IN (ids of
    the subtree)`` lets the database start from the area's units and their
    index rather than from every row of the period."""
    ids = subtree_ids(area)
    if ids is not None and unit_column is not None:
        query = query.where(unit_column.in_(ids))
    if area.kind is AreaKind.GROUP:
        member = aliased(Unit)
        link = aliased(UnitGroupMember)
        query = query.join(link, link.group_id == area.id).join(
            member, (member.id == link.unit_id) & place.path.startswith(member.path)
        )
        return query, member.path
    if area.kind is AreaKind.UNIT and unit_column is None:
        query = query.where(in_subtree(place.path, area.path))
    return query, child_path(area, place.path)


def child_names(found: Sequence[Unit]) -> dict[str, Unit]:
    return {u.path: u for u in found}

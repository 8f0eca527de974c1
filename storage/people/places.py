"""Villages: rename one, merge two of one commune."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.schema import Table

from storage import audit, units
from storage.models import (
    Base,
    Broadcast,
    RegisterEntry,
    Unit,
    UnitLevel,
)
from storage.people.common import MAX_VILLAGE_NAME, PeopleError
from storage.text import clean_name, fold, search_key
from storage.users import Profile

# Derived tables (rollups per commune and province) never point at a village.
_DERIVED = {"activity_rollups", "activity_topic_rollups"}


async def _village(session: AsyncSession, actor: Profile, village_id: int) -> Unit:
    if not actor.is_coordinator:
        raise PeopleError("not_allowed")
    village = await session.get(Unit, village_id)
    if village is None or not village.active:
        raise PeopleError("not_found")
    if village.level is not UnitLevel.VILLAGE:
        raise PeopleError("not_village")
    if not actor.covers(village.path):
        raise PeopleError("not_allowed")
    return village


async def villages(session: AsyncSession, actor: Profile, commune_id: int) -> list[Unit]:
    """The villages of a commune of the actor's area, by name."""
    commune = await session.get(Unit, commune_id)
    if commune is None or commune.level is not UnitLevel.COMMUNE:
        raise PeopleError("not_found")
    if not actor.is_coordinator or not actor.covers(commune.path):
        raise PeopleError("not_allowed")
    return list(await units.children(session, commune.id))


async def rename_village(session: AsyncSession, actor: Profile, village_id: int, name: str) -> Unit:
    """Correct a village's name. The name is cleaned as when it was added;
    another village of the commune already by that name is refused (merge
    them instead)."""
    village = await _village(session, actor, village_id)
    cleaned = clean_name(name, MAX_VILLAGE_NAME)
    if cleaned is None:
        raise PeopleError("bad_name")
    key = search_key(cleaned)
    if cleaned == village.name:
        raise PeopleError("same_place")
    siblings = (
        await session.scalars(
            select(Unit).where(
                Unit.parent_id == village.parent_id, Unit.id != village.id, Unit.active.is_(True)
            )
        )
    ).all()
    if any(s.search_key == key or fold(s.name) == fold(cleaned) for s in siblings):
        raise PeopleError("name_taken")
    before = village.name
    village.name, village.search_key = cleaned, key
    await session.flush()
    await audit.record(
        session,
        actor.id,
        "unit",
        village.id,
        "rename",
        {"before": {"name": before}, "after": {"name": cleaned}},
    )
    return village


@dataclass(frozen=True)
class Merged:
    kept: Unit
    dropped: Unit
    moved: dict[str, int]  # table name -> rows that now point at the kept village


def _unit_columns() -> list[tuple[Table, Any]]:
    """Every column of every table that points at a unit, except the tree's
    own parent links and the derived rollups."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name == "units" or table.name in _DERIVED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "units":
                found.append((table, fk.parent))
    return found


def _follow_in_memory(session: AsyncSession, old: int, new: int) -> None:
    """Objects the session had loaded still hold the old unit id after the
    Core updates: give them the new one, as if read again."""
    columns = {(t.name, c.name) for t, c in _unit_columns()}
    for obj in list(session.identity_map.values()):
        mapper = inspect(obj).mapper
        for column in mapper.local_table.columns:
            if (mapper.local_table.name, column.name) not in columns:
                continue
            key = mapper.get_property_by_column(column).key
            if getattr(obj, key, None) == old:
                set_committed_value(obj, key, new)


async def _keep_register_names_apart(session: AsyncSession, kept: Unit, dropped: Unit) -> int:
    """A register entry of the dropped village named as one of the same kind
    at the kept village would break (kind, place, name): it keeps its events
    and members under its name with the dropped village's in brackets, for a
    coordinator to merge by hand. Returns how many were renamed."""
    kept_names = {
        (kind, fold(name))
        for kind, name in (
            await session.execute(
                select(RegisterEntry.kind, RegisterEntry.name).where(
                    RegisterEntry.unit_id == kept.id
                )
            )
        ).all()
    }
    entries = (
        await session.scalars(select(RegisterEntry).where(RegisterEntry.unit_id == dropped.id))
    ).all()
    renamed = 0
    for entry in entries:
        if (entry.kind, fold(entry.name)) not in kept_names:
            continue
        suffix = f" ({dropped.name})"
        entry.name = entry.name[: 200 - len(suffix)] + suffix
        renamed += 1
    if renamed:
        await session.flush()
    return renamed


async def _first_wins(session: AsyncSession, keep_id: int, drop_id: int) -> None:
    """Two coordinators merging the same two villages at once, maybe the
    opposite ways: the first wins and the second is refused, instead of both
    villages ending up deactivated. On PostgreSQL the second waits for the
    rows the first locked; on SQLite, for the write lock the conditional
    UPDATE takes. Either way it then sees the first one's result."""
    await session.execute(
        select(Unit.id).where(Unit.id.in_([keep_id, drop_id])).order_by(Unit.id).with_for_update()
    )
    kept_active = select(Unit.id).where(Unit.id == keep_id, Unit.active.is_(True)).exists()
    result = await session.execute(
        update(Unit)
        .where(Unit.id == drop_id, Unit.active.is_(True), kept_active)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise PeopleError("not_found")


async def merge_villages(
    session: AsyncSession, actor: Profile, keep_id: int, drop_id: int
) -> Merged:
    """Merge two villages of one commune: activities, people, requests,
    invitations, incidents, targets, events, addresses' areas and broadcasts
    that pointed at ``drop_id`` point at ``keep_id``, in the caller's
    transaction; the dropped village is deactivated (kept for the audit
    trail, hidden from lists and searches). Commune and province rollups do
    not change, since both villages are in the same commune."""
    if keep_id == drop_id:
        raise PeopleError("same_village")
    kept = await _village(session, actor, keep_id)
    dropped = await _village(session, actor, drop_id)
    if kept.parent_id != dropped.parent_id:
        raise PeopleError("different_commune")
    await _first_wins(session, kept.id, dropped.id)
    moved: dict[str, int] = {}
    renamed = await _keep_register_names_apart(session, kept, dropped)
    if renamed:
        moved["register_entries.name"] = renamed
    for table, column in _unit_columns():
        if column.primary_key:
            # A link row the kept village already has would be a duplicate.
            others = [c for c in table.primary_key.columns if c is not column]
            twin = table.alias("twin")
            same = and_(*(twin.c[c.name] == c for c in others), twin.c[column.name] == kept.id)
            await session.execute(
                delete(table).where(column == dropped.id, select(twin).where(same).exists())
            )
        result = await session.execute(
            update(table)
            .where(column == dropped.id)
            .values({column.name: kept.id})
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            moved[f"{table.name}.{column.name}"] = count
    broadcasts = (await session.scalars(select(Broadcast))).all()
    for broadcast in broadcasts:
        places = list(broadcast.places or [])
        if dropped.id in places:
            broadcast.places = list(
                dict.fromkeys(kept.id if p == dropped.id else p for p in places)
            )
            moved["broadcasts.places"] = moved.get("broadcasts.places", 0) + 1
    dropped.active = False
    await session.flush()
    merged = {"id": dropped.id, "name": dropped.name, "code": dropped.code}
    kept_id, dropped_id = kept.id, dropped.id
    _follow_in_memory(session, dropped.id, kept.id)
    await audit.record(
        session, actor.id, "unit", kept_id, "merge", {"merged": merged, "moved": moved}
    )
    await audit.record(
        session,
        actor.id,
        "unit",
        dropped_id,
        "merged_into",
        {"before": {"active": True}, "after": {"active": False, "merged_into": kept_id}},
    )
    await session.refresh(kept)
    await session.refresh(dropped)
    return Merged(kept, dropped, moved)

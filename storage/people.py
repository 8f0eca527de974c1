"""People management (quản lý nhân sự): what a coordinator does with the people
and villages of their area. Pending registration requests, the people under
a unit, deactivating, moving and re-roling a person, renaming and merging
villages. The bot (``/people``) and the dashboard call these functions; the
permission is decided here, by the rules of the rest of the bot: a
coordinator acts on their own unit and below, on people of a lower rank
than their own; administrators act everywhere. Every change is audited.

Users are changed through SQLAlchemy statements so that the profile cache
(``storage.profiles``) forgets them: a deactivated person is stopped at
their next update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.schema import Table

from storage import audit, registration, units
from storage.models import (
    Activity,
    Base,
    Broadcast,
    RegistrationRequest,
    RequestStatus,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.text import clean_name, fold, search_key
from storage.users import Profile

PAGE_SIZE = 10
MAX_VILLAGE_NAME = 80
# Roles a coordinator can give, with the levels they are held at.
ROLE_LEVELS = registration.ROLE_LEVELS
# Derived tables (rollups per commune and province) never point at a village.
_DERIVED = {"activity_rollups", "activity_topic_rollups"}


class PeopleError(Exception):
    """A change the rules do not allow; ``code`` says which rule:

    ``not_found``, ``not_allowed`` (outside the actor's area, or a person of
    the actor's rank or above), ``role_too_high``, ``wrong_level`` (the role
    is not held at that level of the tree), ``not_active``,
    ``not_deactivated``, ``same_place``, ``same_role``, ``bad_name``,
    ``name_taken``, ``not_village``, ``different_commune``, ``same_village``.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# Reading.
@dataclass(frozen=True)
class PendingRequest:
    """A registration request waiting for a decision (yêu cầu đăng ký chờ duyệt)."""

    id: int
    user_id: int
    display_name: str
    username: str | None
    role: Role
    unit_id: int
    place: str  # "Thôn 3, Xã Trà Bồng, Quảng Ngãi"; a new village is prefixed "(+)"
    new_village_name: str | None
    created_at: datetime
    age: timedelta


@dataclass(frozen=True)
class Person:
    """One registered person as a coordinator sees them."""

    id: int
    telegram_id: int
    display_name: str
    username: str | None
    role: Role
    unit_id: int | None
    unit_level: UnitLevel | None
    place: str
    status: UserStatus  # ACTIVE or DEACTIVATED
    last_activity: date | None  # the day of their latest live session
    can_manage: bool  # whether the actor may deactivate, move or re-role them


@dataclass(frozen=True)
class PeoplePage:
    people: list[Person]
    total: int
    offset: int
    limit: int


def _rank(actor: Profile) -> int:
    return actor.role.rank if actor.is_coordinator and actor.role is not None else 0


async def _scope(session: AsyncSession, actor: Profile, unit_id: int | None) -> Unit | None:
    """The unit the actor asked about (their own by default), checked; ``None``
    means the whole country (administrators only)."""
    if not actor.is_coordinator:
        raise PeopleError("not_allowed")
    unit_id = unit_id if unit_id is not None else actor.unit_id
    if unit_id is None:
        if actor.is_admin:
            return None
        raise PeopleError("not_allowed")
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise PeopleError("not_found")
    if not actor.covers(unit.path):
        raise PeopleError("not_allowed")
    return unit


async def _places(session: AsyncSession, paths: Sequence[str]) -> dict[str, str]:
    """``Thôn 3, Xã Trà Bồng, Quảng Ngãi`` for each path, in one query."""
    codes = {c for p in paths for c in p.strip("/").split("/") if c}
    names = dict(
        (await session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes)))).all()
    )
    return {p: ", ".join(names.get(c, c) for c in reversed(p.strip("/").split("/"))) for p in paths}


async def pending_requests(
    session: AsyncSession, actor: Profile, now: datetime, unit_id: int | None = None
) -> list[PendingRequest]:
    """The pending requests the actor may decide, under ``unit_id`` (default:
    the actor's unit), oldest first."""
    scope = await _scope(session, actor, unit_id)
    query = (
        select(RegistrationRequest, User, Unit)
        .join(User, User.id == RegistrationRequest.user_id)
        .join(Unit, Unit.id == RegistrationRequest.unit_id)
        .where(RegistrationRequest.status == RequestStatus.PENDING)
        .order_by(RegistrationRequest.created_at, RegistrationRequest.id)
    )
    if scope is not None:
        query = query.where(Unit.path.startswith(scope.path, autoescape=True))
    rows = (await session.execute(query)).all()
    rank = _rank(actor)
    rows = [r for r in rows if actor.is_admin or r[0].role.rank < rank]
    places = await _places(session, [unit.path for _, _, unit in rows])
    found = []
    for request, user, unit in rows:
        place = places[unit.path]
        if request.new_village_name:
            place = f"{request.new_village_name} (+), {place}"
        found.append(
            PendingRequest(
                id=request.id,
                user_id=user.id,
                display_name=user.display_name or str(user.telegram_id),
                username=user.username,
                role=request.role,
                unit_id=unit.id,
                place=place,
                new_village_name=request.new_village_name,
                created_at=request.created_at,
                age=max(now - request.created_at, timedelta(0)),
            )
        )
    return found


async def count_pending(session: AsyncSession, actor: Profile, now: datetime) -> int:
    return len(await pending_requests(session, actor, now))


async def decide_request(
    session: AsyncSession, actor: Profile, request_id: int, approve: bool
) -> registration.Decision:
    """Approve or reject one request: the same decision as the button under
    the approvers' message (``storage.registration.decide``), audited. The
    caller tells the applicant and updates the approvers' copies."""
    decision = await registration.decide(session, request_id, actor, approve)
    if decision.outcome in (registration.Outcome.APPROVED, registration.Outcome.REJECTED):
        assert decision.request is not None
        await audit.record(
            session,
            actor.id,
            "registration",
            decision.request.id,
            decision.outcome.value,
            {
                "user_id": decision.request.user_id,
                "role": decision.request.role.value,
                "unit_id": decision.unit.id if decision.unit else decision.request.unit_id,
            },
        )
    return decision


def _may_manage(actor: Profile, user: User, unit: Unit | None) -> bool:
    if not actor.is_coordinator or user.id == actor.id or user.role is None:
        return False
    if user.role is Role.ADMIN:
        return False
    if actor.is_admin:
        return True
    return user.role.rank < _rank(actor) and unit is not None and actor.covers(unit.path)


def _last_activity() -> Any:
    return (
        select(func.max(Activity.held_on))
        .where(Activity.reporter_id == User.id, Activity.deleted.is_(False))
        .correlate(User)
        .scalar_subquery()
    )


async def _people(session: AsyncSession, actor: Profile, query: Any) -> list[Person]:
    rows = (await session.execute(query)).all()
    places = await _places(session, [unit.path for _, unit, _ in rows if unit is not None])
    return [
        Person(
            id=user.id,
            telegram_id=user.telegram_id,
            display_name=user.display_name or str(user.telegram_id),
            username=user.username,
            role=user.role,
            unit_id=user.unit_id,
            unit_level=unit.level if unit is not None else None,
            place=places[unit.path] if unit is not None else "",
            status=user.status,
            last_activity=last,
            can_manage=_may_manage(actor, user, unit),
        )
        for user, unit, last in rows
    ]


_REGISTERED = (UserStatus.ACTIVE, UserStatus.DEACTIVATED)


async def list_people(
    session: AsyncSession,
    actor: Profile,
    unit_id: int | None = None,
    *,
    offset: int = 0,
    limit: int = PAGE_SIZE,
    status: UserStatus | None = None,
) -> PeoplePage:
    """The registered people (active and deactivated) at or under ``unit_id``
    (default: the actor's unit), by place then name."""
    scope = await _scope(session, actor, unit_id)
    statuses = (status,) if status is not None else _REGISTERED
    where = [User.status.in_(statuses), User.role.is_not(None), User.role != Role.ADMIN]
    if scope is not None:
        where.append(Unit.path.startswith(scope.path, autoescape=True))
    total = int(
        await session.scalar(
            select(func.count()).select_from(User).join(Unit, Unit.id == User.unit_id).where(*where)
        )
        or 0
    )
    query = (
        select(User, Unit, _last_activity())
        .join(Unit, Unit.id == User.unit_id)
        .where(*where)
        .order_by(Unit.path, func.lower(User.display_name), User.id)
        .offset(max(offset, 0))
        .limit(max(min(limit, 100), 1))
    )
    return PeoplePage(await _people(session, actor, query), total, offset, limit)


async def get_person(session: AsyncSession, actor: Profile, user_id: int) -> Person:
    """One registered person under the actor's unit."""
    if not actor.is_coordinator:
        raise PeopleError("not_allowed")
    query = (
        select(User, Unit, _last_activity())
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.id == user_id, User.status.in_(_REGISTERED), User.role.is_not(None))
    )
    found = await _people(session, actor, query)
    if not found:
        raise PeopleError("not_found")
    person = found[0]
    if not actor.is_admin:
        unit = await session.get(Unit, person.unit_id) if person.unit_id else None
        if unit is None or not actor.covers(unit.path):
            raise PeopleError("not_allowed")
    return person


# Changing a person.
async def _managed(session: AsyncSession, actor: Profile, user_id: int) -> tuple[User, Unit | None]:
    user = await session.get(User, user_id)
    if user is None or user.role is None or user.status not in _REGISTERED:
        raise PeopleError("not_found")
    unit = await session.get(Unit, user.unit_id) if user.unit_id is not None else None
    if not _may_manage(actor, user, unit):
        raise PeopleError("not_allowed")
    return user, unit


async def _set_user(session: AsyncSession, user: User, **values: Any) -> None:
    # A Core UPDATE on users: the profile cache forgets every profile.
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(user)


async def set_active(session: AsyncSession, actor: Profile, user_id: int, active: bool) -> Person:
    """Deactivate (vô hiệu hóa) or reactivate a person. A deactivated person
    keeps their role, place and drafts; the bot tells them they are
    deactivated until they are reactivated."""
    user, _ = await _managed(session, actor, user_id)
    before = user.status
    if active and before is not UserStatus.DEACTIVATED:
        raise PeopleError("not_deactivated")
    if not active and before is not UserStatus.ACTIVE:
        raise PeopleError("not_active")
    after = UserStatus.ACTIVE if active else UserStatus.DEACTIVATED
    await _set_user(session, user, status=after)
    await audit.record(
        session,
        actor.id,
        "user",
        user.id,
        "reactivate" if active else "deactivate",
        {"before": {"status": before.value}, "after": {"status": after.value}},
    )
    return await get_person(session, actor, user.id)


async def deactivate(session: AsyncSession, actor: Profile, user_id: int) -> Person:
    return await set_active(session, actor, user_id, False)


async def reactivate(session: AsyncSession, actor: Profile, user_id: int) -> Person:
    return await set_active(session, actor, user_id, True)


async def _assign(
    session: AsyncSession,
    actor: Profile,
    user_id: int,
    *,
    role: Role | None,
    unit_id: int | None,
    action: str,
) -> Person:
    user, old_unit = await _managed(session, actor, user_id)
    assert user.role is not None
    new_role = role or user.role
    new_unit = old_unit
    if unit_id is not None:
        new_unit = await session.get(Unit, unit_id)
        if new_unit is None or not new_unit.active:
            raise PeopleError("not_found")
        if not actor.covers(new_unit.path):
            raise PeopleError("not_allowed")
    if new_role not in ROLE_LEVELS:
        raise PeopleError("role_too_high")
    if not actor.is_admin and new_role.rank >= _rank(actor):
        raise PeopleError("role_too_high")
    if new_unit is None or new_unit.level not in ROLE_LEVELS[new_role]:
        raise PeopleError("wrong_level")
    if new_role is user.role and old_unit is not None and new_unit.id == old_unit.id:
        raise PeopleError("same_role" if role is not None else "same_place")
    before = {"role": user.role.value, "unit_id": user.unit_id}
    after = {"role": new_role.value, "unit_id": new_unit.id}
    await _set_user(session, user, role=new_role, unit_id=new_unit.id)
    await audit.record(
        session, actor.id, "user", user.id, action, {"before": before, "after": after}
    )
    return await get_person(session, actor, user.id)


async def move_person(session: AsyncSession, actor: Profile, user_id: int, unit_id: int) -> Person:
    """Move a person to another village or commune of the actor's area,
    keeping their role (which must be held at that level)."""
    return await _assign(session, actor, user_id, role=None, unit_id=unit_id, action="move")


async def change_role(
    session: AsyncSession, actor: Profile, user_id: int, role: Role, unit_id: int | None = None
) -> Person:
    """Give a person another role, below the actor's own (administrators: up
    to province coordinator), at their place or at ``unit_id``."""
    return await _assign(session, actor, user_id, role=role, unit_id=unit_id, action="role")


# Villages.
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
    moved: dict[str, int] = {}
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

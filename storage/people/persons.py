"""The people under a unit, and changing one: deactivate, reactivate, move, re-role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import (
    Activity,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.people.common import PAGE_SIZE, ROLE_LEVELS, PeopleError, places_of, rank_of, scope_of
from storage.users import Profile


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


def _may_manage(actor: Profile, user: User, unit: Unit | None) -> bool:
    if not actor.is_coordinator or user.id == actor.id or user.role is None:
        return False
    if user.role is Role.ADMIN:
        return False
    if actor.is_admin:
        return True
    return user.role.rank < rank_of(actor) and unit is not None and actor.covers(unit.path)


def _last_activity() -> Any:
    return (
        select(func.max(Activity.held_on))
        .where(Activity.reporter_id == User.id, Activity.deleted.is_(False))
        .correlate(User)
        .scalar_subquery()
    )


async def _people(session: AsyncSession, actor: Profile, query: Any) -> list[Person]:
    rows = (await session.execute(query)).all()
    places = await places_of(session, [unit.path for _, unit, _ in rows if unit is not None])
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
    scope = await scope_of(session, actor, unit_id)
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
    if not actor.is_admin and new_role.rank >= rank_of(actor):
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

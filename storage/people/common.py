"""Shared by the people use-cases: limits, the error, the actor's scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import registration
from storage.models import Unit
from storage.users import Profile

PAGE_SIZE = 10
MAX_VILLAGE_NAME = 80
# Roles a coordinator can give, with the levels they are held at.
ROLE_LEVELS = registration.ROLE_LEVELS


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


def rank_of(actor: Profile) -> int:
    return actor.role.rank if actor.is_coordinator and actor.role is not None else 0


async def scope_of(session: AsyncSession, actor: Profile, unit_id: int | None) -> Unit | None:
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


async def places_of(session: AsyncSession, paths: Sequence[str]) -> dict[str, str]:
    """``Thôn 3, Xã Trà Bồng, Quảng Ngãi`` for each path, in one query."""
    codes = {c for p in paths for c in p.strip("/").split("/") if c}
    names = dict(
        (await session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes)))).all()
    )
    return {p: ", ".join(names.get(c, c) for c in reversed(p.strip("/").split("/"))) for p in paths}

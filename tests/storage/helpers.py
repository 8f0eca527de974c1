"""Builders for storage tests: people at real places of the official tree."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import units
from storage.models import Role, Unit, UnitLevel, User, UserStatus
from storage.users import Profile, profile_of


async def place(session: AsyncSession, name: str, province: str | None = None) -> Unit:
    """The official unit with exactly this name (and province)."""
    for hit in await units.search(session, name, limit=50):
        if hit.name == name and (province is None or hit.province_name == province):
            unit = await units.get_unit(session, hit.id)
            assert unit is not None
            return unit
    raise LookupError(name)


JOINED = datetime(2026, 1, 5, tzinfo=UTC)


async def person(
    session: AsyncSession,
    telegram_id: int,
    role: Role | None = None,
    unit: Unit | None = None,
    status: UserStatus = UserStatus.ACTIVE,
    language: str = "vi",
    created_at: datetime = JOINED,
) -> User:
    """A user who first wrote to the bot at ``created_at``: fixed, and before the
    harness's today, so that reports counting who had joined do not depend on
    the day the tests run."""
    user = User(
        telegram_id=telegram_id,
        display_name=f"User {telegram_id}",
        language=language,
        role=role,
        unit_id=unit.id if unit else None,
        status=status if role else UserStatus.VISITOR,
        bot_blocked=False,
        created_at=created_at,
    )
    session.add(user)
    await session.flush()
    return user


async def profile(session: AsyncSession, user: User) -> Profile:
    return await profile_of(session, user)


async def tra_bong(session: AsyncSession) -> tuple[Unit, Unit]:
    """Xã Trà Bồng and its province, Quảng Ngãi."""
    commune = await place(session, "Xã Trà Bồng", "Quảng Ngãi")
    province = await units.get_unit(session, commune.parent_id or 0)
    assert province is not None
    assert province.level is UnitLevel.PROVINCE
    return commune, province

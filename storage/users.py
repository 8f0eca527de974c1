"""Users: who is writing, in which language, with which role where."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Role, Unit, User, UserStatus
from storage.models.base import utcnow


@dataclass(frozen=True)
class Profile:
    """A read-only snapshot of a user for one update."""

    id: int
    telegram_id: int
    display_name: str
    language: str | None
    role: Role | None
    unit_id: int | None
    unit_path: str | None
    status: UserStatus

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE and self.role is not None

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.role is not None and self.role.is_coordinator

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role is Role.ADMIN

    def covers(self, unit_path: str) -> bool:
        """Whether this user's unit is the given unit or one of its ancestors."""
        if self.is_admin:
            return True
        return (
            self.is_active and self.unit_path is not None and unit_path.startswith(self.unit_path)
        )


async def profile_of(session: AsyncSession, user: User) -> Profile:
    path = None
    if user.unit_id is not None:
        path = await session.scalar(select(Unit.path).where(Unit.id == user.unit_id))
    return Profile(
        id=user.id,
        telegram_id=user.telegram_id,
        display_name=user.display_name,
        language=user.language,
        role=user.role,
        unit_id=user.unit_id,
        unit_path=path,
        status=user.status,
    )


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


def coarse_time(moment: datetime) -> datetime:
    """A time kept about a person only to the day (UTC): a row keyed by a
    Telegram id must not tell when an anonymous report was made (issue 13)."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def touch(
    session: AsyncSession, telegram_id: int, display_name: str, username: str | None
) -> User:
    """The user behind an update, created on first contact. A user who had
    blocked the bot and writes again is reachable again."""
    user = await get_by_telegram_id(session, telegram_id)
    if user is None:
        day = coarse_time(utcnow())
        user = User(
            telegram_id=telegram_id,
            display_name=display_name[:200],
            username=username,
            status=UserStatus.VISITOR,
            bot_blocked=False,
            created_at=day,
            updated_at=day,
        )
        session.add(user)
        await session.flush()
        return user
    if user.bot_blocked:
        user.bot_blocked = False
    if display_name and user.display_name != display_name[:200]:
        user.display_name = display_name[:200]
    if user.username != username:
        user.username = username
    return user


async def set_language(session: AsyncSession, user_id: int, language: str) -> None:
    user = await session.get(User, user_id)
    if user is not None:
        user.language = language


async def mark_blocked(session: AsyncSession, telegram_id: int) -> None:
    """The user blocked the bot (Telegram answered 403)."""
    user = await get_by_telegram_id(session, telegram_id)
    if user is not None:
        user.bot_blocked = True


async def ensure_admins(session: AsyncSession, telegram_ids: Iterable[int]) -> list[User]:
    """Make the configured ``ADMIN_IDS`` national administrators."""
    admins = []
    for telegram_id in telegram_ids:
        user = await get_by_telegram_id(session, telegram_id)
        if user is None:
            user = User(telegram_id=telegram_id, display_name="", bot_blocked=False)
            session.add(user)
        user.role, user.unit_id, user.status = Role.ADMIN, None, UserStatus.ACTIVE
        admins.append(user)
    await session.flush()
    return admins


async def active_with_roles(
    session: AsyncSession, roles: Sequence[Role], unit_ids: Sequence[int] | None
) -> list[User]:
    """Active users with one of ``roles``, at one of ``unit_ids`` (``None``: anywhere)."""
    query = select(User).where(
        User.status == UserStatus.ACTIVE, User.role.in_(roles), User.bot_blocked.is_(False)
    )
    if unit_ids is not None:
        query = query.where(User.unit_id.in_(unit_ids))
    return list((await session.scalars(query.order_by(User.id))).all())

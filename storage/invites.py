"""Invitations (lời mời): links that register whoever opens them at once."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Role, Unit, User, UserStatus, utcnow
from storage.registration import RegistrationError, check_role_at
from storage.users import Profile

MAX_DAYS = 90
MAX_USES = 500
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def roles_an_actor_can_invite(actor: Profile) -> list[Role]:
    from storage.registration import REQUESTABLE_ROLES

    if actor.is_admin:
        return list(REQUESTABLE_ROLES)
    if not actor.is_coordinator or actor.role is None:
        return []
    rank = actor.role.rank
    return [r for r in REQUESTABLE_ROLES if r.rank < rank]


async def create(
    session: AsyncSession, actor: Profile, role: Role, unit: Unit, days: int, max_uses: int
) -> Invite:
    if role not in roles_an_actor_can_invite(actor) or not actor.covers(unit.path):
        raise RegistrationError("not_allowed")
    check_role_at(role, unit)
    if not 1 <= days <= MAX_DAYS or not 1 <= max_uses <= MAX_USES:
        raise RegistrationError("out_of_range")
    invite = Invite(
        code="".join(secrets.choice(_ALPHABET) for _ in range(12)),
        role=role,
        unit_id=unit.id,
        created_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=days),
        max_uses=max_uses,
        uses=0,
    )
    session.add(invite)
    await session.flush()
    return invite


class Redeemed(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    ALREADY_REGISTERED = "already_registered"


@dataclass
class Redemption:
    outcome: Redeemed
    invite: Invite | None = None
    unit: Unit | None = None


async def redeem(session: AsyncSession, code: str, user_id: int) -> Redemption:
    invite = await session.scalar(select(Invite).where(Invite.code == code[:32]))
    if invite is None or invite.revoked:
        return Redemption(Redeemed.UNKNOWN)
    if invite.expires_at <= utcnow():
        return Redemption(Redeemed.EXPIRED, invite)
    user = await session.get(User, user_id)
    assert user is not None
    if user.status is UserStatus.ACTIVE and user.role is not None:
        return Redemption(Redeemed.ALREADY_REGISTERED, invite)
    taken = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.uses < Invite.max_uses)
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 1) == 0:
        return Redemption(Redeemed.USED_UP, invite)
    user.role, user.unit_id, user.status = invite.role, invite.unit_id, UserStatus.ACTIVE
    await session.flush()
    return Redemption(Redeemed.OK, invite, await session.get(Unit, invite.unit_id))

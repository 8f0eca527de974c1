"""Pending registration requests (yêu cầu đăng ký chờ duyệt) and their decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import approvals, registration
from storage.models import (
    RegistrationRequest,
    RequestStatus,
    Role,
    Unit,
    User,
)
from storage.people.common import places_of, rank_of, scope_of
from storage.users import Profile


@dataclass(frozen=True)
class PendingRequest:
    """A registration request waiting for a decision (yêu cầu đăng ký chờ duyệt)."""

    id: int
    public_id: str  # what buttons and pages carry (unguessable)
    user_id: int
    display_name: str
    username: str | None
    role: Role
    unit_id: int
    place: str  # "Thôn 3, Xã Trà Bồng, Quảng Ngãi"; a new village is prefixed "(+)"
    new_village_name: str | None
    created_at: datetime
    age: timedelta


async def pending_requests(
    session: AsyncSession, actor: Profile, now: datetime, unit_id: int | None = None
) -> list[PendingRequest]:
    """The pending requests the actor may decide, under ``unit_id`` (default:
    the actor's unit), oldest first."""
    scope = await scope_of(session, actor, unit_id)
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
    rank = rank_of(actor)
    rows = [r for r in rows if actor.is_admin or r[0].role.rank < rank]
    places = await places_of(session, [unit.path for _, _, unit in rows])
    found = []
    for request, user, unit in rows:
        place = places[unit.path]
        if request.new_village_name:
            place = f"{request.new_village_name} (+), {place}"
        found.append(
            PendingRequest(
                id=request.id,
                public_id=request.public_id,
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
    session: AsyncSession,
    actor: Profile,
    request_id: int | str,
    approve: bool,
    now: datetime,
    texts: approvals.ApprovalTexts,
) -> registration.Decision:
    """Approve or reject one request (its id, or the public id a button
    carries): :func:`storage.approvals.decide`, which checks the permission
    first, audits the decision and queues the applicant's answer and the
    approvers' updates, as the bot does."""
    return await approvals.decide(session, request_id, actor, approve, now, texts)

"""Registration (đăng ký): requests to hold a role at a unit, and their approval."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, units
from storage.models import (
    ApprovalNotice,
    RegistrationRequest,
    RequestStatus,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.users import Profile

# The roles a person can ask for, and the levels of the tree they can hold them at.
ROLE_LEVELS: dict[Role, tuple[UnitLevel, ...]] = {
    Role.COLLABORATOR: (UnitLevel.VILLAGE, UnitLevel.COMMUNE),
    Role.TEAM_MEMBER: (UnitLevel.VILLAGE, UnitLevel.COMMUNE),
    Role.TRUSTED_ADDRESS_STAFF: (UnitLevel.COMMUNE,),
    Role.COMMUNE_COORDINATOR: (UnitLevel.COMMUNE,),
    Role.PROVINCE_COORDINATOR: (UnitLevel.PROVINCE,),
}
REQUESTABLE_ROLES = tuple(ROLE_LEVELS)
ENTITY = "registration_request"


class RegistrationError(Exception):
    """A request that the rules do not allow; ``code`` says which rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check_role_at(role: Role, unit: Unit) -> None:
    if role not in ROLE_LEVELS:
        raise RegistrationError("role_not_requestable")
    if unit.level not in ROLE_LEVELS[role]:
        raise RegistrationError("wrong_level")


async def approvers_for(session: AsyncSession, role: Role, unit: Unit) -> list[User]:
    """Who decides: the commune's coordinators, else the province's, else the
    administrators. A level only counts if it outranks the requested role."""
    lineage = [*await units.ancestors(session, unit), unit]
    chain: list[tuple[Role, list[int] | None]] = []
    for level_role, level in (
        (Role.COMMUNE_COORDINATOR, UnitLevel.COMMUNE),
        (Role.PROVINCE_COORDINATOR, UnitLevel.PROVINCE),
    ):
        if role.rank < level_role.rank:
            ids = [u.id for u in lineage if u.level is level]
            if ids:
                chain.append((level_role, ids))
    chain.append((Role.ADMIN, None))
    for approver_role, unit_ids in chain:
        query = select(User).where(
            User.role == approver_role,
            User.status == UserStatus.ACTIVE,
            User.bot_blocked.is_(False),
        )
        if unit_ids is not None:
            query = query.where(User.unit_id.in_(unit_ids))
        found = list((await session.scalars(query.order_by(User.id))).all())
        if found:
            return found
    return []


@dataclass
class Submitted:
    request: RegistrationRequest
    approvers: list[User]
    notified: set[int] = field(default_factory=set)  # approvers already sent this request


async def submit(
    session: AsyncSession,
    user_id: int,
    role: Role,
    unit_id: int,
    new_village_name: str | None = None,
    key: str | None = None,
    now: datetime | None = None,
) -> Submitted:
    """File a request; an earlier pending request of the same user is superseded.
    ``now``: the services clock (filed at that time; default the wall clock).
    The same ``key`` (the draft's) again returns the request already filed,
    with the approvers who were sent it, whatever happened to it since."""
    if key is not None:
        filed = await session.scalar(
            select(RegistrationRequest).where(RegistrationRequest.submission_key == key)
        )
        if filed is not None and filed.user_id == user_id:
            return await _filed(session, filed)
    user = await session.get(User, user_id)
    unit = await session.get(Unit, unit_id)
    if user is None or unit is None:
        raise RegistrationError("not_found")
    if new_village_name is not None and unit.level is not UnitLevel.COMMUNE:
        raise RegistrationError("wrong_level")
    check_role_at(role, unit)
    await session.execute(
        update(RegistrationRequest)
        .where(
            RegistrationRequest.user_id == user.id,
            RegistrationRequest.status == RequestStatus.PENDING,
        )
        .values(status=RequestStatus.SUPERSEDED)
    )
    request = RegistrationRequest(
        user_id=user.id,
        role=role,
        unit_id=unit.id,
        new_village_name=new_village_name,
        submission_key=key,
    )
    if now is not None:
        request.created_at = now
    session.add(request)
    if user.status is not UserStatus.ACTIVE:
        user.status = UserStatus.PENDING
    await session.flush()
    return Submitted(request, await approvers_for(session, role, unit))


async def _filed(session: AsyncSession, request: RegistrationRequest) -> Submitted:
    unit = await session.get(Unit, request.unit_id)
    assert unit is not None
    notified = await session.scalars(
        select(ApprovalNotice.approver_id).where(ApprovalNotice.request_id == request.id)
    )
    return Submitted(request, await approvers_for(session, request.role, unit), set(notified))


async def record_notice(
    session: AsyncSession, request_id: int, approver_id: int, chat_id: int, message_id: int
) -> None:
    session.add(
        ApprovalNotice(
            request_id=request_id, approver_id=approver_id, chat_id=chat_id, message_id=message_id
        )
    )


class Outcome(enum.Enum):
    APPROVED = "approved"
    REJECTED = "rejected"
    ALREADY_DECIDED = "already_decided"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"


@dataclass
class Decision:
    outcome: Outcome
    request: RegistrationRequest | None = None
    applicant: User | None = None
    decided_by: User | None = None
    unit: Unit | None = None
    notices: list[ApprovalNotice] = field(default_factory=list)


async def may_decide(session: AsyncSession, actor: Profile, request: RegistrationRequest) -> bool:
    """Coordinators decide for their subtree, on roles below their own."""
    if actor.is_admin:
        return True
    unit = await session.get(Unit, request.unit_id)
    return (
        unit is not None
        and actor.is_coordinator
        and actor.role is not None
        and actor.role.rank > request.role.rank
        and actor.covers(unit.path)
    )


async def find_request(
    session: AsyncSession, ref: str, actor: Profile
) -> RegistrationRequest | None:
    """The request a button names: its random ``public_id``. A bare number
    (buttons sent before public ids existed) is honoured only for an approver
    who was sent that very request."""
    if ref.isdigit():
        return await session.scalar(
            select(RegistrationRequest)
            .join(ApprovalNotice, ApprovalNotice.request_id == RegistrationRequest.id)
            .where(RegistrationRequest.id == int(ref), ApprovalNotice.approver_id == actor.id)
            .limit(1)
        )
    return await session.scalar(
        select(RegistrationRequest).where(RegistrationRequest.public_id == ref)
    )


async def decide(
    session: AsyncSession,
    request_ref: int | str,
    actor: Profile,
    approve: bool,
    now: datetime,
    key: str | None = None,
) -> Decision:
    """Approve or reject request ``request_ref``: its id (an ``int``, from the
    code) or what a button carries (a ``str``, see :func:`find_request`).
    Permission comes first: someone who may not decide learns nothing (not
    whether the request exists, nor who decided it). The first decision wins
    on every engine: a conditional UPDATE on ``pending``. ``key``: the press
    (callback query id); the same press decided before (handled again after a
    crash) gets its outcome again, so that the caller finishes telling
    everyone."""
    request = (
        await session.get(RegistrationRequest, request_ref)
        if isinstance(request_ref, int)
        else await find_request(session, request_ref, actor)
    )
    if request is None:
        return Decision(Outcome.NOT_ALLOWED)
    if not await may_decide(session, actor, request):
        await audit.record(session, actor.id, ENTITY, request.id, "denied", {}, now)
        return Decision(Outcome.NOT_ALLOWED)
    applicant = await session.get(User, request.user_id)
    notices = list(
        (
            await session.scalars(
                select(ApprovalNotice).where(ApprovalNotice.request_id == request.id)
            )
        ).all()
    )
    if request.status is not RequestStatus.PENDING:
        decided_by = (
            await session.get(User, request.decided_by_id) if request.decided_by_id else None
        )
        if key is not None and request.decision_key == key:
            unit = await session.get(Unit, request.unit_id)
            if request.status is RequestStatus.APPROVED and applicant is not None:
                unit = await session.get(Unit, applicant.unit_id) or unit
            outcome = (
                Outcome.APPROVED if request.status is RequestStatus.APPROVED else Outcome.REJECTED
            )
            return Decision(outcome, request, applicant, decided_by, unit, notices)
        return Decision(Outcome.ALREADY_DECIDED, request, applicant, decided_by, notices=notices)
    claimed = await session.execute(
        update(RegistrationRequest)
        .where(
            RegistrationRequest.id == request.id,
            RegistrationRequest.status == RequestStatus.PENDING,
        )
        .values(
            status=RequestStatus.APPROVED if approve else RequestStatus.REJECTED,
            decided_by_id=actor.id,
            decided_at=now,
            decision_key=key,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(request)
    if getattr(claimed, "rowcount", 0) == 0:
        decided_by = (
            await session.get(User, request.decided_by_id) if request.decided_by_id else None
        )
        return Decision(Outcome.ALREADY_DECIDED, request, applicant, decided_by, notices=notices)
    decided_by = await session.get(User, actor.id)
    unit = await session.get(Unit, request.unit_id)
    assert applicant is not None and unit is not None
    if approve:
        if request.new_village_name:
            unit = await units.add_village(session, unit, request.new_village_name)
        applicant.role, applicant.unit_id = request.role, unit.id
        applicant.status = UserStatus.ACTIVE
        outcome = Outcome.APPROVED
    else:
        if applicant.status is UserStatus.PENDING:
            applicant.status = UserStatus.REJECTED
        outcome = Outcome.REJECTED
    await session.flush()
    await audit.record(
        session,
        actor.id,
        ENTITY,
        request.id,
        outcome.value,
        {
            "user_id": applicant.id,
            "role": request.role.value,
            "unit_id": unit.id,
            "before": {"status": RequestStatus.PENDING.value},
            "after": {"status": request.status.value},
        },
        now,
    )
    return Decision(outcome, request, applicant, decided_by, unit, notices)

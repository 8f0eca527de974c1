"""Approval notices (thông báo duyệt đăng ký): who is told what about a
registration request, through the outbox.

The bot and the dashboard share these use-cases: :func:`submit` files a
request and queues it to every approver; :func:`decide` records the decision
and queues, in the same transaction, the applicant's answer and, for every
approver who was sent the request, the update of that copy (no buttons any
more) and a message saying who decided. Every entry has a dedupe key, so an
update handled again after a crash queues nothing twice, and a send that
meets a 429, a timeout or a dead process is retried by the sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox, registration, units
from storage.models import (
    ApprovalNotice,
    OutboxStatus,
    Priority,
    RegistrationRequest,
    Role,
    Unit,
    User,
)
from storage.users import Profile

REQUEST_KIND = "registration_request"  # the request, with its buttons, to an approver
DECISION_KIND = "registration_decision"  # the decision, to the applicant
UPDATE_KIND = "registration_notice_update"  # an approver's copy loses its buttons
VERDICT_KIND = "registration_verdict"  # "approved by …", to every approver who was sent it


class ApprovalTexts(Protocol):
    """The messages, rendered in the recipient's language (``language``: a user's code)."""

    def request(
        self, language: str | None, applicant: str, role: Role, place: str, public_id: str
    ) -> outbox.Message:
        """The request to an approver, with the approve and reject buttons."""
        ...

    def request_decided(
        self, language: str | None, applicant: str, role: Role, place: str
    ) -> outbox.Message:
        """The same request once decided: no buttons."""
        ...

    def verdict(self, language: str | None, approved: bool, decider: str) -> outbox.Message:
        """To an approver: who decided, and how."""
        ...

    def applicant(
        self, language: str | None, approved: bool, role: Role, place: str
    ) -> outbox.Message:
        """To the applicant: the decision."""
        ...


def ref_of(request_id: int) -> str:
    return f"registration:{request_id}"


def copies_ref(request_id: int) -> str:
    """The ref of the request's copies to the approvers (withdrawn together)."""
    return f"{REQUEST_KIND}:{request_id}"


def _request_of(ref: str | None) -> int | None:
    prefix = f"{REQUEST_KIND}:"
    if not ref or not ref.startswith(prefix) or not ref[len(prefix) :].isdigit():
        return None
    return int(ref[len(prefix) :])


def request_key(request_id: int, approver_id: int) -> str:
    return f"{REQUEST_KIND}:{request_id}:{approver_id}"


@dataclass(frozen=True)
class Filed:
    request: RegistrationRequest
    reached: int  # approvers the request was queued to (now or before)


async def _request_place(session: AsyncSession, request: RegistrationRequest) -> str:
    unit = await session.get(Unit, request.unit_id)
    assert unit is not None
    place = await units.describe(session, unit)
    if request.new_village_name:
        place = f"{request.new_village_name} (+), {place}"
    return place


def _name(user: User | None) -> str:
    if user is None:
        return "?"
    return user.display_name or str(user.telegram_id)


async def submit(
    session: AsyncSession,
    user_id: int,
    role: Role,
    unit_id: int,
    now: datetime,
    texts: ApprovalTexts,
    new_village_name: str | None = None,
    key: str | None = None,
) -> Filed:
    """File a request (:func:`storage.registration.submit`) and queue it to
    each approver, once per approver whatever the number of calls. Returns
    how many approvers it was queued to; 0: nobody can decide it yet."""
    submitted = await registration.submit(
        session, user_id, role, unit_id, new_village_name, key=key, now=now
    )
    request = submitted.request
    applicant = await session.get(User, request.user_id)
    place = await _request_place(session, request)
    reached = set(submitted.notified)
    for approver in submitted.approvers:
        message = texts.request(
            approver.language, _name(applicant), request.role, place, request.public_id
        )
        await outbox.enqueue(
            session,
            kind=REQUEST_KIND,
            chat_id=approver.telegram_id,
            user_id=approver.id,
            message=message,
            priority=Priority.NORMAL,
            dedupe_key=request_key(request.id, approver.id),
            ref=copies_ref(request.id),
        )
        reached.add(approver.id)
    return Filed(request, len(reached))


async def decide(
    session: AsyncSession,
    request_ref: int | str,
    actor: Profile,
    approve: bool,
    now: datetime,
    texts: ApprovalTexts,
    key: str | None = None,
) -> registration.Decision:
    """Decide (:func:`storage.registration.decide`) and, when this decision
    is the one that counts, queue the applicant's answer and each approver's
    update in the same transaction. Deciding again with the same ``key``
    queues nothing more."""
    decision = await registration.decide(session, request_ref, actor, approve, now, key=key)
    if decision.outcome not in (registration.Outcome.APPROVED, registration.Outcome.REJECTED):
        return decision
    request, applicant = decision.request, decision.applicant
    assert request is not None and applicant is not None
    approved = decision.outcome is registration.Outcome.APPROVED
    place = await units.describe(session, decision.unit) if decision.unit else ""
    await outbox.enqueue(
        session,
        kind=DECISION_KIND,
        chat_id=applicant.telegram_id,
        user_id=applicant.id,
        message=texts.applicant(applicant.language, approved, request.role, place),
        priority=Priority.URGENT,
        dedupe_key=f"{DECISION_KIND}:{request.id}",
        ref=ref_of(request.id),
    )
    # Copies not sent yet are withdrawn; those sent are updated below.
    await outbox.cancel(session, copies_ref(request.id))
    decider = await session.get(User, request.decided_by_id) if request.decided_by_id else None
    shown = _Decided(
        applicant=_name(applicant),
        decider=_name(decider),
        place=await _request_place(session, request),
        approved=approved,
    )
    told: set[int] = set()
    for notice in decision.notices:
        await _update_copy(session, request, notice, texts, shown, notice.approver_id not in told)
        told.add(notice.approver_id)
    return decision


@dataclass(frozen=True)
class _Decided:
    """What every approver's update says, read once per decision."""

    applicant: str
    decider: str
    place: str
    approved: bool


async def _update_copy(
    session: AsyncSession,
    request: RegistrationRequest,
    notice: ApprovalNotice,
    texts: ApprovalTexts,
    shown: _Decided,
    tell: bool,
) -> None:
    """An approver's copy of a decided request loses its buttons; with
    ``tell``, a message says who decided (once per request and approver)."""
    approver = await session.get(User, notice.approver_id)
    language = approver.language if approver else None
    copy = texts.request_decided(language, shown.applicant, request.role, shown.place)
    await outbox.enqueue(
        session,
        kind=UPDATE_KIND,
        chat_id=notice.chat_id,
        user_id=notice.approver_id,
        message=copy.model_copy(update={"edit_message_id": notice.message_id}),
        priority=Priority.URGENT,
        dedupe_key=f"{UPDATE_KIND}:{request.id}:{notice.id}",
        ref=ref_of(request.id),
    )
    if not tell:
        return
    await outbox.enqueue(
        session,
        kind=VERDICT_KIND,
        chat_id=notice.chat_id,
        user_id=notice.approver_id,
        message=texts.verdict(language, shown.approved, shown.decider),
        priority=Priority.URGENT,
        dedupe_key=f"{VERDICT_KIND}:{request.id}:{notice.approver_id}",
        ref=ref_of(request.id),
    )


async def request_outcome(session: AsyncSession, outcome: outbox.Outcome) -> None:
    """A copy of a request reached its approver: remember its message, so
    that the decision can update it. (A copy on its way when the request
    was decided keeps its buttons: pressing one says who decided.)"""
    request_id = _request_of(outcome.ref)
    if (
        outcome.status is not OutboxStatus.SENT
        or outcome.message_id is None
        or outcome.user_id is None
        or request_id is None
    ):
        return
    if await session.get(RegistrationRequest, request_id) is None:
        return
    await registration.record_notice(
        session, request_id, outcome.user_id, outcome.chat_id, outcome.message_id
    )


outbox.on_outcome(REQUEST_KIND, request_outcome)

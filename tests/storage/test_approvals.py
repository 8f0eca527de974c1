"""Approval notices go through the outbox: queued with the request and with
the decision, once each whatever the number of calls."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from handlers.approval import TEXTS
from storage import approvals, outbox
from storage.models import ApprovalNotice, OutboxEntry, OutboxStatus, Role, UserStatus
from storage.registration import Outcome
from tests.storage.helpers import person, profile, tra_bong

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def _entries(session, kind: str) -> list[OutboxEntry]:
    found = await session.scalars(
        select(OutboxEntry).where(OutboxEntry.kind == kind).order_by(OutboxEntry.id)
    )
    return list(found.all())


async def _sent(session, entry: OutboxEntry, message_id: int) -> None:
    """What the sender does when Telegram accepted a copy of the request."""
    await approvals.request_outcome(
        session,
        outbox.Outcome(
            id=entry.id,
            kind=entry.kind,
            chat_id=entry.chat_id,
            user_id=entry.user_id,
            ref=entry.ref,
            dedupe_key=entry.dedupe_key,
            status=OutboxStatus.SENT,
            message_id=message_id,
            error=None,
            attempts=1,
        ),
    )


async def test_a_request_is_queued_once_to_each_approver(session):
    commune, _ = await tra_bong(session)
    first = await person(session, 10, Role.COMMUNE_COORDINATOR, commune, language="en")
    second = await person(session, 11, Role.COMMUNE_COORDINATOR, commune, language="vi")
    applicant = await person(session, 20)
    for _ in range(2):  # the same update handled twice
        filed = await approvals.submit(
            session, applicant.id, Role.COLLABORATOR, commune.id, NOW, TEXTS, key="draft-1"
        )
        assert filed.reached == 2
    copies = await _entries(session, approvals.REQUEST_KIND)
    assert [(e.user_id, e.chat_id) for e in copies] == [
        (first.id, first.telegram_id),
        (second.id, second.telegram_id),
    ]
    assert filed.request.created_at == NOW  # the services clock, not the wall clock
    english = await outbox.message_of(session, copies[0].payload_id)
    assert english.text.startswith("New registration request")
    assert english.buttons[0][0].callback_data == f"ap:{filed.request.public_id}:y"


async def test_a_decision_queues_the_applicant_and_every_copy_once(session):
    commune, _ = await tra_bong(session)
    first = await person(session, 10, Role.COMMUNE_COORDINATOR, commune, language="en")
    second = await person(session, 11, Role.COMMUNE_COORDINATOR, commune, language="en")
    applicant = await person(session, 20, language="en")
    filed = await approvals.submit(session, applicant.id, Role.COLLABORATOR, commune.id, NOW, TEXTS)
    first_copy, second_copy = await _entries(session, approvals.REQUEST_KIND)
    await _sent(session, first_copy, 1001)  # the second copy is still waiting
    actor = await profile(session, first)
    for _ in range(2):  # the press delivered again after a crash
        decision = await approvals.decide(
            session, filed.request.public_id, actor, True, NOW, TEXTS, key="press-1"
        )
        assert decision.outcome is Outcome.APPROVED
    assert applicant.status is UserStatus.ACTIVE
    assert filed.request.decided_at == NOW
    (answer,) = await _entries(session, approvals.DECISION_KIND)
    assert answer.chat_id == applicant.telegram_id
    assert "approved" in (await outbox.message_of(session, answer.payload_id)).text
    (update,) = await _entries(session, approvals.UPDATE_KIND)
    edit = await outbox.message_of(session, update.payload_id)
    assert edit.edit_message_id == 1001 and edit.buttons == ()
    (verdict,) = await _entries(session, approvals.VERDICT_KIND)
    assert verdict.user_id == first.id
    assert (await outbox.message_of(session, verdict.payload_id)).text.startswith("✅ Approved by")
    # The copy not sent yet is withdrawn: it would only offer stale buttons.
    await session.refresh(second_copy)
    assert second_copy.status is OutboxStatus.CANCELLED
    notices = (await session.scalars(select(ApprovalNotice))).all()
    assert [(n.approver_id, n.message_id) for n in notices] == [(first.id, 1001)]
    assert second.id not in {e.user_id for e in await _entries(session, approvals.VERDICT_KIND)}


async def test_a_refused_decision_queues_nothing(session):
    commune, _ = await tra_bong(session)
    await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    collaborator = await person(session, 12, Role.COLLABORATOR, commune)
    applicant = await person(session, 20)
    filed = await approvals.submit(session, applicant.id, Role.COLLABORATOR, commune.id, NOW, TEXTS)
    decision = await approvals.decide(
        session, filed.request.public_id, await profile(session, collaborator), True, NOW, TEXTS
    )
    assert decision.outcome is Outcome.NOT_ALLOWED
    assert await _entries(session, approvals.DECISION_KIND) == []
    assert await _entries(session, approvals.VERDICT_KIND) == []

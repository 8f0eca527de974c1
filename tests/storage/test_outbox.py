from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from storage import outbox
from storage.models import OutboxEntry, OutboxStatus, Priority, Role, User
from tests.storage.helpers import person, tra_bong

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def text(body: str = "Xin chào") -> outbox.Message:
    return outbox.Message(text=body)


async def test_dedupe_key_enqueues_once(session):
    first = await outbox.enqueue(
        session, kind="alert", chat_id=5, message=text(), dedupe_key="incident:1:5"
    )
    again = await outbox.enqueue(
        session, kind="alert", chat_id=5, message=text("other"), dedupe_key="incident:1:5"
    )
    assert first.created and not again.created
    assert again.id == first.id
    rows = (await session.scalars(select(OutboxEntry))).all()
    assert len(rows) == 1
    assert (await outbox.message_of(session, rows[0].payload_id)).text == "Xin chào"


async def test_enqueue_many_shares_one_payload_and_skips_known_keys(session):
    recipients = [outbox.Recipient(chat_id=n, dedupe_key=f"b:{n}") for n in range(1, 6)]
    assert await outbox.enqueue_many(session, kind="b", recipients=recipients, message=text()) == 5
    more = [*recipients, outbox.Recipient(chat_id=9, dedupe_key="b:9"), outbox.Recipient(10)]
    assert await outbox.enqueue_many(session, kind="b", recipients=more, message=text()) == 2
    rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.chat_id))).all()
    assert [r.chat_id for r in rows] == [1, 2, 3, 4, 5, 9, 10]
    assert len({r.payload_id for r in rows[:5]}) == 1
    assert all(r.priority == Priority.BULK for r in rows)


def test_message_limits():
    outbox.Message(text="a" * 4096)
    with pytest.raises(ValidationError, match="at most 4096"):
        outbox.Message(text="a" * 4097)
    # HTML tags do not count; an emoji outside the basic plane counts twice.
    outbox.Message(text="<b>" + "a" * 4096 + "</b>")
    with pytest.raises(ValidationError, match="at most 4096"):
        outbox.Message(text="🙂" * 2049)
    outbox.Message(text="c" * 1024, photo="file-1")
    with pytest.raises(ValidationError, match="at most 1024"):
        outbox.Message(text="c" * 1025, document="file-2")
    with pytest.raises(ValidationError, match="not both"):
        outbox.Message(text="x", photo="a", document="b")
    with pytest.raises(ValidationError, match="needs text"):
        outbox.Message(text="")
    with pytest.raises(ValidationError, match="64 bytes"):
        outbox.Button(text="ok", callback_data="đ" * 33)
    with pytest.raises(ValidationError, match="either"):
        outbox.Button(text="ok")


async def test_claim_takes_the_most_urgent_due_entries_first(session):
    bulk = [outbox.Recipient(chat_id=n) for n in range(100, 110)]
    await outbox.enqueue_many(session, kind="b", recipients=bulk, message=text())
    later = await outbox.enqueue(
        session,
        kind="r",
        chat_id=7,
        message=text(),
        priority=Priority.URGENT,
        not_before=NOW + timedelta(minutes=5),
    )
    urgent = await outbox.enqueue(
        session, kind="alert", chat_id=8, message=text(), priority=Priority.URGENT
    )
    claimed = await outbox.claim(session, NOW, 3)
    assert [c.chat_id for c in claimed] == [8, 100, 101]
    assert claimed[0].id == urgent.id and claimed[0].attempts == 1
    again = await outbox.claim(session, NOW, 100)
    assert later.id not in {c.id for c in again}
    assert len(again) == 8
    assert await outbox.next_due(session) == NOW + timedelta(minutes=5)


async def test_recover_puts_claimed_entries_back(session):
    await outbox.enqueue_many(
        session, kind="b", recipients=[outbox.Recipient(n) for n in (1, 2)], message=text()
    )
    claimed = await outbox.claim(session, NOW, 10)
    await outbox.finish(session, claimed[0].id, OutboxStatus.SENT, NOW, message_id=77)
    assert await outbox.recover(session) == 1
    statuses = dict((await session.execute(select(OutboxEntry.chat_id, OutboxEntry.status))).all())
    assert statuses == {1: OutboxStatus.SENT, 2: OutboxStatus.PENDING}
    # a recorded outcome is final: a late second mark changes nothing
    assert await outbox.finish(session, claimed[0].id, OutboxStatus.FAILED, NOW) is None


async def test_blocked_marks_the_user_and_hooks_see_outcomes(session):
    commune, _ = await tra_bong(session)
    user = await person(session, 4242, Role.COLLABORATOR, commune)
    seen: list[outbox.Outcome] = []

    async def hook(hook_session, outcome):
        seen.append(outcome)
        hook_session.add(User(telegram_id=outcome.chat_id + 1, display_name="", bot_blocked=False))

    outbox.on_outcome("test-hook", hook)
    entry = await outbox.enqueue(
        session, kind="test-hook", chat_id=4242, user_id=user.id, message=text()
    )
    await outbox.claim(session, NOW, 1)
    await outbox.finish(session, entry.id, OutboxStatus.BLOCKED, NOW, error="Forbidden")
    await session.refresh(user)
    assert user.bot_blocked
    assert [(o.status, o.user_id, o.error) for o in seen] == [
        (OutboxStatus.BLOCKED, user.id, "Forbidden")
    ]
    # what the hook wrote is in the same transaction
    assert await session.scalar(select(User.id).where(User.telegram_id == 4243)) is not None


async def test_expired_entries_are_not_claimed(session):
    await outbox.enqueue(session, kind="r", chat_id=1, message=text(), expires_at=NOW)
    fresh = await outbox.enqueue(
        session, kind="r", chat_id=2, message=text(), expires_at=NOW + timedelta(hours=1)
    )
    assert [c.id for c in await outbox.claim(session, NOW, 10)] == [fresh.id]
    expired = await outbox.expire_due(session, NOW)
    assert [o.chat_id for o in expired] == [1]


async def test_release_and_cancel(session):
    await outbox.enqueue_many(
        session,
        kind="b",
        recipients=[outbox.Recipient(n) for n in (1, 2, 3)],
        message=text(),
        ref="bcr:1",
    )
    first = (await outbox.claim(session, NOW, 1))[0]
    await outbox.release(session, first.id, NOW + timedelta(seconds=3), "429", count_attempt=False)
    entry = await outbox.get(session, first.id)
    assert entry is not None
    assert (entry.status, entry.attempts, entry.error) == (OutboxStatus.PENDING, 0, "429")
    assert await outbox.cancel(session, "bcr:1") == 3
    counts = await outbox.counts(session, "bcr:1")
    assert counts[OutboxStatus.CANCELLED] == 3 and counts[OutboxStatus.PENDING] == 0

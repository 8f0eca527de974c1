from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from storage import outbox
from storage.models import OutboxEntry, OutboxPayload, OutboxStatus, Priority, Role, User
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


async def test_enqueue_batches_one_payload_per_message(session):
    known = await outbox.enqueue(session, kind="r", chat_id=3, message=text(), dedupe_key="r:3")
    batches = [
        (text(f"to {n}"), [outbox.Recipient(chat_id=c, dedupe_key=f"r:{c}") for c in chats])
        for n, chats in ((1, (1, 2)), (2, (3,)), (3, (4, 5, 6)))
    ]
    assert await outbox.enqueue_batches(session, kind="r", batches=batches, ref="x") == 5
    assert await outbox.enqueue_batches(session, kind="r", batches=batches) == 0
    rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.chat_id))).all()
    assert [r.chat_id for r in rows] == [1, 2, 3, 4, 5, 6]
    texts = [(await outbox.message_of(session, r.payload_id)).text for r in rows]
    assert texts == ["to 1", "to 1", "Xin chào", "to 3", "to 3", "to 3"]
    assert rows[2].id == known.id and {r.ref for r in rows if r.id != known.id} == {"x"}
    # One message per batch, shared by its entries; the batch for 3 alone stored nothing.
    assert len({r.payload_id for r in rows}) == 3
    assert len((await session.scalars(select(OutboxPayload.id))).all()) == 3


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


async def test_a_claim_takes_one_entry_per_chat_and_none_for_a_busy_chat(session):
    for n in range(5):
        await outbox.enqueue(
            session, kind="alert", chat_id=1, message=text(f"a{n}"), priority=Priority.URGENT
        )
    bulk = [outbox.Recipient(chat_id=n) for n in range(100, 104)]
    await outbox.enqueue_many(session, kind="b", recipients=bulk, message=text())
    first = await outbox.claim(session, NOW, 3, owner="a")
    assert [c.chat_id for c in first] == [1, 100, 101]
    # chat 1 has an entry in flight (a live lease): its next one waits
    second = await outbox.claim(session, NOW, 10, owner="b")
    assert [c.chat_id for c in second] == [102, 103]
    await outbox.finish(session, first[0].id, OutboxStatus.SENT, NOW, message_id=1)
    # the sender's own busy chats are left out too
    assert await outbox.claim(session, NOW, 10, owner="a", busy_chats={1}) == []
    (next_alert,) = await outbox.claim(session, NOW, 10, owner="a")
    assert (next_alert.chat_id, next_alert.id) == (1, first[0].id + 1)


async def test_many_sent_marks_in_one_statement_leave_final_entries_alone(session):
    bulk = [outbox.Recipient(chat_id=n) for n in (1, 2, 3)]
    await outbox.enqueue_many(session, kind="b", recipients=bulk, message=text())
    one, two, three = await outbox.claim(session, NOW, 3)
    await outbox.finish(session, three.id, OutboxStatus.FAILED, NOW, error="Chat not found")
    later = NOW + timedelta(seconds=1)
    await outbox.finish_sent(
        session, [(one.id, 501, NOW), (two.id, 502, later), (three.id, 503, NOW)]
    )
    rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.chat_id))).all()
    assert [(r.status, r.message_id, r.finished_at) for r in rows] == [
        (OutboxStatus.SENT, 501, NOW),
        (OutboxStatus.SENT, 502, later),
        (OutboxStatus.FAILED, None, NOW),
    ]


async def test_a_claim_is_a_lease_that_only_lapses(session):
    """Another sender's unexpired claim is left alone; an expired one is
    taken over (and says so); a final mark is never changed."""
    await outbox.enqueue_many(
        session, kind="b", recipients=[outbox.Recipient(n) for n in (1, 2, 3)], message=text()
    )
    lease = timedelta(seconds=15)
    first = await outbox.claim(session, NOW, 10, owner="host-a:1", lease=lease)
    assert [c.taken_over for c in first] == [False] * 3
    assert {c.lease_until for c in first} == {NOW + lease}
    await outbox.finish(session, first[0].id, OutboxStatus.SENT, NOW, message_id=77)

    assert await outbox.claim(session, NOW + lease - timedelta(seconds=1), 10, owner="b") == []
    later = NOW + lease
    taken = await outbox.claim(session, later, 10, owner="host-b:2", lease=lease)
    assert sorted(c.chat_id for c in taken) == [2, 3]
    assert all(c.taken_over and c.attempts == 2 for c in taken)
    rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.chat_id))).all()
    assert [(r.status, r.claimed_by) for r in rows] == [
        (OutboxStatus.SENT, "host-a:1"),
        (OutboxStatus.SENDING, "host-b:2"),
        (OutboxStatus.SENDING, "host-b:2"),
    ]
    # a recorded outcome is final: a late second mark changes nothing
    assert await outbox.finish(session, first[0].id, OutboxStatus.FAILED, NOW) is None


async def test_release_by_a_sender_that_lost_its_lease_changes_nothing(session):
    await outbox.enqueue(session, kind="b", chat_id=1, message=text())
    (mine,) = await outbox.claim(session, NOW, 1, owner="a")
    (theirs,) = await outbox.claim(session, NOW + timedelta(minutes=1), 1, owner="b")
    assert theirs.id == mine.id and theirs.taken_over
    await outbox.release(session, mine.id, NOW, "late", owner="a")
    row = await session.get(OutboxEntry, mine.id)
    assert (row.status, row.claimed_by) == (OutboxStatus.SENDING, "b")


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


async def _finished(session, kind: str, status: OutboxStatus, finished_at, key: str) -> int:
    """An entry (and its own message) written a minute before it finished."""
    queued = await outbox.enqueue(session, kind=kind, chat_id=77, message=text(key), dedupe_key=key)
    entry = await session.get(OutboxEntry, queued.id)
    entry.status, entry.finished_at = status, finished_at
    entry.created_at = (finished_at or NOW) - timedelta(minutes=1)
    (await session.get(OutboxPayload, entry.payload_id)).created_at = entry.created_at
    await session.flush()
    return queued.id


async def test_purge_deletes_finished_rows_after_their_retention(sessions):
    retention = outbox.Retention(default=timedelta(days=30), incidents=timedelta(days=7))
    day, hour = timedelta(days=1), timedelta(hours=1)
    async with sessions.begin() as session:
        gone = [
            await _finished(session, "incident_status", OutboxStatus.SENT, NOW - 8 * day, "s8"),
            await _finished(
                session, "incident_alert", OutboxStatus.FAILED, NOW - 7 * day - hour, "a7h"
            ),
            await _finished(session, "reminder", OutboxStatus.SENT, NOW - 31 * day, "r31"),
            await _finished(session, "broadcast", OutboxStatus.BLOCKED, NOW - 40 * day, "b40"),
            await _finished(session, "report_nudge", OutboxStatus.EXPIRED, NOW - 31 * day, "n31"),
            await _finished(session, "broadcast", OutboxStatus.CANCELLED, NOW - 60 * day, "c60"),
        ]
        kept = [
            await _finished(session, "incident_status", OutboxStatus.SENT, NOW - 6 * day, "s6"),
            await _finished(session, "reminder", OutboxStatus.SENT, NOW - 8 * day, "r8"),
            await _finished(session, "reminder", OutboxStatus.FAILED, NOW - 29 * day, "f29"),
            # Exactly as old as the retention: kept until it is older.
            await _finished(session, "incident_alert", OutboxStatus.SENT, NOW - 7 * day, "a7"),
            await _finished(session, "reminder", OutboxStatus.EXPIRED, NOW - 30 * day, "r30"),
            # "incidentally" is not an incident kind: the 30 days apply.
            await _finished(session, "incidentally", OutboxStatus.SENT, NOW - 8 * day, "i8"),
        ]
        # Not finished, however old: waiting, and being sent.
        for status, key in ((OutboxStatus.PENDING, "p"), (OutboxStatus.SENDING, "sending")):
            kept.append(await _finished(session, "incident_status", status, None, key))
            (await session.get(OutboxEntry, kept[-1])).created_at = NOW - 90 * day
        # A message shared by an entry past its retention and one within it stays.
        shared = await outbox.add_payload(session, text("shared"))
        (await session.get(OutboxPayload, shared)).created_at = NOW - 32 * day
        for chat, when, into in ((1, NOW - 31 * day, gone), (2, NOW - day, kept)):
            queued = await outbox.enqueue(session, kind="broadcast", chat_id=chat, message=shared)
            entry = await session.get(OutboxEntry, queued.id)
            entry.status, entry.finished_at = OutboxStatus.SENT, when
            into.append(queued.id)
        # A message written just now, whose entries are not enqueued yet, stays.
        fresh = await outbox.add_payload(session, text("fresh"))
        (await session.get(OutboxPayload, fresh)).created_at = NOW - timedelta(minutes=1)
    # Batches of 2: several transactions walking up the ids.
    purged = await outbox.purge_finished(sessions, NOW, retention, batch=2)
    assert purged == outbox.Purged(entries=7, payloads=6)
    async with sessions() as session:
        assert set((await session.scalars(select(OutboxEntry.id))).all()) == set(kept)
        left = (await session.scalars(select(OutboxPayload))).all()
        assert sorted(outbox.Message.model_validate(p.content).text for p in left) == sorted(
            ["s6", "r8", "f29", "a7", "r30", "i8", "p", "sending", "shared", "fresh"]
        )
        assert set(gone).isdisjoint((await session.scalars(select(OutboxEntry.id))).all())
    # Nothing more to do the same day; a purged dedupe key may be used again.
    assert await outbox.purge_finished(sessions, NOW, retention) == outbox.Purged(0, 0)
    async with sessions.begin() as session:
        again = await outbox.enqueue(
            session, kind="incident_status", chat_id=77, message=text(), dedupe_key="s8"
        )
        assert again.created

"""Discreet mode's erase rows: "erase chat C from message id A"."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import erasures
from storage.models import DiscreetErasure, OutboxEntry, OutboxPayload

CHAT = 4242


async def _row(sessions) -> DiscreetErasure | None:
    async with sessions() as session:
        return await session.get(DiscreetErasure, CHAT)


async def test_a_report_whose_updates_all_saved_erases_exactly_its_list(sessions):
    async with sessions.begin() as session:
        await erasures.open_report(session, CHAT, CHAT, first_id=10, update_id=1)
    async with sessions.begin() as session:  # the next update: update 1 was saved
        await erasures.note_update(session, CHAT, CHAT, 2, saved=[1], listed=[10, 11, 12])
    async with sessions() as session:
        ids = await erasures.to_erase(session, CHAT, [10, 11, 12, 13, 14], saved=[1, 2])
    assert ids == [10, 11, 12, 13, 14]
    async with sessions.begin() as session:
        await erasures.close(session, CHAT)
    assert await _row(sessions) is None


async def test_what_an_unsaved_update_sent_is_erased_as_a_range(sessions):
    async with sessions.begin() as session:
        await erasures.open_report(session, CHAT, CHAT, first_id=10, update_id=1)
    async with sessions.begin() as session:
        await erasures.note_update(session, CHAT, CHAT, 2, saved=[1], listed=[10, 11])
    # Update 2 sent 12 and 13, then the process died: its state was never saved.
    async with sessions.begin() as session:
        await erasures.note_update(session, CHAT, CHAT, 3, saved=[1], listed=[10, 11])
    row = await _row(sessions)
    assert row is not None and row.gap_from == 11
    async with sessions() as session:
        ids = await erasures.to_erase(session, CHAT, [10, 11, 14, 15], saved=[1, 3])
    assert ids == [10, 11, 12, 13, 14, 15]


async def test_the_sweep_after_an_undelivered_crash_adds_a_slack_but_keeps_alerts(sessions):
    async with sessions.begin() as session:
        await erasures.open_report(session, CHAT, CHAT, first_id=10, update_id=1)
        payload = OutboxPayload(content={"text": "alert"})
        session.add(payload)
        await session.flush()
        session.add(
            OutboxEntry(
                kind="incident_alert",
                chat_id=CHAT,
                payload_id=payload.id,
                not_before=datetime(2026, 1, 1, tzinfo=UTC),
                message_id=14,
            )
        )
    # Update 1 (the /report) never saved: nothing is listed, and no later id bounds it.
    async with sessions() as session:
        ids = await erasures.to_erase(session, CHAT, [], saved=[])
    assert ids == [i for i in range(10, 10 + erasures.SLACK + 1) if i != 14]


async def test_a_second_report_over_a_row_left_by_a_crash_erases_from_the_first(sessions):
    async with sessions.begin() as session:
        await erasures.open_report(session, CHAT, CHAT, first_id=10, update_id=1)
    async with sessions.begin() as session:
        await erasures.open_report(session, CHAT, CHAT, first_id=30, update_id=7)
    row = await _row(sessions)
    assert row is not None and (row.from_message_id, row.gap_from, row.open_update) == (10, 10, 7)
    async with sessions() as session:
        assert await erasures.open_reporters(session) == [CHAT]

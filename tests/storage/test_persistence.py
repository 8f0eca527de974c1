from __future__ import annotations

import asyncio

from storage.persistence import SqlPersistence


async def test_round_trip_of_conversations_and_user_data(sessions):
    first = SqlPersistence(sessions)
    await asyncio.gather(
        first.update_conversation("registration", (5, 5), "COMMUNE"),
        first.update_conversation("registration", (6, 6), "ROLE"),
        first.update_user_data(5, {"reg": {"step": "COMMUNE", "province": 3}}),
        first.update_chat_data(5, {"x": 1}),
    )
    await first.update_conversation("registration", (6, 6), None)
    await first.flush()

    second = SqlPersistence(sessions)
    assert await second.get_conversations("registration") == {(5, 5): "COMMUNE"}
    assert await second.get_user_data() == {5: {"reg": {"step": "COMMUNE", "province": 3}}}
    assert await second.get_chat_data() == {5: {"x": 1}}
    assert await second.get_conversations("other") == {}


async def test_later_write_wins_and_drop_deletes(sessions):
    persistence = SqlPersistence(sessions)
    await persistence.update_user_data(7, {"a": 1})
    await persistence.update_user_data(7, {"a": 2})
    await persistence.update_user_data(8, {"b": 1})
    await persistence.drop_user_data(8)
    assert await SqlPersistence(sessions).get_user_data() == {7: {"a": 2}}


async def test_a_failed_write_is_kept_for_the_next_round(sessions, monkeypatch):
    import storage.persistence as module

    persistence = SqlPersistence(sessions)
    real = module._upsert

    async def failing(session, items):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "_upsert", failing)
    try:
        await persistence.update_user_data(9, {"draft": 1})
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure must reach PTB, which reports it")
    monkeypatch.setattr(module, "_upsert", real)
    await persistence.flush()
    assert await SqlPersistence(sessions).get_user_data() == {9: {"draft": 1}}

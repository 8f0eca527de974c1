from __future__ import annotations

from storage.persistence import SqlPersistence, UserState


async def _names(persistence: SqlPersistence) -> None:
    for name in ("registration", "report"):
        await persistence.get_conversations(name)


async def test_one_users_state_round_trips_and_start_up_reads_it(sessions):
    first = SqlPersistence(sessions)
    await _names(first)
    async with sessions.begin() as session:
        await first.save_user(
            session,
            5,
            {"reg": {"step": "COMMUNE", "province": 3}},
            {"registration": {(5, 5): "COMMUNE"}},
            {},
        )
        await first.save_user(session, 6, {"x": 1}, {"report": {(6, 6): "KIND"}}, {})

    second = SqlPersistence(sessions)
    await _names(second)
    async with sessions() as session:
        assert await second.load_user(session, 5) == UserState(
            {"reg": {"step": "COMMUNE", "province": 3}}, {"registration": {(5, 5): "COMMUNE"}}
        )
        assert await second.load_user(session, 7) == UserState()
    assert await second.get_conversations("registration") == {(5, 5): "COMMUNE"}
    assert await second.get_user_data() == {
        5: {"reg": {"step": "COMMUNE", "province": 3}},
        6: {"x": 1},
    }


async def test_an_ended_conversation_and_emptied_data_are_removed(sessions):
    persistence = SqlPersistence(sessions)
    await _names(persistence)
    async with sessions.begin() as session:
        await persistence.save_user(session, 5, {"a": 1}, {"report": {(5, 5): "KIND"}}, {})
    async with sessions.begin() as session:
        # The conversation ended during the update; the data was emptied.
        await persistence.save_user(session, 5, {}, {}, {"report": {(5, 5): "KIND"}})
    async with sessions() as session:
        assert await persistence.load_user(session, 5) == UserState()
    assert await persistence.get_conversations("report") == {}


async def test_ptbs_periodic_writes_change_nothing(sessions):
    persistence = SqlPersistence(sessions)
    await persistence.update_user_data(9, {"draft": 1})
    await persistence.update_conversation("report", (9, 9), "KIND")
    await persistence.flush()
    assert await persistence.get_user_data() == {}
    assert await persistence.get_conversations("report") == {}

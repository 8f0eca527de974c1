"""/mine, /activities, corrections and deletions through the local Bot API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import audit
from tests.handlers.activities_helpers import (
    COORDINATOR,
    STRANGER,
    count_stored,
    one_line,
    setup_people,
    stored,
    tap,
)
from tests.handlers.conftest import USER
from tests.harness import texts


@pytest.fixture
async def places(bot):
    return await setup_people(bot)


async def _log(bot, line: str, user: int = USER) -> int:
    await one_line(bot, line, user)
    await bot.press(user, label="✅ Confirm")
    return (await stored(bot))[-1].id


async def test_mine_pages_opens_corrects_and_deletes(bot, places):
    replies = await bot.send(USER, "/mine")
    assert texts(replies) == ["You have not logged any activity yet. Send /log to log one."]
    ids = [await _log(bot, f"tt {day}/11 10/5/5/0/0/0 bdg") for day in range(11, 18)]

    replies = await bot.send(USER, "/mine")
    listing = texts(replies)[0]
    assert listing.startswith("Your activities (1–5 of 7)")
    assert (
        f"HD-{ids[-1]} · 11/17/26 · Direct communication (community meetings, gatherings)"
        in listing
    )
    assert bot.labels(USER)[-1] == "Older ▶"
    page = bot.api.bot_messages(USER)[-1]
    await bot.press(USER, label="Older ▶")
    older = bot.api.messages(USER)[-1]  # paged in place: the same message, edited
    assert older.message_id == page.message_id
    assert older.text.startswith("Your activities (6–7 of 7)")
    assert bot.labels(USER)[-1] == "◀ Newer"

    replies = await bot.press(USER, label=f"HD-{ids[0]}")
    assert texts(replies)[0].startswith(f"HD-{ids[0]}\nActivity: Direct communication")
    assert bot.labels(USER) == ["✏️ Correct", "🗑 Delete"]
    replies = await bot.press(USER, label="✏️ Correct")
    assert texts(replies)[0].startswith(f"Correcting HD-{ids[0]}")
    await bot.press(USER, label="✏️ Participants")
    await bot.send(USER, "12/6/6/0/0/3")
    assert (await tap(bot, "✅ Confirm")).endswith(f"\n\n✅ HD-{ids[0]} is corrected.")
    first = (await stored(bot))[0]
    assert (first.total, first.ethnic_minority) == (12, 3)
    async with bot.services.sessions() as session:
        trail = await audit.history(session, "activity", ids[0])
    assert [e.action for e in trail] == ["create", "update"]
    assert trail[1].details == {
        "total": [10, 12],
        "women": [5, 6],
        "men": [5, 6],
        "ethnic_minority": [0, 3],
    }

    await bot.send(USER, "/mine")
    await bot.press(USER, label=f"HD-{ids[-2]}")
    await bot.press(USER, label="🗑 Delete")
    assert bot.labels(USER) == ["🗑 Yes, delete it", "No, keep it"]
    await bot.press(USER, label="🗑 Yes, delete it")
    assert bot.api.messages(USER)[-1].text == f"🗑 HD-{ids[-2]} is deleted."
    replies = await bot.send(USER, "/mine")
    assert texts(replies)[0].startswith("Your activities (1–5 of 6)")
    assert await count_stored(bot) == 7  # kept, only hidden


async def test_after_seven_days_only_a_coordinator_corrects(bot, places):
    activity_id = await _log(bot, "th 20/11 20/10/10/0/0/0 kinh-te")
    bot.clock.now += timedelta(days=8)
    await bot.send(USER, "/mine")
    replies = await bot.press(USER, label=f"HD-{activity_id}")
    assert texts(replies)[0].endswith(
        "An activity can be changed by its reporter for 7 days. "
        "Ask your commune coordinator to correct this one."
    )
    assert bot.labels(USER) != ["✏️ Correct", "🗑 Delete"]
    # A forged correction button is refused all the same.
    card = bot.api.bot_messages(USER)[-1]
    await bot.press_data(USER, card.message_id, f"lx:e:{activity_id}")
    assert bot.answer().startswith("An activity can be changed by its reporter for 7 days.")

    replies = await bot.send(COORDINATOR, "/activities")
    assert f"HD-{activity_id}" in texts(replies)[0]
    assert "Lan" in texts(replies)[0]  # coordinators see who logged it
    await bot.press(COORDINATOR, label=f"HD-{activity_id}")
    await bot.press(COORDINATOR, label="✏️ Correct")
    await bot.press(COORDINATOR, label="✏️ Topics")
    await bot.press(COORDINATOR, label="Women in leadership")
    await bot.press(COORDINATOR, label="Done ➡")
    assert (await tap(bot, "✅ Confirm", COORDINATOR)).endswith(
        f"\n\n✅ HD-{activity_id} is corrected."
    )
    async with bot.services.sessions() as session:
        trail = await audit.history(session, "activity", activity_id)
    assert trail[-1].details == {
        "topics": [["economic_empowerment"], ["economic_empowerment", "women_leadership"]]
    }


async def test_nobody_edits_someone_elses_activity(bot, places):
    activity_id = await _log(bot, "tt 20/11 10/5/5/0/0/0 bdg")
    await bot.send(STRANGER, "/help")
    menu = bot.api.bot_messages(STRANGER)[-1]
    for data in (f"lx:e:{activity_id}", f"lv:{activity_id}", f"lx:D:{activity_id}"):
        await bot.press_data(STRANGER, menu.message_id, data)
        assert bot.answer() == "You cannot see or change that activity: it is outside your area."
    replies = await bot.send(STRANGER, "/activities")
    assert texts(replies) == [
        "Only coordinators can see the activities of an area. Send /mine for yours."
    ]
    assert (await stored(bot))[0].deleted is False


async def test_coordinator_filters_by_period_commune_and_kind(bot, places):
    await _log(bot, "tt 20/11 10/5/5/0/0/0 bdg")
    await _log(bot, "th 2/10 10/5/5/0/0/0 bdg")
    await _log(bot, "tt 20/11 30/15/15/0/0/0 bdg", STRANGER)  # in Bình Sơn

    replies = await bot.send(COORDINATOR, "/activities")
    assert texts(replies)[0].startswith("Activities in your area (1–1 of 1)\nLast 30 days")
    await bot.press(COORDINATOR, label="📅 Period")
    assert "This year" in bot.labels(COORDINATOR)
    await bot.press(COORDINATOR, label="This year")
    view = bot.api.messages(COORDINATOR)[-1].text
    assert view.startswith("Activities in your area (1–2 of 2)\nThis year")
    await bot.press(COORDINATOR, label="🏷 Kind")
    await bot.press(COORDINATOR, label="Training class")
    view = bot.api.messages(COORDINATOR)[-1].text
    assert "This year · Training class" in view and "(1–1 of 1)" in view
    await bot.press(COORDINATOR, label="🏘 Commune")
    assert bot.labels(COORDINATOR) == ["All communes", "Xã Trà Bồng"]  # not Bình Sơn
    # A forged filter for a commune outside the coordinator's own is refused.
    message = bot.api.bot_messages(COORDINATOR)[-1]
    await bot.press_data(COORDINATOR, message.message_id, f"la:y0:{places.elsewhere.id}:-:0")
    assert bot.answer() == "You cannot see or change that activity: it is outside your area."
    await bot.press_data(COORDINATOR, message.message_id, "la:zz:0:-:0")
    assert bot.answer() == "That button is no longer valid."


async def log_with_photo_and_voice(engine, sessions, media_dir=None):
    """Log an activity with a photo and a voice note; returns it and the
    Bot API methods the bot called."""
    from tests.harness import BotHarness

    settings = {"activity_media_dir": media_dir} if media_dir else {}
    harness = BotHarness(engine, sessions, **settings)
    harness.api.add_user(USER, first_name="Lan", language_code="en")
    async with harness as bot:
        await setup_people(bot)
        await one_line(bot, "tt 20/11 10/5/5/0/0/0 bdg")
        await bot.press(USER, label="✏️ Photos, note")
        await bot.photo(USER)
        await bot.voice(USER, b"OggS voice")
        await bot.press(USER, label="Continue ➡")
        await bot.press(USER, label="✅ Confirm")
        (activity,) = await stored(bot)
        methods = [r.method for r in bot.api.log]
    assert len(activity.photo_file_ids) == 1
    assert activity.voice_file_id is not None
    return activity, methods


async def test_photos_and_voice_are_downloaded_only_when_a_folder_is_set(
    engine, sessions, tmp_path
):
    _, methods = await log_with_photo_and_voice(engine, sessions, str(tmp_path / "media"))
    saved = sorted((tmp_path / "media").iterdir(), key=lambda f: f.suffix)
    assert [f.suffix for f in saved] == [".jpg", ".ogg"]
    assert [f.read_bytes() for f in saved] == [b"\x89PNG fake", b"OggS voice"]
    assert methods.count("getFile") == 2


async def test_without_a_folder_nothing_is_downloaded(engine, sessions):
    _, methods = await log_with_photo_and_voice(engine, sessions)
    assert "getFile" not in methods

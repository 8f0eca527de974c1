"""/log through the local Bot API: the guided conversation, the one-line form,
wrong input at every step, restarts and double taps."""

from __future__ import annotations

from datetime import date

import pytest

from bot.localapi import Limits
from bot.localapi.limits import FaultInjector
from storage.models import ActivityKind, SessionLanguage, Topic
from tests.handlers.activities_helpers import (
    conversation_state,
    count_stored,
    draft,
    every_button_answered_once,
    one_line,
    screen,
    setup_people,
    stored,
    tap,
    voice,
)
from tests.handlers.conftest import ADMIN, USER
from tests.harness import texts

VISITOR = 3001


@pytest.fixture
async def places(bot):
    return await setup_people(bot)


async def test_guided_conversation_stores_every_field(bot, places):
    replies = await bot.send(USER, "/log")
    assert texts(replies) == ["What kind of activity was it?"]
    assert "Direct communication (community meetings, gatherings)" in bot.labels(USER)
    question = bot.api.bot_messages(USER)[-1]
    assert "What was the activity?" in await tap(bot, "Other")
    # The question whose button was pressed turns into the next question.
    assert screen(bot).startswith("➜ Other\n\nWhat was the activity?")
    assert bot.api.bot_messages(USER)[-1].message_id == question.message_id
    await bot.send(USER, "Hội chợ việc làm")
    assert bot.labels(USER) == ["Today (11/20/26)", "Yesterday (11/19/26)"]
    await bot.send(USER, "18/11")
    # The own village first, then the commune and its other villages.
    assert bot.labels(USER) == ["Thôn 1", "Xã Trà Bồng", "Thôn 2"]
    await bot.press(USER, label="Thôn 2")
    await bot.send(USER, "60")
    await bot.send(USER, "30")
    replies = await bot.send(USER, "20")
    assert texts(replies) == ["How many girls under 16?"]
    assert bot.labels(USER) == ["0", "10"]
    await bot.send(USER, "6")
    assert bot.labels(USER) == ["4"]  # the only number that adds up
    await bot.press(USER, label="4")
    await bot.send(USER, "12")
    assert "Which topics" in bot.last(USER).text
    await bot.press(USER, label="Child marriage")
    await bot.press(USER, label="Gender equality")
    await bot.press(USER, label="✓ Child marriage")  # unselect
    await bot.press(USER, label="Harmful customs")
    await bot.press(USER, label="Done ➡")
    await bot.press(USER, label="Both")
    await bot.send(USER, "Cor")
    replies = await bot.photo(USER)
    assert texts(replies) == ["Photo 1 of 5 received."]
    await bot.photo(USER)
    await voice(bot)
    await bot.send(USER, "Họp dân <b>thôn</b> & trường học")
    summary = await tap(bot, "Continue ➡")
    assert "Activity: Other: Hội chợ việc làm" in summary
    assert "Date: 11/18/26" in summary
    assert "Place: Thôn 2, Xã Trà Bồng, Quảng Ngãi" in summary
    assert "Participants: 60 — women 30, men 20, girls 6, boys 4; ethnic minority 12" in summary
    assert "Topics: Gender equality, Harmful customs" in summary
    assert "Language: Vietnamese and Cor" in summary
    assert "Attached: 2 photo(s), a voice note" in summary
    assert "Note: Họp dân <b>thôn</b> & trường học" in summary  # shown as typed, not as HTML

    saved = await tap(bot, "✅ Confirm")
    (activity,) = await stored(bot)
    assert saved.startswith("Please check the activity")  # the card stays, without buttons
    assert f"\n\n✅ Saved. Reference: HD-{activity.id}." in saved
    assert bot.labels(USER) == ["Continue ➡", "🗑 Remove photos and note"]  # an older message
    assert (activity.kind, activity.kind_other) == (ActivityKind.OTHER, "Hội chợ việc làm")
    assert activity.held_on == date(2026, 11, 18)
    assert activity.unit_id == places.other_village.id
    assert (activity.total, activity.women, activity.men) == (60, 30, 20)
    assert (activity.girls, activity.boys, activity.ethnic_minority) == (6, 4, 12)
    assert activity.topics == [Topic.GENDER_EQUALITY, Topic.HARMFUL_CUSTOMS]
    assert (activity.language, activity.ethnic_language) == (SessionLanguage.BOTH, "Cor")
    assert len(activity.photo_file_ids) == 2 and activity.voice_file_id
    assert activity.note == "Họp dân <b>thôn</b> & trường học"
    assert draft(bot) == {} and conversation_state(bot) is None
    assert every_button_answered_once(bot)
    # The last place and language name are offered first next time.
    replies = await bot.send(USER, "/log tt hom-nay 10")
    assert texts(replies) == ["How many of them were women (16 and over)?"]
    assert draft(bot)["unit_id"] == places.village.id  # the one-line form uses the home village


async def test_adults_only_session_skips_the_children(bot, places):
    await bot.send(USER, "/log")
    await bot.press(USER, label="Training class")
    assert bot.last(USER).text.endswith("Who was the class for?")  # a class names its audience
    await bot.press(USER, label="Elders and respected persons")
    await bot.press(USER, label="Yesterday (11/19/26)")
    await bot.press(USER, label="Thôn 1")
    await bot.send(USER, "20")
    await bot.send(USER, "12")
    assert (await tap(bot, "8")).endswith(
        "How many of the participants were from an ethnic minority?"
    )
    assert draft(bot)["participants"] == {
        "total": 20,
        "women": 12,
        "men": 8,
        "girls": 0,
        "boys": 0,
    }


async def test_one_line_form_goes_to_the_same_summary(bot, places):
    replies = await one_line(bot, "tt 20/11 45/30/15/0/0/40 bdg,tao-hon")
    assert len(replies) == 1
    assert replies[0].startswith("Please check the activity")
    assert "Participants: 45 — women 30, men 15, girls 0, boys 0; ethnic minority 40" in replies[0]
    assert "Topics: Gender equality, Child marriage" in replies[0]
    assert "Place: Thôn 1, Xã Trà Bồng" in replies[0]
    assert "✅ Saved. Reference: HD-" in await tap(bot, "✅ Confirm")
    (activity,) = await stored(bot)
    assert (activity.kind, activity.held_on, activity.total) == (
        ActivityKind.DIRECT,
        date(2026, 11, 20),
        45,
    )

    replies = await one_line(bot, "skh qua 80/40/30/5/5/0 blg dt:H're lễ hội mùa lúa")
    assert "Language: H're" in replies[0]
    assert "Note: lễ hội mùa lúa" in replies[0]


async def test_one_line_errors_are_the_guided_errors_and_the_rest_is_kept(bot, places):
    replies = await one_line(bot, "tt 31/02 45/30/15/0/0/50 bdg")
    assert replies[0] == (
        "There is no day 31/02 in the calendar. Please check the day and the month.\n"
        "50 ethnic-minority participants is more than the 45 participants in total."
    )
    assert replies[1].startswith("When did it take place?")
    assert draft(bot)["kind"] == "direct" and draft(bot)["topics"] == ["gender_equality"]
    # The guided step gives the very same sentence for the same mistake.
    replies = await bot.send(USER, "31/02")
    assert texts(replies)[0] == (
        "There is no day 31/02 in the calendar. Please check the day and the month."
    )
    await bot.send(USER, "19/11")
    assert "How many people took part" in bot.last(USER).text
    replies = await bot.send(USER, "45/30/15/0/0/40")
    assert texts(replies)[0].startswith("Please check the activity")

    replies = await one_line(bot, "xyz")
    # Already in a draft: the line is not lost, the user chooses which to keep.
    assert (
        replies[0] == "You are in the middle of logging an activity. Which one do you want to keep?"
    )
    await bot.press(USER, label="Keep the activity I was logging")
    await bot.send(USER, "/cancel")
    replies = await one_line(bot, "xyz")
    assert replies[0] == (
        "The one-line form is missing the date, the counts, the topics.\n"
        "“xyz” is not a kind of activity. The codes are: "
        "tt, skh, loa, so, th, dt, clb, hoi-thi, tham, sk, cd, mit-tinh, tgpl, hoi-thao, "
        "trien-lam, giam-sat, mo-hinh, khac."
    )
    assert replies[1].startswith("One-line form: /log KIND DATE COUNTS TOPICS")
    assert replies[2] == "What kind of activity was it?"


async def test_wrong_input_at_each_step_gets_its_reason_and_keeps_the_step(bot, places):
    await bot.send(USER, "/log")
    replies = await bot.send(USER, "hello")
    # What is expected, in the user's words; the codes are for the one-line form.
    assert texts(replies) == [
        "“hello” is not one of the kinds below. Choose a button, or type its name.",
        "What kind of activity was it?",
    ]
    replies = await bot.photo(USER)
    assert texts(replies)[0] == "Please choose one of the buttons below."
    await bot.send(USER, "TT")  # a code typed at a button step is understood
    assert draft(bot)["kind"] == "direct"

    cases = {
        "31/02": "There is no day 31/02 in the calendar.",
        "21/11/2026": "11/21/26 is in the future.",
        "1/1/2026": "1/1/26 is more than 60 days ago",
        "tomorrow": "“tomorrow” is not a date I can read.",
        "x" * 4096: "is not a date I can read.",
        "🙂🙂": "“🙂🙂” is not a date I can read.",
    }
    for text, expected in cases.items():
        replies = await bot.send(USER, text)
        assert expected in texts(replies)[0], text
        assert texts(replies)[1].startswith("When did it take place?")
    replies = await bot.send(USER, "/frobnicate")
    assert texts(replies) == [
        "Please finish this step first, or send /cancel to stop.",
        texts(replies)[1],
    ]
    assert texts(replies)[1].startswith("When did it take place?")
    await bot.press(USER, label="Today (11/20/26)")

    # A forged button for a village of another commune.
    question = bot.api.bot_messages(USER)[-1]
    await bot.press_data(USER, question.message_id, f"lp:{places.elsewhere.id}")
    assert bot.answer().startswith("You cannot log activities at that place.")
    assert screen(bot).endswith(
        "Where did it take place? Choose, or type the name of a village or commune:"
    )
    replies = await bot.send(USER, "binh son")  # a commune outside the user's own
    assert texts(replies)[0] == "No village or commune in your area matches “binh son”."
    await bot.send(USER, "thon 2")  # a place's name, typed: chosen, no list of one
    assert draft(bot)["unit_id"] == places.other_village.id

    numbers = {
        "forty-five": "“forty-five” is not a number.",
        "-3": "A count cannot be negative (-3).",
        "10^9": "“10^9” is not a number.",
        "1000000000": "That is too many for one session: at most 10,000 participants.",
        "0": "A session of this kind has at least 1 participant.",
        "45/30/15": "The short form needs 6 numbers",
    }
    for text, expected in numbers.items():
        replies = await bot.send(USER, text)
        assert texts(replies)[0].startswith(expected), text
        assert texts(replies)[1].startswith("How many people took part in total?")
    replies = await bot.photo(USER)
    assert texts(replies)[0] == "Please type the number as digits, for example 45."
    await bot.send(USER, "45")
    replies = await bot.send(USER, "50")
    assert texts(replies)[0] == "50 women is more than the 45 participants in total."
    await bot.send(USER, "30")
    replies = await bot.send(USER, "20")
    assert texts(replies)[0].startswith("30 women + 20 men make 50, more than the 45")
    await bot.send(USER, "10")
    await bot.send(USER, "3")
    replies = await bot.send(USER, "1")
    assert texts(replies)[0].startswith(
        "Women, men, girls and boys must add up to the total: "
        "30 women + 10 men + 3 girls under 16 + 1 boys under 16 make 44, but the total is 45."
    )
    assert "type all six again" in texts(replies)[0]
    await bot.send(USER, "45/30/10/3/2/60")
    assert "60 ethnic-minority participants is more than" in bot.api.bot_messages(USER)[-2].text
    await bot.send(USER, "45/30/10/3/2/40")

    replies = await bot.send(USER, "bdg, nonsense")
    assert texts(replies)[0].startswith("“nonsense” is not one of the topics below.")
    await bot.press(USER, label="Done ➡")
    assert bot.answer() == "Choose at least one topic."
    await bot.press(USER, label="Domestic violence")
    await bot.press(USER, label="Done ➡")
    replies = await bot.send(USER, "12 34")  # not a language ("Cor" would be one)
    assert texts(replies)[0].startswith("Please choose a button, or type the language")
    await bot.press(USER, label="Ethnic-minority language")
    replies = await bot.send(USER, "x" * 61)
    assert texts(replies)[0].startswith("The name of the language is too long: 61 characters")
    await bot.send(USER, "Ca Dong")

    # 5,000 characters reach a bot as two messages: Telegram splits at 4,096.
    # The first part waits for the rest; the whole is too long; no fragment is kept.
    replies = await bot.send(USER, "n" * 4096)
    assert texts(replies) == []
    replies = await bot.send(USER, "n" * 904)
    assert texts(replies)[0] == (
        "The note is too long: 5,000 characters, at most 1,000. Please shorten it."
    )
    assert "note" not in draft(bot)
    replies = await bot.send(USER, "Họp dân đông vui")
    assert texts(replies)[0] == "Note saved."
    for _ in range(5):
        await bot.photo(USER)
    replies = await bot.photo(USER)
    assert texts(replies)[0] == "An activity has at most 5 photos; this one was not added."
    update_id = await bot.api.send_location(USER, 15.0, 108.0)
    await bot.app.wait_processed(update_id, 10)
    assert bot.api.bot_messages(USER)[-2].text == (
        "Here I can take photos, one voice note or a text note only."
    )
    await bot.press(USER, label="Continue ➡")
    replies = await bot.send(USER, "yes")
    assert texts(replies)[0].startswith("Please use the buttons under the summary")
    assert texts(replies)[1].startswith("Please check the activity")
    await bot.press(USER, label="✅ Confirm")
    (activity,) = await stored(bot)
    assert (activity.total, activity.boys, activity.ethnic_language) == (45, 2, "Ca Dong")
    assert len(activity.photo_file_ids) == 5
    assert every_button_answered_once(bot)


async def test_summary_edits_in_place_and_old_cards_are_stale(bot, places):
    await one_line(bot, "tt 20/11 45/30/15/0/0/40 bdg")
    first_card = bot.api.bot_messages(USER)[-1]
    await bot.press(USER, label="✏️ Participants")
    assert draft(bot)["participants"] == {}  # asked again from the total
    assert "Participants: 45 —" in await tap(bot, "↩ Keep as it was")
    await bot.press(USER, label="✏️ Date")
    second_card = await tap(bot, "Yesterday (11/19/26)")
    assert "Date: 11/19/26" in second_card and "Participants: 45 —" in second_card
    # Typed input at the card: a new card below it; the old one is stale.
    replies = await bot.send(USER, "ok")
    assert texts(replies)[1].startswith("Please check the activity")

    # The first card's Confirm must not store what that card showed.
    confirm = next(
        b["callback_data"]
        for row in bot.api.world.find_message(USER, first_card.message_id).reply_markup
        for b in row
        if "Confirm" in b["text"]
    )
    replies = await bot.press_data(USER, first_card.message_id, confirm)
    assert bot.answer() == "That summary is out of date. Here is the latest one."
    assert "Date: 11/19/26" in texts(replies)[0]
    assert await count_stored(bot) == 0
    await bot.press(USER, label="✏️ Activity")
    await bot.press(USER, label="Loudspeaker, radio")
    await bot.press(USER, label="✏️ Participants")
    replies = await bot.send(USER, "0")  # a broadcast may have no counted audience
    assert texts(replies)[0].startswith("Please check the activity")
    await bot.press(USER, label="✏️ Activity")
    await tap(bot, "Training class")
    question = await tap(bot, "Teachers")
    # Changing the kind makes 0 participants wrong: the count is asked again.
    assert bot.answer().startswith("A session of this kind has at least 1 participant.")
    assert question.endswith(
        "How many people took part in total? Type a number, or all six "
        "at once: total/women/men/girls/boys/ethnic minority, for example "
        "45/30/15/0/0/40."
    )
    await bot.send(USER, "12/6/6/0/0/0")
    assert "\n\n✖ Cancelled. Nothing was saved." in await tap(bot, "✖ Cancel")
    assert draft(bot) == {} and await count_stored(bot) == 0


async def test_a_draft_survives_a_restart(bot, places):
    await bot.send(USER, "/log")
    await bot.press(USER, label="Policy dialogue")
    await bot.send(USER, "2024-11-19".replace("2024", "2026"))
    await bot.press(USER, label="Xã Trà Bồng")
    await bot.send(USER, "30/15/15/0/0/30")
    topics_message = bot.api.bot_messages(USER)[-1]
    await bot.press(USER, label="Women in leadership")
    assert conversation_state(bot) == "TOPICS"

    await bot.restart()
    assert conversation_state(bot) == "TOPICS"
    # The keyboard sent before the restart still works, with the ✓ kept.
    await bot.press_data(USER, topics_message.message_id, "lt:tap-tuc")
    assert "✓ Women in leadership" in bot.labels(USER)
    await bot.press(USER, label="Done ➡")
    await bot.press(USER, label="Vietnamese")
    summary = await tap(bot, "Continue ➡")
    assert "Activity: Policy dialogue" in summary
    assert "Place: Xã Trà Bồng, Quảng Ngãi" in summary
    assert "Topics: Women in leadership, Harmful customs" in summary
    await bot.press(USER, label="✅ Confirm")
    assert await count_stored(bot) == 1


async def test_double_tap_and_failed_reply_never_store_twice(bot, places):
    await one_line(bot, "th 19/11 20/10/10/0/0/0 kinh-te")
    card = bot.api.bot_messages(USER)[-1]
    confirm = next(
        b["callback_data"] for row in card.reply_markup for b in row if "Confirm" in b["text"]
    )
    first = await bot.api.press(USER, card.message_id, confirm)
    second = await bot.api.press(USER, card.message_id, confirm)
    await bot.app.wait_processed(first, 10)
    await bot.app.wait_processed(second, 10)
    (activity,) = await stored(bot)
    assert bot.api.answers_for(second).text == f"Already saved as HD-{activity.id}."

    # Telegram fails to take the "saved" message (502): the activity is stored,
    # the draft and its step are kept, and confirming again stores nothing new.
    await one_line(bot, "th 19/11 21/11/10/0/0/0 kinh-te")  # another session
    card = bot.api.bot_messages(USER)[-1]
    confirm = next(
        b["callback_data"] for row in card.reply_markup for b in row if "Confirm" in b["text"]
    )
    bot.api.methods.faults = FaultInjector(Limits(server_error_rate=1.0))
    update_id = await bot.api.press(USER, card.message_id, confirm)
    await bot.app.wait_processed(update_id, 10)
    bot.api.methods.faults = FaultInjector(Limits())
    assert await count_stored(bot) == 2
    assert conversation_state(bot) == "SUMMARY" and draft(bot)
    await bot.press_data(USER, card.message_id, confirm)
    assert f"✅ Saved. Reference: HD-{activity.id + 1}." in screen(bot)
    assert await count_stored(bot) == 2


async def test_visitors_cannot_log(bot, places):
    bot.api.add_user(VISITOR, first_name="Khách", language_code="en")
    replies = await bot.send(VISITOR, "/log")
    assert texts(replies) == [
        "Only registered collaborators and coordinators can log activities. Send /start to register."
    ]


async def test_an_administrator_logs_anywhere_in_vietnamese(bot, places):
    replies = await one_line(bot, "dt 20/11 21/11/10/0/0/21 lanh-dao,bdg", ADMIN)
    # No home village: the place is asked, by name, anywhere in the country.
    assert replies == ["Hoạt động diễn ra ở đâu? Gõ tên thôn hoặc xã:"]
    replies = await bot.send(ADMIN, "thon 2")  # the only place of that name: chosen
    summary = texts(replies)[-1]
    assert summary.startswith("Vui lòng kiểm tra hoạt động\nHoạt động: Đối thoại chính sách")
    assert "Chủ đề: Bình đẳng giới, Phụ nữ tham gia lãnh đạo" in summary
    assert "✅ Đã lưu. Mã hoạt động: HD-" in await tap(bot, "✅ Xác nhận", ADMIN)
    (activity,) = await stored(bot)
    assert activity.unit_id == places.other_village.id


async def test_the_main_menu_button_starts_the_log(bot, places):
    await bot.send(USER, "/help")
    await bot.press(USER, label="📝 Log an activity")
    assert screen(bot) == "What kind of activity was it?"
    assert conversation_state(bot) == "KIND"


async def test_buttons_this_step_does_not_know_are_refused_with_a_reason(bot, places):
    await bot.send(USER, "/log")
    steps = [
        ("lk:zz", "KIND", "Policy dialogue"),
        ("ld:never", "DATE", "Today (11/20/26)"),
        ("lp:abc", "PLACE", "Xã Trà Bồng"),
    ]
    for data, state, then in steps:
        await bot.press_data(USER, bot.last(USER).message_id, data)
        assert bot.answer() == "That button is no longer valid.", data
        assert conversation_state(bot) == state
        await bot.press(USER, label=then)
    await bot.send(USER, "20/10/10/0/0/0")
    await bot.press(USER, label="Gender equality")
    await bot.press(USER, label="Done ➡")
    await bot.press_data(USER, bot.last(USER).message_id, "ll:xx")
    assert bot.answer() == "That button is no longer valid."
    assert conversation_state(bot) == "LANGUAGE"
    assert every_button_answered_once(bot)


async def test_a_one_line_draft_survives_a_restart_at_the_step_it_left_open(bot, places):
    replies = await one_line(bot, "dt 19/11 21/11/10/0/0/21 zz")
    assert replies[0].startswith("“zz” is not a topic")
    assert conversation_state(bot) == "TOPICS"
    await bot.restart()
    assert conversation_state(bot) == "TOPICS"
    assert draft(bot)["participants"]["total"] == 21
    await bot.press(USER, label="Gender equality")
    await bot.press(USER, label="Done ➡")
    summary = screen(bot)
    assert "Activity: Policy dialogue" in summary and "Topics: Gender equality" in summary
    await bot.press(USER, label="✅ Confirm")
    (activity,) = await stored(bot)
    assert (activity.total, activity.women, activity.held_on) == (21, 11, date(2026, 11, 19))

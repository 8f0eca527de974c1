"""Typed answers where buttons are asked (issue 14, what was left): /broadcast,
/report's "who is affected", /summary, /villages and /addresses; a held part
of a split text across a restart; /hotline in the middle of a step with the
user's own trusted addresses; the table of unusual totals. Through the local
Bot API, in Vietnamese and English."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.settings import Settings
from handlers import kit
from handlers.kit import SPLIT_AT, match_label, read_choices
from storage import units
from storage.activities import USUAL_MAX, usual_limits
from storage.models import ActivityKind, Broadcast, Role
from tests.handlers.report_helpers import (
    ADMIN,
    COORDINATOR,
    PROVINCE,
    REPORTER,
    SECRET,
    STAFF_A,
    file_report,
    incidents_in_db,
    setup_world,
)
from tests.harness import BotHarness, eventually, texts
from tests.storage.helpers import person

HOA = 4102  # the commune coordinator of Trà Bồng, reads Vietnamese
VISITOR = 4103  # not registered, reads Vietnamese
VILLAGERS = (4111, 4112)  # collaborators of Thôn 1


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN], secret_key=SECRET)
    harness.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    harness.api.add_user(HOA, first_name="Hòa", language_code="vi")
    harness.api.add_user(VISITOR, first_name="Khách", language_code="vi")
    for chat in VILLAGERS:
        harness.api.add_user(chat, first_name=f"U{chat}", language_code="vi")
    async with harness:
        world = await setup_world(harness)
        async with harness.services.sessions.begin() as session:
            village = await units.add_village(session, world.commune, "Thôn 1")
            await units.add_village(session, world.commune, "Thôn 2")
            await person(session, HOA, Role.COMMUNE_COORDINATOR, world.commune, language="vi")
            for chat in VILLAGERS:
                await person(session, chat, Role.COLLABORATOR, village, language="vi")
        yield harness


def draft(bot: BotHarness, user: int, key: str) -> dict:
    assert bot.app is not None
    return bot.app.user_data[user].get(key, {})


# The kit.
def test_several_choices_typed_with_a_group_word_and_done():
    options = [("Phụ nữ", "woman"), ("Trẻ em gái", "girl"), ("Trẻ em trai", "boy")]
    groups = [("Trẻ em, trẻ, con nhỏ", ["girl", "boy"])]
    typed = read_choices("phụ nữ, trẻ em", options, done=["Xong ➜"], groups=groups)
    assert (typed.picked, typed.done, typed.unknown) == (["woman", "girl", "boy"], False, None)
    typed = read_choices("PHU NU va tre em gai; xong", options, done=["Xong ➜"], groups=groups)
    assert (typed.picked, typed.done) == (["woman", "girl"], True)
    typed = read_choices("phụ nữ, hàng xóm", options, done=["Xong ➜"], groups=groups)
    assert typed.unknown == "hàng xóm"
    assert read_choices("xong", options, done=["Xong ➜"]).done


def test_whole_words_of_one_label_choose_it_only_where_asked_and_only_if_no_other_has_them():
    contact = [
        ("🙈 Giữ ẩn danh", "anon"),
        ("💬 Liên hệ với tôi qua Telegram", "tg"),
        ("📞 Để lại số điện thoại", "phone"),
    ]
    assert match_label("ẩn danh", contact, partial=True) == "anon"
    assert match_label("AN DANH", contact, partial=True) == "anon"
    assert match_label("ẩn danh", contact) is None  # a free-text step: only the label
    assert match_label("danh ẩn", contact, partial=True) is None  # the words in a row
    assert match_label("dan", contact, partial=True) is None  # whole words: not "danh"
    kinds = [
        ("Bạo lực gia đình", "dv"),
        ("Bạo lực tình dục, quấy rối", "sv"),
        ("Bạo lực, xâm hại trẻ em", "child"),
    ]
    assert match_label("bạo lực", kinds, partial=True) is None  # in three labels
    assert match_label("tinh duc", kinds, partial=True) == "sv"
    when = [("Không rõ", "unknown"), ("Không muốn nói", "secret"), ("Không", "no")]
    assert match_label("không", when, partial=True) == "no"  # a label itself comes first
    assert match_label("không", when[:2], partial=True) is None
    # A checklist: a part that is a word of one label, or of the Done button.
    people = [("Phụ nữ", "woman"), ("Người cao tuổi", "older"), ("Người khuyết tật", "dis")]
    typed = read_choices("cao tuổi, khuyết tật, xong", people, done=["Xong ➜"], partial=True)
    assert (typed.picked, typed.done, typed.unknown) == (["older", "dis"], True, None)
    assert read_choices("người", people, done=["Xong ➜"], partial=True).unknown == "người"
    assert read_choices("cao tuổi", people, done=["Xong ➜"]).unknown == "cao tuổi"


# /broadcast.
async def test_broadcast_answered_by_typing_at_every_button_step(bot, sessions):
    await bot.send(HOA, "/broadcast")
    await bot.send(HOA, "Họp dân thôn 1 lúc 19h.")
    assert draft(bot, HOA, "bc")["step"] == "AUDIENCE"
    await bot.send(HOA, "vai trò")  # "👥 Vai trò"
    assert draft(bot, HOA, "bc")["step"] == "ROLES"
    replies = await bot.send(HOA, "cộng tác viên thôn, hàng xóm")
    assert texts(replies)[0] == (
        "“hàng xóm” không phải là một trong các nút bên dưới. Hãy bấm nút, hoặc gõ tên"
        " các mục cách nhau bằng dấu phẩy, rồi gõ “Xong”."
    )
    assert draft(bot, HOA, "bc")["roles"] == []
    await bot.send(HOA, "Cộng tác viên thôn")
    assert draft(bot, HOA, "bc")["roles"] == ["collaborator"]
    assert "✓ Cộng tác viên thôn" in bot.labels(HOA)  # ticked, still at the step
    await bot.send(HOA, "xong")
    assert draft(bot, HOA, "bc")["step"] == "AUDIENCE"
    await bot.send(HOA, "địa bàn")  # "📍 Địa bàn"
    assert draft(bot, HOA, "bc")["step"] == "PLACES"
    await bot.send(HOA, "thon 1, xong")  # a village button, then Done
    assert len(draft(bot, HOA, "bc")["places"]) == 1
    assert draft(bot, HOA, "bc")["step"] == "AUDIENCE"
    assert "Số người nhận hiện nay: <b>2</b>" in bot.last(HOA).html
    await bot.send(HOA, "tiếp tục")  # "➡ Tiếp tục"
    assert draft(bot, HOA, "bc")["step"] == "WHEN"
    await bot.send(HOA, "gửi ngay")  # "📤 Gửi ngay"
    assert draft(bot, HOA, "bc")["step"] == "CONFIRM"
    replies = await bot.send(HOA, "Gửi ngay")  # "📢 Gửi ngay", typed
    assert texts(replies)[-1].startswith("📢 Thông báo #")
    assert draft(bot, HOA, "bc") == {}
    async with sessions() as session:
        (sent,) = (await session.scalars(select(Broadcast))).all()
    assert sent.text == "Họp dân thôn 1 lúc 19h."


async def test_broadcast_weekdays_typed_in_plain_words(bot):
    await bot.send(HOA, "/broadcast")
    await bot.send(HOA, "Sinh hoạt CLB.")
    await bot.send(HOA, "tiếp tục")
    await bot.send(HOA, "hẹn giờ")  # "🗓 Hẹn giờ"
    await bot.send(HOA, "25/11 08:00")
    await bot.send(HOA, "hằng tuần, vào các ngày đã chọn")
    assert draft(bot, HOA, "bc")["step"] == "WEEKDAYS"
    assert draft(bot, HOA, "bc")["weekdays"] == [2]  # the first day's, 25/11 a Wednesday
    replies = await bot.send(HOA, "thứ 2, T6 và chủ nhật, xong")
    assert draft(bot, HOA, "bc")["weekdays"] == [0, 2, 4, 6]
    assert draft(bot, HOA, "bc")["step"] == "UNTIL"
    assert texts(replies)[-1].startswith("Lặp lại đến ngày nào?")


async def test_broadcast_nobody_to_receive_typed_continue_says_so(bot):
    bot.api.add_user(PROVINCE, first_name="Tuan", language_code="en")
    await bot.send(COORDINATOR, "/broadcast")
    await bot.send(COORDINATOR, "Meeting tonight.")
    await bot.send(COORDINATOR, "roles")
    await bot.send(COORDINATOR, "province coordinator, done")  # none in the commune
    replies = await bot.send(COORDINATOR, "continue")
    assert texts(replies)[0] == "Nobody would receive it. Choose other places or roles."
    assert draft(bot, COORDINATOR, "bc")["step"] == "AUDIENCE"


# /report: who is affected.
async def test_report_who_is_affected_typed_in_vietnamese(bot):
    await bot.send(VISITOR, "/report")
    await bot.send(VISITOR, "không")
    await bot.send(VISITOR, "bạo lực gia đình")
    assert draft(bot, VISITOR, "report")["step"] == "AFFECTED"
    replies = await bot.send(VISITOR, "phụ nữ, trẻ em")
    assert draft(bot, VISITOR, "report")["affected"] == ["woman", "girl", "boy"]
    assert draft(bot, VISITOR, "report")["step"] == "AFFECTED"  # Done still to come
    assert all(m.protect_content for m in replies)
    assert {"✅ Phụ nữ", "✅ Trẻ em gái", "✅ Trẻ em trai"} <= set(bot.labels(VISITOR))
    replies = await bot.send(VISITOR, "hàng xóm")
    assert texts(replies)[0].startswith("“hàng xóm” không phải là một trong các nút")
    assert texts(replies)[-1] == "Ai bị ảnh hưởng? Chọn một hoặc nhiều, rồi bấm Xong."
    replies = await bot.send(VISITOR, "xong")
    assert draft(bot, VISITOR, "report")["step"] == "PLACE"
    await bot.send(VISITOR, "trà bồng")
    assert "Xã Trà Bồng — Quảng Ngãi" in bot.labels(VISITOR)
    await bot.send(VISITOR, "xã trà bồng")  # the listed place, typed without its province
    assert draft(bot, VISITOR, "report")["step"] == "WHEN"
    await bot.send(VISITOR, "hôm nay")
    await bot.send(VISITOR, "Chồng chị ấy đánh chị tối qua.")
    length = draft(bot, VISITOR, "report")["text_len"]
    await bot.send(VISITOR, "xong")  # the Done button, typed: not a piece of the report
    assert draft(bot, VISITOR, "report")["step"] == "CONTACT"
    assert draft(bot, VISITOR, "report")["text_len"] == length


async def test_report_buttons_chosen_by_words_only_one_of_them_has(bot):
    await bot.send(VISITOR, "/report")
    await bot.send(VISITOR, "không")
    replies = await bot.send(VISITOR, "bạo lực")  # in three of the buttons: none is chosen
    assert texts(replies) == ["Vui lòng chọn một trong các nút bên dưới.", "Chuyện gì đã xảy ra?"]
    assert draft(bot, VISITOR, "report")["step"] == "KIND"
    assert "Bạo lực gia đình" in bot.labels(VISITOR)  # asked again, with the buttons
    await bot.send(VISITOR, "tình dục")  # "Bạo lực tình dục, quấy rối"
    assert draft(bot, VISITOR, "report")["kind"] == "sexual_violence"
    await bot.send(VISITOR, "cao tuổi, xong")  # "Người cao tuổi", then Done
    assert draft(bot, VISITOR, "report")["affected"] == ["older"]
    assert draft(bot, VISITOR, "report")["step"] == "PLACE"
    await bot.send(VISITOR, "trà bồng")
    await bot.send(VISITOR, "xã trà bồng")
    await bot.send(VISITOR, "hôm nay")
    await bot.send(VISITOR, "bỏ qua")
    assert draft(bot, VISITOR, "report")["step"] == "CONTACT"
    assert "🙈 Giữ ẩn danh" in bot.labels(VISITOR)
    replies = await bot.send(VISITOR, "ẩn danh")  # "🙈 Giữ ẩn danh"
    assert draft(bot, VISITOR, "report")["contact"] == "anonymous"
    assert draft(bot, VISITOR, "report")["step"] == "SUMMARY"
    assert not any(t.startswith("Vui lòng chọn") for t in texts(replies))


async def test_report_stay_anonymous_typed_without_accents_or_in_english(bot):
    for user, answers, typed in (
        (VISITOR, ("không", "bạo lực gia đình", "phụ nữ, xong"), "an danh"),
        (REPORTER, ("no", "domestic violence", "woman, done"), "anonymous"),
    ):
        await bot.send(user, "/report")
        for answer in answers:
            await bot.send(user, answer)
        await bot.send(user, "trà bồng")
        await bot.send(user, "xã trà bồng")
        await bot.send(user, "hôm nay" if user == VISITOR else "today")
        await bot.send(user, "bỏ qua" if user == VISITOR else "skip")
        assert draft(bot, user, "report")["step"] == "CONTACT"
        await bot.send(user, typed)
        assert draft(bot, user, "report")["contact"] == "anonymous"
        assert draft(bot, user, "report")["step"] == "SUMMARY"


async def test_report_who_is_affected_typed_in_english_with_done(bot):
    await bot.send(REPORTER, "/report")
    await bot.send(REPORTER, "no")
    await bot.send(REPORTER, "domestic violence")
    replies = await bot.send(REPORTER, "done")  # nothing chosen yet
    assert texts(replies)[0] == "Choose at least one."
    assert draft(bot, REPORTER, "report")["step"] == "AFFECTED"
    await bot.send(REPORTER, "Woman and older person, done")
    assert draft(bot, REPORTER, "report")["affected"] == ["woman", "older"]
    assert draft(bot, REPORTER, "report")["step"] == "PLACE"


async def test_adding_information_done_typed_is_not_information(bot):
    await file_report(bot)
    (incident,) = await incidents_in_db(bot)
    await bot.send(REPORTER, f"/report {incident.code}")
    await bot.send(REPORTER, "no")
    replies = await bot.send(REPORTER, "done")  # nothing added yet, and "done" is not information
    assert texts(replies, REPORTER) == ["Send some information first, or /exit to leave."]
    await bot.send(REPORTER, "They moved to her mother's house.")
    replies = await bot.send(REPORTER, "Done")
    assert texts(replies, REPORTER)[-1] == f"✅ Added to {incident.code}. Thank you."


# /summary, /villages, /addresses.
async def test_summary_buttons_typed(bot):
    await bot.send(HOA, "/summary")
    await bot.send(HOA, "địa bàn khác")  # "📍 Địa bàn khác"
    assert draft(bot, HOA, "sum")["step"] == "AREA"
    await bot.send(HOA, "quay lại")  # "◀ Quay lại"
    assert draft(bot, HOA, "sum")["step"] == "PERIOD"
    replies = await bot.send(HOA, "tháng này")
    assert draft(bot, HOA, "sum") == {}  # the summary was sent
    assert any("Trà Bồng" in text for text in texts(replies))
    await bot.send(COORDINATOR, "/export")
    await bot.send(COORDINATOR, "last month")
    assert draft(bot, COORDINATOR, "sum")["step"] == "FORMAT"
    await bot.send(COORDINATOR, "activities (csv)")
    assert draft(bot, COORDINATOR, "sum") == {}
    assert bot.api.bot_messages(COORDINATOR)[-1].kind == "document"


async def test_villages_commune_chosen_by_typing_its_name(bot):
    bot.api.add_user(PROVINCE, first_name="Tuan", language_code="en")
    await bot.send(PROVINCE, "/villages")
    await bot.send(PROVINCE, "tra bong")
    assert "Xã Trà Bồng, Quảng Ngãi" in bot.labels(PROVINCE)
    replies = await bot.send(PROVINCE, "xã trà bồng")  # the button, typed
    assert draft(bot, PROVINCE, "vil")["step"] == "NAME"
    assert texts(replies)[-1].startswith("Villages of Xã Trà Bồng")


async def test_addresses_buttons_and_services_typed(bot):
    await bot.send(COORDINATOR, "/addresses")
    await bot.send(COORDINATOR, "trạm y tế xã trà bồng")  # the entry's button
    assert draft(bot, COORDINATOR, "addr")["step"] == "VIEW"
    await bot.send(COORDINATOR, "edit")
    assert draft(bot, COORDINATOR, "addr")["step"] == "FORM"
    await bot.send(COORDINATOR, "services")
    assert draft(bot, COORDINATOR, "addr")["step"] == "SERVICES"
    replies = await bot.send(COORDINATOR, "counselling, karaoke")
    assert texts(replies)[0].startswith("“karaoke” is not one of the buttons below.")
    await bot.send(COORDINATOR, "counselling, medical care, done")
    assert draft(bot, COORDINATOR, "addr")["services"] == ["counselling", "medical"]
    assert draft(bot, COORDINATOR, "addr")["step"] == "FORM"
    replies = await bot.send(COORDINATOR, "save")
    assert "✅ Saved." in texts(replies)


# /hotline in the middle of a conversation.
async def test_hotline_in_a_step_gives_the_users_own_addresses_then_asks_again(bot):
    bot.api.add_user(STAFF_A, first_name="Lan", language_code="en")
    await bot.send(STAFF_A, "/report")
    replies = await bot.send(STAFF_A, "/hotline")
    said = texts(replies)
    assert said[0].startswith("National hotlines")
    assert said[1].startswith("Trusted addresses for Xã Trà Bồng, Quảng Ngãi")
    assert "Trạm y tế xã Trà Bồng" in said[1]
    assert said[-1] == "Is someone in danger right now?"
    assert all(m.protect_content for m in replies)
    # The same as /hotline outside a conversation.
    await bot.send(STAFF_A, "/exit")
    outside = texts(await bot.send(STAFF_A, "/hotline"))
    assert outside[:2] == said[:2]
    # In Vietnamese, in /broadcast.
    await bot.send(HOA, "/broadcast")
    said = texts(await bot.send(HOA, "/hotline"))
    assert said[0].startswith("Đường dây nóng quốc gia")
    assert said[1].startswith("Địa chỉ tin cậy tại Xã Trà Bồng, Quảng Ngãi")
    assert draft(bot, HOA, "bc")["step"] == "COMPOSE"


async def test_hotline_in_a_step_without_a_known_area_gives_the_numbers(bot):
    await bot.send(VISITOR, "/report")
    said = texts(await bot.send(VISITOR, "/hotline"))
    assert said[0].startswith("Đường dây nóng quốc gia")
    assert said[1] == "Hiện có ai đang gặp nguy hiểm không?"


# A split text across a restart.
async def test_a_held_part_joins_its_rest_after_a_restart(bot):
    await bot.send(HOA, "/broadcast")
    assert texts(await bot.send(HOA, "x" * SPLIT_AT), HOA) == []
    await bot.crash()  # the first part is in the committed state, not in memory only
    assert bot.app is not None
    assert kit.FRAGMENT in bot.app.user_data[HOA]
    replies = await bot.send(HOA, "y" * 904)
    assert "5.000" in texts(replies)[0]  # the whole text, refused as too long
    assert kit.FRAGMENT not in bot.app.user_data[HOA]
    assert "text" not in draft(bot, HOA, "bc")


async def test_a_held_part_alone_is_read_after_a_restart(bot, monkeypatch):
    await bot.send(HOA, "/broadcast")
    assert texts(await bot.send(HOA, "x" * SPLIT_AT), HOA) == []
    before = len(bot.api.bot_messages(HOA))
    monkeypatch.setattr(kit, "JOIN_SECONDS", 0.2)  # the window, for the new process
    await bot.crash()
    dead = bot.dead[-1].job_queue
    assert dead is not None
    await dead.stop(wait=False)  # the job that would read it alone died with the process
    assert bot.app is not None
    # The new process reads it within a second or two.
    assert await eventually(lambda: len(bot.api.bot_messages(HOA)) > before)
    said = texts(bot.api.bot_messages(HOA)[before:])
    assert said and "4.096" in said[0]  # read as the answer, not dropped: too long
    assert kit.FRAGMENT not in bot.app.user_data[HOA]


async def test_a_held_part_is_read_with_a_message_that_comes_before_its_reader(bot, monkeypatch):
    await bot.send(HOA, "/broadcast")
    monkeypatch.setattr(kit, "JOIN_SECONDS", 0.2)
    assert texts(await bot.send(HOA, "x" * SPLIT_AT), HOA) == []
    monkeypatch.setattr(kit, "resume_held_parts", lambda application: 0)  # not yet run
    await bot.crash()
    dead = bot.dead[-1].job_queue
    assert dead is not None
    await dead.stop(wait=False)
    await asyncio.sleep(1.1)  # past the window: not the next part of the same text
    replies = await bot.send(HOA, "Họp lúc 7 giờ.")
    assert "4.111" in texts(replies)[0]  # both read, as one text: refused, nothing dropped
    assert bot.app is not None
    assert kit.FRAGMENT not in bot.app.user_data[HOA]
    assert "text" not in draft(bot, HOA, "bc")


# The unusual totals.
def test_the_unusual_totals_are_one_table_the_operator_can_change():
    assert usual_limits() == USUAL_MAX
    assert USUAL_MAX[ActivityKind.DIRECT] == 300
    changed = usual_limits("direct=500; home_visit=0")
    assert changed[ActivityKind.DIRECT] == 500
    assert ActivityKind.HOME_VISIT not in changed
    assert changed[ActivityKind.TRAINING] == USUAL_MAX[ActivityKind.TRAINING]
    with pytest.raises(ValueError, match="unknown activity kind 'meeting'"):
        usual_limits("meeting=50")
    with pytest.raises(ValueError, match="expected direct=<number>"):
        usual_limits("direct=many")
    assert Settings(activity_usual_max="direct=500").activity_usual_max == "direct=500"
    with pytest.raises(ValueError, match="expected direct=<number>"):
        Settings(activity_usual_max="direct")

"""Conversations that take what people type (issue 14), in Vietnamese, through
the local Bot API: typed labels and plain words, split long messages,
commands at any step, the optional question of /hotline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from handlers.kit import SPLIT_AT, label_forms, match_label, match_labels
from storage import units
from storage.models import Activity, NoActivityReport, Role
from tests.handlers.conftest import ADMIN
from tests.handlers.report_helpers import SECRET
from tests.harness import BotHarness, eventually, texts
from tests.storage.helpers import person, tra_bong

LAN = 4001  # a village collaborator who reads Vietnamese
HOA = 4002  # the commune coordinator
VISITOR = 4003  # not registered


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN], secret_key=SECRET)
    harness.api.add_user(LAN, first_name="Lan", language_code="vi")
    harness.api.add_user(HOA, first_name="Hoa", language_code="vi")
    harness.api.add_user(VISITOR, first_name="Khách", language_code="vi")
    async with harness:
        async with harness.services.sessions.begin() as session:
            commune, _ = await tra_bong(session)
            village = await units.add_village(session, commune, "Thôn Trà Xinh")
            await units.add_village(session, commune, "Thôn 2")
            await person(session, LAN, Role.COLLABORATOR, village, language="vi")
            await person(session, HOA, Role.COMMUNE_COORDINATOR, commune, language="vi")
        yield harness


def log_draft(bot: BotHarness, user: int = LAN) -> dict:
    assert bot.app is not None
    return bot.app.user_data[user].get("log", {})


async def to_language(bot: BotHarness) -> None:
    for answer in ("/log", "họp dân", "hôm nay", "thôn 2", "45/30/15/0/0/40", "bình đẳng giới"):
        await bot.send(LAN, answer)
    assert log_draft(bot)["step"] == "LANGUAGE"


def test_a_label_is_matched_without_accents_case_emoji_or_markup():
    label = "✓ Truyền thông trực tiếp (họp dân, sinh hoạt)"
    assert {"truyen thong truc tiep", "hop dan", "sinh hoat"} <= label_forms(label)
    options = [(label, "direct"), ("Sân khấu hóa (lễ hội, phiên chợ)", "staged")]
    assert match_label("<b>HỌP DÂN</b> 🙂", options) == "direct"
    assert match_label("phien cho", options) == "staged"
    assert match_label("truyền thông", options) is None  # part of a label is not the label
    topics = [("Bạo lực gia đình", "dv"), ("Tảo hôn", "cm")]
    assert match_labels("bạo lực gia đình, tảo hôn", topics) == ["dv", "cm"]
    assert match_labels("tảo hôn và bạo lực gia đình", topics) == ["cm", "dv"]
    assert match_labels("tảo hôn, xổ số", topics) is None


async def test_log_typed_labels_and_plain_words_at_every_step(bot):
    await bot.send(LAN, "/log")
    assert "Truyền thông trực tiếp (họp dân, sinh hoạt)" in bot.labels(LAN)
    await bot.send(LAN, "họp dân")  # words of the kind's label
    assert log_draft(bot)["kind"] == "direct"
    assert log_draft(bot)["step"] == "DATE"
    await bot.send(LAN, "Hôm qua")  # the button's label, typed
    assert log_draft(bot)["held_on"] == "2026-11-19"
    await bot.send(LAN, "thon tra xinh")  # a place button, typed without accents
    assert log_draft(bot)["step"] == "COUNT_TOTAL"
    await bot.send(LAN, "45 người")
    assert log_draft(bot)["participants"] == {"total": 45}
    await bot.send(LAN, "30 nữ")
    await bot.send(LAN, "15")
    assert log_draft(bot)["participants"]["girls"] == 0  # adults only: children not asked
    await bot.send(LAN, "Tất cả")  # "Tất cả (45)" typed
    assert log_draft(bot)["participants"]["ethnic_minority"] == 45
    await bot.send(LAN, "bạo lực gia đình, tảo hôn")
    assert log_draft(bot)["topics"] == ["domestic_violence", "child_marriage"]
    await bot.send(LAN, "tiếng Việt và Cor")
    assert log_draft(bot)["language"] == "both"
    assert log_draft(bot)["ethnic_language"] == "Cor"
    await bot.send(LAN, "Tiếp tục")  # the Continue button, typed: not a note
    assert "note" not in log_draft(bot)
    assert log_draft(bot)["step"] == "SUMMARY"


async def test_a_language_alone_and_an_answer_that_does_not_fit(bot):
    await to_language(bot)
    replies = await bot.send(LAN, "1234")
    # What is expected, in the user's words, and the buttons again; no codes.
    assert "tiếng Việt" in texts(replies)[0]
    assert "dt:" not in texts(replies)[0]
    assert bot.labels(LAN)  # the buttons again
    await bot.send(LAN, "tiếng Cor")
    assert log_draft(bot)["language"] == "ethnic"
    assert log_draft(bot)["ethnic_language"] == "Cor"


async def test_an_unknown_kind_gets_the_buttons_again_without_codes(bot):
    await bot.send(LAN, "/log")
    replies = await bot.send(LAN, "đi chợ")
    assert "không phải là một loại hoạt động" in texts(replies)[0]
    assert "tt," not in texts(replies)[0]
    assert "Truyền thông trực tiếp (họp dân, sinh hoạt)" in bot.labels(LAN)
    await bot.send(LAN, "Sân khấu hóa")
    assert log_draft(bot)["kind"] == "staged"


async def test_a_split_note_is_joined_and_never_saved_as_a_fragment(bot):
    await to_language(bot)
    await bot.send(LAN, "Tiếng Việt")
    assert log_draft(bot)["step"] == "OPTIONAL"
    first = await bot.send(LAN, "a" * SPLIT_AT)
    assert texts(first, LAN) == []  # the rest is on its way: nothing said, nothing kept
    assert "note" not in log_draft(bot)
    replies = await bot.send(LAN, "g người tham gia.")
    assert "5.000" not in texts(replies)[0]
    assert "4.113" in texts(replies)[0]  # the whole text, measured against the note's limit
    assert "note" not in log_draft(bot)
    replies = await bot.send(LAN, "Buổi họp đông vui.")
    assert log_draft(bot)["note"] == "Buổi họp đông vui."


async def test_a_split_broadcast_is_never_sent_as_a_fragment(bot):
    await bot.send(HOA, "/broadcast")
    assert bot.app is not None
    await bot.send(HOA, "x" * SPLIT_AT)
    replies = await bot.send(HOA, "y" * 904)
    assert "5.000" in texts(replies)[0]  # refused as a whole, too long
    assert "text" not in bot.app.user_data[HOA]["bc"]
    await bot.send(HOA, "Họp dân tối thứ Sáu.")
    assert bot.app.user_data[HOA]["bc"]["text"] == "Họp dân tối thứ Sáu."


async def test_a_split_report_keeps_both_parts(bot):
    await bot.send(VISITOR, "/report")
    await bot.press(VISITOR, label="Không")
    await bot.press(VISITOR, index=1)
    await bot.press(VISITOR, index=1)
    await bot.press(VISITOR, label="Xong ➜")
    await bot.send(VISITOR, "Trà Bồng")
    await bot.press(VISITOR, index=1)
    assert bot.app is not None
    while bot.app.user_data[VISITOR]["report"].get("step") != "DETAILS":
        await bot.press(VISITOR, index=1)
    await bot.send(VISITOR, "a" * SPLIT_AT)
    await bot.send(VISITOR, "b" * 904)
    assert bot.app.user_data[VISITOR]["report"]["text_len"] == SPLIT_AT + 904


@pytest.mark.parametrize("command", ["/help", "/hotline", "/language"])
async def test_a_command_in_the_middle_of_log_answers_and_asks_again(bot, command):
    await bot.send(LAN, "/log")
    await bot.send(LAN, "họp dân")
    replies = await bot.send(LAN, command)
    first = {
        "/help": "Bạn có thể làm gì ở đây",
        "/hotline": "Đường dây nóng quốc gia",
        "/language": "Chọn ngôn ngữ của bạn:",
    }[command]
    assert texts(replies)[0].startswith(first)
    assert log_draft(bot)["step"] == "DATE"  # the same step, asked again
    assert "Hôm qua" in " ".join(bot.labels(LAN))
    await bot.send(LAN, "hôm qua")
    assert log_draft(bot)["held_on"] == "2026-11-19"


@pytest.mark.parametrize("command", ["/help", "/hotline", "/language"])
async def test_a_command_in_the_middle_of_a_report_answers_protected(bot, command):
    await bot.send(VISITOR, "/report")
    replies = await bot.send(VISITOR, command)
    assert texts(replies)[-1] == "Hiện có ai đang gặp nguy hiểm không?"
    assert all(m.protect_content for m in replies)
    if command == "/hotline":  # a person in danger gets the numbers at any moment
        assert texts(replies)[0].startswith("Đường dây nóng quốc gia")
    assert bot.app is not None
    assert bot.app.user_data[VISITOR]["report"]["step"] == "DANGER"


@pytest.mark.parametrize("command", ["/start", "/cancel"])
async def test_start_and_cancel_say_what_happened_to_the_draft(bot, command):
    await bot.send(LAN, "/log")
    await bot.send(LAN, "họp dân")
    replies = await bot.send(LAN, command)
    assert texts(replies)[0].startswith("Đã hủy. Không có gì được lưu.")
    assert log_draft(bot) == {}
    replies = await bot.send(LAN, "hôm qua")  # no longer read as an answer
    assert log_draft(bot) == {}


@pytest.mark.parametrize("command", ["/help", "/hotline", "/language"])
@pytest.mark.parametrize(
    "start",
    ["/broadcast", "/invite", "/calendar", "/targets", "/villages", "/summary", "/addresses"],
)
async def test_commands_at_a_step_of_each_conversation(bot, start, command):
    """Each command answers in each conversation of a coordinator, and the
    same question is asked again."""
    await bot.send(HOA, start)
    question = bot.api.bot_messages(HOA)[-1].text
    replies = await bot.send(HOA, command)
    first = {
        "/help": "Bạn có thể làm gì ở đây",
        "/hotline": "Đường dây nóng quốc gia",
        "/language": "Chọn ngôn ngữ của bạn:",
    }[command]
    assert texts(replies)[0].startswith(first), (start, texts(replies))
    assert texts(replies)[-1] == question, start  # the same question again


async def test_hotline_where_are_you_never_traps(bot):
    replies = await bot.send(VISITOR, "/hotline")
    assert texts(replies)[0].startswith("Đường dây nóng quốc gia")
    replies = await bot.send(VISITOR, "/start")  # as if the question had not been asked
    assert bot.app is not None
    assert "hotline" not in bot.app.user_data[VISITOR]
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "LANG"
    assert "hoàn thành bước này" not in " ".join(texts(replies))


async def test_a_full_province_name_selects_it(bot):
    await bot.send(VISITOR, "/start")
    await bot.press(VISITOR, index=1)
    await bot.press(VISITOR, index=1)
    assert bot.app is not None
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "PROVINCE"
    await bot.send(VISITOR, "Quảng Ngãi")
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "COMMUNE"


def test_dates_in_words_and_without_a_year():
    from storage.activities import parse_date

    thursday = date(2026, 12, 3)
    assert parse_date("hôm kia", thursday) == date(2026, 12, 1)
    assert parse_date("3 ngày trước", thursday) == date(2026, 11, 30)
    assert parse_date("thứ 2 tuần trước", thursday) == date(2026, 11, 23)
    assert parse_date("Thứ hai", thursday) == date(2026, 11, 30)
    assert parse_date("chủ nhật", thursday) == date(2026, 11, 29)
    assert parse_date("30/11", thursday) == date(2026, 11, 30)
    # Not yet this year: not a day of last year either.
    assert parse_date("31/12", thursday) == date(2026, 12, 31)
    # In early January, 31/12 is a few days ago.
    assert parse_date("31/12", date(2027, 1, 3)) == date(2026, 12, 31)


async def test_a_date_without_a_year_on_both_sides_of_today(bot):
    bot.clock.now = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    await bot.send(LAN, "/log")
    await bot.send(LAN, "họp dân")
    replies = await bot.send(LAN, "31/12")
    assert texts(replies)[0] == "Ngày 31/12/2026 chưa tới. Hãy ghi hoạt động sau khi đã tổ chức."
    assert log_draft(bot)["step"] == "DATE"
    await bot.send(LAN, "30/11")
    assert log_draft(bot)["held_on"] == "2026-11-30"


async def _log_one_line(bot: BotHarness, line: str) -> None:
    await bot.send(LAN, f"/log {line}")
    assert log_draft(bot)["step"] == "SUMMARY"


async def _count(bot: BotHarness) -> int:
    async with bot.services.sessions() as session:
        return int(await session.scalar(select(func.count(Activity.id))) or 0)


async def test_the_same_session_twice_is_asked_about_once(bot):
    await _log_one_line(bot, "tt 20/11 45/30/15/0/0/40 bdg")
    await bot.press(LAN, label="✅ Xác nhận")
    assert await _count(bot) == 1
    await _log_one_line(bot, "tt 20/11 45/30/15/0/0/40 bdg")
    await bot.press(LAN, label="✅ Xác nhận")
    assert bot.answer().startswith("Bạn đã ghi buổi này rồi, mã HD-")
    assert await _count(bot) == 1  # not saved yet: asked first
    await bot.press(LAN, label="✅ Xác nhận")  # once is enough
    assert await _count(bot) == 2


async def test_a_total_far_above_the_usual_is_confirmed_once(bot):
    await _log_one_line(bot, "tt 20/11 1000/500/500/0/0/0 bdg")
    await bot.press(LAN, label="✅ Xác nhận")
    assert bot.answer().startswith("1.000 người tham gia là nhiều hơn hẳn")
    assert await _count(bot) == 0
    await bot.press(LAN, label="✅ Xác nhận")
    assert await _count(bot) == 1


async def test_noactivity_for_a_month_with_sessions_is_refused_with_the_count(bot):
    await _log_one_line(bot, "tt 18/11 45/30/15/0/0/40 bdg")
    await bot.press(LAN, label="✅ Xác nhận")
    await bot.send(LAN, "/noactivity")
    replies = await bot.press(LAN, label="Không có hoạt động trong tháng 11/2026")
    assert texts(replies)[-1].startswith("Bạn đã ghi 1 buổi hoạt động trong tháng 11/2026")
    async with bot.services.sessions() as session:
        assert await session.scalar(select(func.count(NoActivityReport.id))) == 0


class Taps:
    """Counts what the user does: a tap, a typed message or a photo each."""

    def __init__(self, bot: BotHarness, user: int) -> None:
        self.bot, self.user, self.count = bot, user, 0

    async def press(self, label: str) -> list:
        self.count += 1
        return await self.bot.press(self.user, label=label)

    async def send(self, text: str) -> list:
        self.count += 1
        return await self.bot.send(self.user, text)

    async def photo(self) -> list:
        self.count += 1
        return await self.bot.photo(self.user)


async def test_a_first_time_collaborator_logs_a_village_meeting_in_ten(bot):
    """Yesterday's village meeting, 45 people (30 women, 15 men, 40 ethnic
    minority), domestic violence and child marriage, Vietnamese and Cor, a photo."""
    await bot.send(LAN, "/help")
    taps = Taps(bot, LAN)
    await taps.press("📝 Ghi hoạt động")
    await taps.send("họp dân")
    await taps.press("Hôm qua")
    await taps.press("Thôn Trà Xinh")
    await taps.send("45/30/15/0/0/40")
    await taps.send("bạo lực gia đình, tảo hôn")
    await taps.send("tiếng Việt và Cor")
    await taps.photo()
    await taps.press("Tiếp tục ➡")
    replies = await taps.press("✅ Xác nhận")
    assert "✅ Đã lưu. Mã hoạt động: HD-" in bot.last(LAN).text or any(
        "Đã lưu" in t for t in texts(replies)
    )
    assert taps.count == 10
    async with bot.services.sessions() as session:
        (activity,) = (await session.scalars(select(Activity))).all()
    assert (activity.total, activity.women, activity.men, activity.ethnic_minority) == (
        45,
        30,
        15,
        40,
    )
    assert activity.ethnic_language == "Cor"
    assert len(activity.photo_file_ids) == 1


async def test_a_returning_collaborator_logs_the_same_as_last_time_in_five(bot):
    await _log_one_line(bot, "tt 18/11 45/30/15/0/0/40 bdg,tao-hon vi+dt:Cor")
    await bot.press(LAN, label="✅ Xác nhận")
    await bot.send(LAN, "/help")
    taps = Taps(bot, LAN)
    await taps.press("📝 Ghi hoạt động")
    await taps.press("🔁 Như lần trước")
    await taps.press("Hôm nay")
    await taps.send("50/32/18/0/0/44")
    await taps.press("✅ Xác nhận")
    assert taps.count == 5
    async with bot.services.sessions() as session:
        rows = (await session.scalars(select(Activity).order_by(Activity.id))).all()
    assert len(rows) == 2
    first, again = rows
    assert (again.kind, again.unit_id, again.language, again.ethnic_language) == (
        first.kind,
        first.unit_id,
        first.language,
        first.ethnic_language,
    )
    assert again.total == 50 and again.held_on == date(2026, 11, 20)


async def test_a_one_line_log_in_the_middle_of_a_draft_is_kept_for_a_choice(bot):
    await bot.send(LAN, "/log")
    await bot.send(LAN, "họp dân")
    replies = await bot.send(LAN, "/log th 19/11 20/10/10/0/0/5 bdg")
    assert texts(replies)[0].startswith("Bạn đang ghi dở một hoạt động.")
    assert log_draft(bot)["kind"] == "direct"  # nothing lost yet
    await bot.press(LAN, label="Giữ hoạt động đang ghi dở")
    assert log_draft(bot)["step"] == "DATE"
    assert "pending_line" not in log_draft(bot)
    await bot.send(LAN, "/log th 19/11 20/10/10/0/0/5 bdg")
    await bot.press(LAN, label="Dùng dòng mới")
    assert log_draft(bot)["kind"] == "training"
    assert log_draft(bot)["held_on"] == "2026-11-19"


@pytest.mark.parametrize(
    ("button", "first"),
    [
        ("📞 Đường dây nóng và địa chỉ tin cậy", "Đường dây nóng quốc gia"),
        ("🆘 Báo tin bạo lực, kín đáo", "Bạn có thể báo tin về bạo lực tại đây."),
    ],
)
async def test_start_offers_hotline_and_report_at_once(bot, button, first):
    await bot.send(VISITOR, "/start")
    await bot.press(VISITOR, index=1)  # the language
    replies = await bot.press(VISITOR, label="Tôi chỉ cần số đường dây nóng hoặc muốn báo tin")
    assert bot.labels(VISITOR) == [
        "📞 Đường dây nóng và địa chỉ tin cậy",
        "🆘 Báo tin bạo lực, kín đáo",
    ]
    assert texts(replies)[-1].startswith("Bạn không cần đăng ký")
    replies = await bot.press(VISITOR, label=button)
    assert texts(replies)[0].startswith(first)


async def test_report_buttons_answered_by_typing_their_labels(bot):
    await bot.send(VISITOR, "/report")
    assert bot.app is not None
    replies = await bot.send(VISITOR, "không")  # "Không", typed
    assert bot.app.user_data[VISITOR]["report"]["danger"] is False
    assert bot.app.user_data[VISITOR]["report"]["step"] == "KIND"
    assert all(m.protect_content for m in replies)
    await bot.send(VISITOR, "bạo lực gia đình")  # a kind, typed without its emoji or case
    assert bot.app.user_data[VISITOR]["report"]["step"] == "AFFECTED"
    # A typed answer that fits no button: the reason and the buttons again.
    await bot.send(VISITOR, "/exit")
    await bot.send(VISITOR, "/report")
    replies = await bot.send(VISITOR, "có lẽ")
    assert texts(replies)[0] == "Vui lòng chọn một trong các nút bên dưới."
    assert bot.app.user_data[VISITOR]["report"]["step"] == "DANGER"
    replies = await bot.send(VISITOR, "Có")  # "🆘 Có, ngay bây giờ"
    assert bot.app.user_data[VISITOR]["report"]["danger"] is True


async def test_a_part_left_alone_is_read_on_its_own_after_the_window(bot, monkeypatch):
    from handlers import kit

    monkeypatch.setattr(kit, "JOIN_SECONDS", 0.2)
    await bot.send(HOA, "/broadcast")
    before = len(bot.api.bot_messages(HOA))
    assert texts(await bot.send(HOA, "x" * SPLIT_AT), HOA) == []
    # The job reads it within a second or two.
    assert await eventually(lambda: len(bot.api.bot_messages(HOA)) > before)
    reply = bot.api.bot_messages(HOA)[before].text or ""
    assert "4.096" in reply  # read as one text, too long for a broadcast
    assert bot.app is not None
    assert kit.FRAGMENT not in bot.app.user_data[HOA]


async def test_registration_buttons_answered_by_typing_their_labels(bot):
    await bot.send(VISITOR, "/start")
    assert bot.app is not None
    await bot.send(VISITOR, "tieng viet")  # "Tiếng Việt", typed without accents
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "ROLE"
    replies = await bot.send(VISITOR, "Cộng tác viên thôn")
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "PROVINCE"
    replies = await bot.send(VISITOR, "quảng ngãi")
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "COMMUNE"
    assert texts(replies)


async def test_a_commune_on_the_list_typed_in_full_is_chosen(bot):
    await bot.send(VISITOR, "/start")
    assert bot.app is not None
    await bot.send(VISITOR, "Tiếng Việt")
    await bot.send(VISITOR, "Cán bộ xã")
    await bot.send(VISITOR, "quảng ngãi")
    replies = await bot.send(VISITOR, "tra bong")  # several: Trà Bồng, Tây Trà Bồng, …
    assert "Xã Trà Bồng" in str(replies[-1].reply_markup)
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "COMMUNE"
    replies = await bot.send(VISITOR, "xã trà bồng")  # the button's name, typed
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "CONFIRM"
    assert "Xã Trà Bồng, Quảng Ngãi" in " ".join(texts(replies))


async def test_hotline_in_the_middle_of_registration_asks_the_same_again(bot):
    await bot.send(VISITOR, "/start")
    question = bot.api.bot_messages(VISITOR)[-1].text
    replies = await bot.send(VISITOR, "/hotline")
    assert texts(replies)[0].startswith("Đường dây nóng quốc gia")
    assert texts(replies)[-1] == question
    assert bot.app is not None
    assert "hotline" not in bot.app.user_data[VISITOR]  # no "where are you?" on top
    await bot.send(VISITOR, "tiếng việt")
    assert bot.app.user_data[VISITOR]["reg"]["step"] == "ROLE"


async def test_a_language_chosen_in_the_middle_of_log_keeps_the_draft(bot):
    await bot.send(LAN, "/log")
    await bot.send(LAN, "họp dân")
    replies = await bot.send(LAN, "/language")
    (choose,) = [m for m in replies if (m.text or "").startswith("Chọn ngôn ngữ")]
    replies = await bot.press_data(LAN, choose.message_id, "lang:en")
    assert texts(replies)[-1] == "Language changed. Send /help to see what you can do."
    assert log_draft(bot)["step"] == "DATE"
    await bot.send(LAN, "yesterday")
    assert log_draft(bot)["held_on"] == "2026-11-19"


async def test_broadcast_when_and_repeat_answered_by_typing_their_labels(bot):
    await bot.send(HOA, "/broadcast")
    await bot.send(HOA, "Họp dân tối thứ Sáu.")
    await bot.press(HOA, label="➡ Tiếp tục")
    assert bot.app is not None
    assert bot.app.user_data[HOA]["bc"]["step"] == "WHEN"
    await bot.send(HOA, "hẹn giờ")  # "🗓 Hẹn giờ", typed
    assert bot.app.user_data[HOA]["bc"]["step"] == "AT"
    await bot.send(HOA, "25/11 08:00")
    await bot.send(HOA, "Một lần")
    assert bot.app.user_data[HOA]["bc"]["repeat"] == "none"
    assert bot.app.user_data[HOA]["bc"]["step"] == "CONFIRM"


async def test_invite_role_and_days_answered_by_typing_their_labels(bot):
    await bot.send(HOA, "/invite")
    assert bot.app is not None
    await bot.send(HOA, "cong tac vien thon")  # "Cộng tác viên thôn", typed
    assert bot.app.user_data[HOA]["inv"]["role"] == "collaborator"
    await bot.send(HOA, "Thôn 2")
    await bot.press(HOA, index=1)
    assert bot.app.user_data[HOA]["inv"]["step"] == "DAYS"
    await bot.send(HOA, "7 ngày")
    assert bot.app.user_data[HOA]["inv"]["days"] == 7


async def test_calendar_menu_and_kind_answered_by_typing_their_labels(bot):
    await bot.send(HOA, "/calendar")
    assert bot.app is not None
    await bot.send(HOA, "thêm sự kiện của địa phương")
    assert bot.app.user_data[HOA]["cal"]["step"] == "TITLE"
    await bot.send(HOA, "Ngày hội gia đình thôn")
    assert bot.app.user_data[HOA]["cal"]["step"] == "KIND"
    await bot.send(HOA, "một ngày")
    assert bot.app.user_data[HOA]["cal"]["kind"] == "day"


async def test_the_summary_card_answered_by_typing_its_buttons(bot):
    await _log_one_line(bot, "tt 18/11 45/30/15/0/0/40 bdg")
    await bot.send(LAN, "✏️ ngày")  # "✏️ Ngày", typed: the date is asked again
    assert log_draft(bot)["step"] == "DATE"
    await bot.send(LAN, "hôm kia")
    assert log_draft(bot)["held_on"] == "2026-11-18"
    assert log_draft(bot)["step"] == "SUMMARY"
    replies = await bot.send(LAN, "xác nhận")
    assert any(t.startswith("✅ Đã lưu. Mã hoạt động: HD-") for t in texts(replies))
    assert await _count(bot) == 1
    # The same again, typed: the doubt is said in a message (there is no button alert).
    await _log_one_line(bot, "tt 18/11 45/30/15/0/0/40 bdg")
    replies = await bot.send(LAN, "Xác nhận")
    assert texts(replies)[0].startswith("Bạn đã ghi buổi này rồi, mã HD-")
    assert await _count(bot) == 1


async def test_a_part_kept_when_the_bot_restarted_is_still_read(bot, monkeypatch):
    from handlers import kit

    # The restart must come before the first process's timer (the window and
    # a second): a second and a half on a loaded machine, not 0.2 s.
    monkeypatch.setattr(kit, "JOIN_SECONDS", 0.5)
    await bot.send(HOA, "/broadcast")
    assert texts(await bot.send(HOA, "x" * SPLIT_AT), HOA) == []
    await bot.restart()  # within the window: the timer of the first process is gone
    before = len(bot.api.bot_messages(HOA))
    assert await eventually(lambda: len(bot.api.bot_messages(HOA)) > before)
    reply = bot.api.bot_messages(HOA)[before].text or ""
    assert "4.096" in reply  # read, not dropped at the next message
    assert bot.app is not None
    assert kit.FRAGMENT not in bot.app.user_data[HOA]

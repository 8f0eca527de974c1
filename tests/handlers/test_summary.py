"""/summary, /export, /targets and the "no activity" button through the local
Bot API: from logging activities to the summary, its chart and its files,
which are opened again and checked."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from handlers import export
from scheduler import jobs
from storage import units
from storage.models import NoActivityReport, Role, Target
from tests.handlers.conftest import USER
from tests.harness import BotHarness, texts
from tests.storage.helpers import person, tra_bong

COORDINATOR = 4001
QUIET = 4002  # a collaborator who logs nothing
HELPER = 4003  # a collaborator elsewhere in the commune


@pytest.fixture
async def people(bot: BotHarness):
    async with bot.services.sessions.begin() as session:
        commune, _province = await tra_bong(session)
        village = await units.add_village(session, commune, "Thôn 1")
        quiet_village = await units.add_village(session, commune, "Thôn 2")
        await units.add_village(session, commune, "Thôn 3")
        await person(session, USER, Role.COLLABORATOR, village, language="en")
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")
        await person(session, QUIET, Role.COLLABORATOR, quiet_village, language="vi")
        await person(session, HELPER, Role.TEAM_MEMBER, village, language="en")
    bot.api.add_user(COORDINATOR, first_name="Hoa", language_code="en")
    bot.api.add_user(QUIET, first_name="Mai", language_code="vi")
    bot.api.add_user(HELPER, first_name="Tuan", language_code="en")
    return commune


async def _log(bot: BotHarness, line: str, user: int = USER) -> None:
    await bot.send(user, f"/log {line}")
    await bot.press(user, label="✅ Confirm")


async def _logged(bot: BotHarness) -> None:
    # 20 November 2026 is the harness's today.
    await _log(bot, "tt 18/11 45/30/15/0/0/40 bdg,tao-hon dt:Cor")
    await _log(bot, "dt 19/11 20/8/6/4/2/5 blgd")
    await _log(bot, "th 02/11 12/6/6/0/0/0 bdg Chương trình 3", user=HELPER)


async def test_from_logging_to_the_summary_and_its_files(bot, people):
    await _logged(bot)
    replies = await bot.send(COORDINATOR, "/summary")
    assert "Summary of Xã Trà Bồng. Which period?" in texts(replies)[0]
    replies = await bot.press(COORDINATOR, label="This month")
    text = texts(replies, COORDINATOR)[0]
    assert "Xã Trà Bồng, Quảng Ngãi" in text
    assert "Month 11/2026 (01/11/2026 – 30/11/2026)" in text
    assert "3 sessions, 77 participants" in text
    assert "Women 44 · Men 27 · Girls 4 · Boys 2" in text
    assert "Ethnic-minority participants: 45" in text
    assert "Policy dialogue: 1 session, 20 participants" in text
    assert "• Gender equality: 2" in text
    assert "Ethnic-minority language: 1" in text
    assert "⚠️ Thôn 2: 0 sessions · 0/1 collaborators logged" in text
    assert "Thôn 1: 3 sessions, 77 participants · 2/2 collaborators logged" in text
    # A commune's own summary does not count the commune among its silent ones.
    assert "Communes with nothing logged" not in text
    assert "Villages with nothing logged" in text
    assert "silent: 1" in text
    assert "Villages with nothing logged: 2 of 3: Thôn 2, Thôn 3" in text
    photo = [m for m in replies if m.kind == "photo"]
    assert len(photo) == 1 and bot.api.file_bytes(photo[0].file_id).startswith(b"\x89PNG")
    assert bot.labels(COORDINATOR) == ["📗 XLSX", "📄 CSV", "🔔 Remind 1 silent collaborator"]

    # The spreadsheet, opened again.
    replies = await bot.press(COORDINATOR, label="📗 XLSX")
    (document,) = [m for m in replies if m.kind == "document"]
    assert "3 activities" in (document.caption or "")
    book = openpyxl.load_workbook(io.BytesIO(bot.api.file_bytes(document.file_id)))
    assert book.sheetnames == ["Targets", "Breakdowns", "Activities"]
    rows = list(book["Activities"].iter_rows(values_only=True))
    assert rows[0][:5] == ("Reference", "Date", "Province", "Commune", "Village")
    assert len(rows) == 4
    assert sum(r[10] for r in rows[1:]) == 77
    assert sum(r[11] for r in rows[1:]) == 44
    assert {r[16] for r in rows[1:]} == {"Lan", "Tuan"}  # display names only
    breakdown = {r[0]: r[1:8] for r in book["Breakdowns"].iter_rows(values_only=True) if r[0]}
    assert breakdown["Xã Trà Bồng, Quảng Ngãi"] == (3, 77, 44, 27, 4, 2, 45)
    assert breakdown["Policy dialogue"] == (1, 20, 8, 6, 4, 2, 5)
    assert breakdown["Thôn 1"][1:3] == (3, 77)

    # The CSV, through /export.
    await bot.send(COORDINATOR, "/export")
    await bot.press(COORDINATOR, label="This month")
    replies = await bot.press(COORDINATOR, label="📄 Activities (CSV)")
    (document,) = [m for m in replies if m.kind == "document"]
    assert document.file_id is not None
    content = bot.api.file_bytes(document.file_id).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    assert len(lines) == 4 and lines[1][1] == "2026-11-02"
    assert sorted(int(line[10]) for line in lines[1:]) == [12, 20, 45]


async def test_the_nudge_goes_through_the_sender_and_one_tap_answers_it(bot, people):
    await _logged(bot)
    await bot.send(COORDINATOR, "/summary")
    await bot.press(COORDINATOR, label="This month")
    await bot.press(COORDINATOR, label="🔔 Remind 1 silent collaborator")
    assert "Reminder queued for 1 silent collaborator" in bot.answer()
    assert bot.app is not None
    await jobs.sender_of(bot.app).drain()
    nudge = bot.api.bot_messages(QUIET)[-1]
    assert nudge.text == (
        "Xin chào! Cán bộ điều phối chưa nhận được hoạt động nào của bạn trong kỳ "
        "Tháng 11/2026 (01/11/2026 – 30/11/2026). Hãy ghi lại các buổi đã tổ chức bằng /log. "
        "Nếu không có hoạt động nào, hãy bấm nút bên dưới."
    )
    assert bot.labels(QUIET) == ["Không có hoạt động trong tháng 11/2026"]
    # A second press the same day sends nothing more.
    await bot.press(COORDINATOR, label="🔔 Remind 1 silent collaborator")
    assert "already been reminded" in bot.answer()
    # The quiet collaborator answers with one tap, even in the middle of /log.
    (question,) = await bot.send(QUIET, "/log")
    assert question.text == "Đó là loại hoạt động gì?"
    replies = await bot.press_data(QUIET, nudge.message_id, "na:202611")
    assert texts(replies, QUIET)[0].startswith(
        "Đã ghi nhận: không có hoạt động trong tháng 11/2026"
    )
    replies = await bot.press_data(QUIET, nudge.message_id, "na:202611")
    assert texts(replies, QUIET)[0] == "Bạn đã báo không có hoạt động trong tháng 11/2026 rồi."
    replies = await bot.press_data(QUIET, nudge.message_id, "na:202612")  # forged: the future
    assert "quá hạn" in texts(replies, QUIET)[0]
    # The /log draft is still there: its question goes on to the next step.
    await bot.press(QUIET, label="Truyền thông trực tiếp")
    asked = next(m for m in bot.api.bot_messages(QUIET) if m.message_id == question.message_id)
    assert (asked.text or "").startswith(
        "➜ Truyền thông trực tiếp (họp dân, sinh hoạt)\n\nHoạt động diễn ra ngày nào?"
    )
    async with bot.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(NoActivityReport)) == 1
    await bot.send(COORDINATOR, "/summary")
    replies = await bot.press(COORDINATOR, label="This month")
    text = texts(replies, COORDINATOR)[0]
    assert "said there was no activity: 1; silent: 0" in text
    assert "Remind" not in " ".join(bot.labels(COORDINATOR))


async def test_a_blocked_collaborator_is_skipped_and_nothing_is_lost(bot, people):
    bot.api.block(QUIET)
    await bot.send(COORDINATOR, "/summary")
    await bot.press(COORDINATOR, label="This month")
    await bot.press(COORDINATOR, label="🔔 Remind 3 silent collaborators")
    assert bot.app is not None
    await jobs.sender_of(bot.app).drain()
    assert bot.api.bot_messages(QUIET) == []
    assert "No activity in 11/2026" in bot.labels(USER)
    # The 403 marked them blocked: the next day's reminder leaves them out.
    bot.clock.now += timedelta(days=1)
    await bot.send(COORDINATOR, "/summary")
    await bot.press(COORDINATOR, label="This month")
    assert bot.labels(COORDINATOR)[-1] == "🔔 Remind 2 silent collaborators"


async def test_wrong_input_keeps_the_step_and_a_restart_loses_nothing(bot, people):
    await _logged(bot)
    replies = await bot.send(COORDINATOR, "/summary")
    replies = await bot.send(COORDINATOR, "hello")
    assert texts(replies)[0] == "Please choose one of the buttons below."
    assert "Which period?" in texts(replies)[1]
    replies = await bot.photo(COORDINATOR)
    assert texts(replies)[0] == "Please choose one of the buttons below."
    replies = await bot.send(COORDINATOR, "/frobnicate")
    assert "finish this step" in texts(replies)[0]
    await bot.press(COORDINATOR, label="📅 Other dates")
    for wrong, reason in (
        ("🙂🙂", "I could not read a period"),
        ("x" * 4096, "I could not read a period"),
        ("31/05/2026 - 01/01/2026", "The first date is after the second."),
        ("32/13/2026 - 01/01/2027", "That date does not exist"),
        ("2027", "That period has not started yet."),
        ("2000-01-01:2100-12-31", "A period can be at most 5 years long. Type a shorter one."),
        ("01/11/2021 - 01/11/2026", "A period can be at most 5 years long."),
    ):
        replies = await bot.send(COORDINATOR, wrong)
        assert texts(replies)[0].startswith(reason), texts(replies)
        assert "Type the period" in texts(replies)[1]
    replies = await bot.photo(COORDINATOR)
    assert texts(replies)[0] == "Please type your answer as text."
    await bot.restart()
    replies = await bot.send(COORDINATOR, "01/11/2026 - 19/11/2026")
    text = texts(replies, COORDINATOR)[0]
    assert "01/11/2026 – 19/11/2026" in text
    assert "3 sessions, 77 participants" in text
    # A stale period button from before is refused, a forged area too.
    first = next(m for m in bot.api.bot_messages(COORDINATOR) if "Which period?" in (m.text or ""))
    replies = await bot.press_data(COORDINATOR, first.message_id, "sm:p:this_month")
    assert "no longer valid" in bot.answer()
    replies = await bot.press_data(COORDINATOR, first.message_id, "sx:x:u1:m20261101-20261130")
    assert "no longer valid" in bot.answer()
    assert [m for m in replies if m.kind == "document"] == []


async def test_a_file_too_large_for_telegram_is_not_sent(bot, people, monkeypatch):
    monkeypatch.setattr(export, "MAX_UPLOAD_BYTES", 2000)  # the XLSX is larger, the CSV not
    await _logged(bot)
    await bot.send(COORDINATOR, "/summary")
    await bot.press(COORDINATOR, label="This month")
    replies = await bot.press(COORDINATOR, label="📗 XLSX")
    assert [m for m in replies if m.kind == "document"] == []
    (text,) = texts(replies, COORDINATOR)
    assert text.startswith("The file is ")
    assert "MB, more than Telegram lets a bot send (0 MB)." in text
    assert "Choose a shorter period or a smaller area" in text
    assert "on a computer with the command “binhdang report”" in text
    await bot.send(COORDINATOR, "/export")
    await bot.press(COORDINATOR, label="This month")
    replies = await bot.press(COORDINATOR, label="📄 Activities (CSV)")
    (document,) = [m for m in replies if m.kind == "document"]
    assert len(bot.api.file_bytes(document.file_id)) <= 2000


async def test_no_activity_command_declares_a_month(bot, people):
    visitor = 4005
    bot.api.add_user(visitor, first_name="Khách", language_code="en")
    replies = await bot.send(visitor, "/noactivity")
    assert texts(replies) == ["Only registered members can report a month without activity."]
    assert bot.labels(visitor) == []
    replies = await bot.send(USER, "/noactivity")
    assert texts(replies, USER)[0].startswith("Did you hold no session at all in a month?")
    assert bot.labels(USER) == [
        "No activity in 11/2026",
        "No activity in 10/2026",
        "No activity in 09/2026",
    ]
    replies = await bot.press(USER, label="No activity in 10/2026")
    assert texts(replies, USER)[-1].startswith("Noted: no activity in 10/2026. Thank you!")
    async with bot.services.sessions() as session:
        rows = (await session.execute(select(NoActivityReport.month))).scalars().all()
    assert rows == [date(2026, 10, 1)]
    # The coordinator's summary of October counts it; November is untouched.
    await bot.send(COORDINATOR, "/summary")
    text = texts(await bot.press(COORDINATOR, label="Last month"), COORDINATOR)[0]
    assert "said there was no activity: 1; silent: 2" in text
    await bot.send(COORDINATOR, "/summary")
    text = texts(await bot.press(COORDINATOR, label="This month"), COORDINATOR)[0]
    assert "said there was no activity: 0; silent: 3" in text


async def test_other_area_and_who_may_ask(bot, people):
    replies = await bot.send(USER, "/summary")
    assert "Only coordinators" in texts(replies)[0]
    await bot.send(COORDINATOR, "/summary")
    await bot.press(COORDINATOR, label="📍 Other area")
    replies = await bot.send(COORDINATOR, "binh son")  # another commune: not under theirs
    assert "No place under your area matches" in texts(replies)[0]
    await bot.send(COORDINATOR, "thon 1")
    await bot.press(COORDINATOR, label="Thôn 1, Xã Trà Bồng, Quảng Ngãi")
    replies = await bot.press(COORDINATOR, label="Last month")
    text = texts(replies, COORDINATOR)[0]
    assert "Thôn 1, Xã Trà Bồng, Quảng Ngãi" in text
    assert "Month 10/2026" in text and "0 sessions, 0 participants" in text


SEED_TARGETS = """area,year,indicator,kind,topic,field,keyword,value,population,label
{code},2026,sessions,dt,,,,21,,Đối thoại chính sách cấp xã và cụm thôn
{code},2026,sessions,th,,,Chương trình 3,4,,Tập huấn lồng ghép giới (Chương trình 3)
{code},2026,share,,tao-hon,women,,80,100,Phụ nữ được tuyên truyền về tảo hôn
"""


async def test_targets_by_csv_and_step_by_step(bot, people):
    await _logged(bot)
    replies = await bot.send(COORDINATOR, "/targets")
    assert "No targets yet." in texts(replies)[0]
    await bot.press(COORDINATOR, label="📥 Import a CSV file")
    replies = await bot.send(COORDINATOR, "not a file")
    assert "as a document" in texts(replies)[0]
    bad = SEED_TARGETS.format(code=people.code).replace(",80,", ",180,")
    update_id = await bot.api.send_document(COORDINATOR, bad.encode(), "chi-tieu.csv")
    replies = await bot._settle(update_id)
    assert "Line 4: a share is a percent from 1 to 100. Nothing was imported" in texts(replies)[0]
    update_id = await bot.api.send_document(
        COORDINATOR, SEED_TARGETS.format(code=people.code).encode("utf-8-sig"), "chi-tieu.csv"
    )
    replies = await bot._settle(update_id)
    assert "Imported: 3 new targets, 0 changed." in texts(replies)[0]
    view = texts(replies)[1]
    assert "Đối thoại chính sách cấp xã và cụm thôn: 1/21" in view
    assert "Tập huấn lồng ghép giới (Chương trình 3): 1/4 (25%)" in view
    assert "Phụ nữ được tuyên truyền về tảo hôn: 30% / 80% (30/100)" in view
    # One more, by buttons: 3 "Leaders of Change" clubs.
    await bot.press(COORDINATOR, label="➕ Add a target")
    await bot.press(COORDINATOR, label="Number of places where it runs (clubs, groups)")
    await bot.press(COORDINATOR, label="“Leaders of Change” club")
    replies = await bot.send(COORDINATOR, "ba")
    assert "whole number" in texts(replies)[0]
    await bot.send(COORDINATOR, "3")
    replies = await bot.press(COORDINATOR, label="Keep the name shown")
    assert "Saved: Places with: “Leaders of Change” club, target 3." in texts(replies)[0]
    async with bot.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Target)) == 4
    await bot.press(COORDINATOR, label="✅ Done")
    # The summary shows them, behind schedule in November.
    await bot.send(COORDINATOR, "/summary")
    replies = await bot.press(COORDINATOR, label="This year")
    text = texts(replies, COORDINATOR)[0]
    assert "Targets 2026 (as of 20/11/2026)" in text
    assert "⚠️ Đối thoại chính sách cấp xã và cụm thôn: 1/21 (5%)" in text
    replies = await bot.press(COORDINATOR, label="📗 XLSX")
    (document,) = [m for m in replies if m.kind == "document"]
    sheet = openpyxl.load_workbook(io.BytesIO(bot.api.file_bytes(document.file_id)))["Targets"]
    table = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert [(r[1], r[3], r[4]) for r in table][:2] == [
        ("Đối thoại chính sách cấp xã và cụm thôn", 21, 1),
        ("Tập huấn lồng ghép giới (Chương trình 3)", 4, 1),
    ]


async def test_a_session_logged_at_23_30_on_31_may_counts_in_may(bot, people):
    # 16:30 UTC is 23:30 in Asia/Ho_Chi_Minh: still 31 May there.
    bot.clock.now = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)
    await _log(bot, "tt today 45/30/15/0/0/40 bdg")
    bot.clock.now = datetime(2026, 5, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 June
    await _log(bot, "dt today 20/8/6/4/2/5 blgd")
    await bot.send(COORDINATOR, "/summary")
    june = texts(await bot.press(COORDINATOR, label="This month"), COORDINATOR)[0]
    assert "Month 6/2026" in june and "1 session, 20 participants" in june
    await bot.send(COORDINATOR, "/summary")
    may = texts(await bot.press(COORDINATOR, label="Last month"), COORDINATOR)[0]
    assert "Month 5/2026" in may and "1 session, 45 participants" in may

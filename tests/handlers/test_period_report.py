"""/periodreport through the local Bot API: a commune coordinator prepares
and submits the annual report; the province returns it with a comment; the
commune corrects and submits again; the province accepts. Notices go
through the outbox; stale, forged and typed answers are handled."""

from __future__ import annotations

from sqlalchemy import select

from scheduler import jobs
from storage import audit
from storage.models import PeriodReport, Role
from tests.handlers.activities_helpers import (
    COORDINATOR,
    STRANGER,
    conversation_state,
    draft,
    setup_people,
    tap,
)
from tests.handlers.conftest import USER
from tests.harness import texts
from tests.storage.helpers import person
from tests.storage.reports_data import activity, log

PROVINCE = 3001


async def _world(bot):
    places = await setup_people(bot)
    async with bot.services.sessions.begin() as session:
        from storage.models import Unit, User

        province = await session.get(Unit, places.commune.parent_id)
        await person(session, PROVINCE, Role.PROVINCE_COORDINATOR, province, language="vi")
        reporter = await session.scalar(select(User).where(User.telegram_id == USER))
        await log(
            session, activity(places.village, reporter, __import__("datetime").date(2026, 10, 2))
        )
    bot.api.add_user(PROVINCE, first_name="Tỉnh", language_code="vi")
    return places


async def _deliver(bot) -> None:
    await jobs.sender_of(bot.app).drain()


async def _report(bot) -> PeriodReport:
    async with bot.services.sessions() as session:
        return await session.scalar(select(PeriodReport))


async def test_prepare_submit_return_resubmit_accept(bot):
    await _world(bot)
    first = texts(await bot.send(COORDINATOR, "/periodreport"))
    assert first == ["📝 Period reports. Which report?"]
    assert bot.labels(COORDINATOR) == ["Six-month report 2026", "Annual report 2026", "✖ Close"]
    view = texts(await bot.press(COORDINATOR, label="Annual report 2026"))[0]
    assert view.startswith(
        "📝 Annual report 2026 – Xã Trà Bồng\nYear 2026 (01/01/2026 – 31/12/2026)"
    )
    assert "Due: 05/12/2026 · State: Draft" in view
    assert "\nFigures compiled now\n1 session, 15 participants\nWomen 10 · Men 5" in view, view
    # Submitting before writing: refused, and the report stays a draft.
    replies = texts(await bot.press(COORDINATOR, label="📤 Submit to the level above"))
    assert replies[0] == "Please write the three sections before submitting."
    await bot.press(COORDINATOR, label="✍️ Results")
    # A photo where text is expected: said so, the question again.
    replies = texts(await bot.photo(COORDINATOR))
    assert replies[0] == "Please type the section as text."
    replies = texts(await bot.send(COORDINATOR, "Đã tổ chức 1 buổi truyền thông tại Thôn 1."))
    assert replies[0] == "✅ Saved: “Results” (42 characters)."
    # A typed label counts as the button.
    replies = texts(await bot.send(COORDINATOR, "difficulties"))
    assert replies[0].startswith("✍️ Write the section “Difficulties, obstacles and their causes”")
    # A text Telegram split at 4,096 characters: saved once, whole.
    head = "Thiếu kinh phí. " * 256
    assert texts(await bot.send(COORDINATOR, head)) == []
    replies = texts(await bot.send(COORDINATOR, "Hết."))
    assert replies[0] == "✅ Saved: “Difficulties, obstacles and their causes” (4,100 characters)."
    report = await _report(bot)
    assert report.difficulties == (head + "Hết.").strip()
    # The back button's label typed goes back; it is not saved as the section.
    await bot.press(COORDINATOR, label="✍️ Proposals")
    replies = texts(await bot.send(COORDINATOR, "back"))
    assert (
        replies[0].startswith("📝 Annual report 2026")
        and "Proposals and recommendations\n— not written yet" in replies[0]
    )
    # /cancel says the sections are kept, and they are.
    replies = texts(await bot.send(COORDINATOR, "/cancel"))
    assert replies == ["Closed. What you wrote is saved; send /periodreport to come back."]
    await bot.send(COORDINATOR, "/periodreport")
    view = texts(await bot.press(COORDINATOR, label="Annual report 2026"))[0]
    assert "Đã tổ chức 1 buổi truyền thông tại Thôn 1." in view
    await bot.press(COORDINATOR, label="✍️ Proposals")
    await bot.send(COORDINATOR, "Đề nghị mở lớp tập huấn.")
    submit_message = bot.api.bot_messages(COORDINATOR)[-1].message_id
    replies = texts(await bot.press(COORDINATOR, label="📤 Submit to the level above"))
    assert replies[0].startswith("📤 Submitted.")
    assert "Figures as submitted on 20/11/2026" in replies[1]
    # The same button again (a double press): nothing submitted twice.
    replies = texts(await bot.press_data(COORDINATOR, submit_message, f"pr:s:{report.id}:0"))
    assert replies[0].startswith("This report has changed meanwhile")
    async with bot.services.sessions() as session:
        steps = [e.action for e in await audit.history(session, "period_report", report.id)]
    assert steps.count("submit") == 1
    # The province is told, in Vietnamese, with a button that opens it.
    await _deliver(bot)
    notice = bot.last(PROVINCE)
    assert notice.text.startswith(
        "📨 Xã Trà Bồng đã nộp Báo cáo năm 2026 (01/01/2026 – 31/12/2026)."
    )
    view = texts(await bot.press(PROVINCE, label="📂 Mở báo cáo"))[0]
    assert "Tình trạng: Đã nộp" in view and "Số liệu khi nộp ngày 20/11/2026" in view
    await bot.press(PROVINCE, label="↩️ Trả lại kèm ý kiến")
    replies = texts(await bot.send(PROVINCE, "Bổ sung số liệu tháng 11."))
    assert replies[0] == "↩️ Đã trả lại kèm ý kiến. Xã đã được thông báo."
    await _deliver(bot)
    told = bot.last(COORDINATOR).text
    assert (
        told.startswith("↩️ The Annual report 2026 of Xã Trà Bồng was returned for correction:")
        and "Bổ sung số liệu tháng 11." in told
    )
    view = texts(await bot.press(COORDINATOR, label="📂 Open the report"))[0]
    assert "State: Returned for correction" in view and "↩️ Bổ sung số liệu tháng 11." in view
    await bot.press(COORDINATOR, label="✍️ Results")
    await bot.send(COORDINATOR, "Đã bổ sung số liệu tháng 11.")
    replies = texts(await bot.press(COORDINATOR, label="📤 Submit to the level above"))
    assert replies[0].startswith("📤 Submitted.")
    # The province's list: Trà Bồng submitted, Bình Sơn missing.
    await bot.send(PROVINCE, "/periodreport")
    listing = texts(await bot.press(PROVINCE, label="Báo cáo năm 2026"))[0]
    assert "📨 Xã Trà Bồng — Đã nộp 20/11/2026" in listing
    missing = next(line for line in listing.split("\n") if line.startswith("⏳"))
    assert missing.startswith("⏳ chưa nộp, hạn 05/12/2026 (95): Phường Cẩm Thành, ")
    assert "Xã Bình Sơn" in missing and "Xã Trà Bồng" not in missing
    await bot.press(PROVINCE, label="📨 Xã Trà Bồng")
    replies = texts(await bot.press(PROVINCE, label="✅ Tiếp nhận"))
    assert replies[0] == "✅ Đã tiếp nhận. Xã đã được thông báo."
    assert "Tình trạng: Đã tiếp nhận" in replies[1]
    report = await _report(bot)
    assert report.state.value == "accepted" and report.submissions == 2
    # A forged button: a clear answer, nothing changes.
    last = bot.api.bot_messages(PROVINCE)[-1].message_id
    await bot.press_data(PROVINCE, last, "pr:a:99999:1")
    assert bot.answer() == "Nút này thuộc bước trước. Vui lòng dùng tin nhắn mới nhất."
    # The XLSX of the accepted report.
    replies = await bot.press(PROVINCE, label="📥 Tệp XLSX")
    (document,) = [m for m in replies if m.kind == "document"]
    assert bot.api.file_bytes(document.file_id)[:2] == b"PK"
    await _deliver(bot)
    assert bot.last(COORDINATOR).text == "✅ The Annual report 2026 of Xã Trà Bồng was accepted."


async def test_who_may_not(bot):
    await _world(bot)
    assert texts(await bot.send(USER, "/periodreport")) == [
        "Only coordinators prepare and review period reports."
    ]
    await bot.send(COORDINATOR, "/periodreport")
    await bot.press(COORDINATOR, label="Annual report 2026")
    report = await _report(bot)
    # Someone else pressing an "open" button of this report (a forwarded notice).
    bot.api.add_user(STRANGER, first_name="Minh", language_code="en")
    await bot.send(STRANGER, "/help")
    message = bot.api.bot_messages(STRANGER)[-1].message_id
    replies = texts(await bot.press_data(STRANGER, message, f"pr:o:{report.id}"))
    assert replies == ["That report is no longer available, or not one you can see."]


async def test_open_the_report_in_the_middle_of_another_conversation(bot):
    """A notice's "📂 Open the report" works in any state (group -1): a
    coordinator mid-/log sees the report and how to act on it, and the /log
    draft is still there, at the same question."""
    await _world(bot)
    await bot.send(COORDINATOR, "/periodreport")
    await bot.press(COORDINATOR, label="Annual report 2026")
    for label, text in (("✍️ Results", "Kết quả"), ("✍️ Difficulties", "Khó khăn")):
        await bot.press(COORDINATOR, label=label)
        await bot.send(COORDINATOR, text)
    await bot.press(COORDINATOR, label="✍️ Proposals")
    await bot.send(COORDINATOR, "Đề xuất")
    await bot.press(COORDINATOR, label="📤 Submit to the level above")
    await bot.press(COORDINATOR, label="✖ Close")
    await _deliver(bot)
    await bot.press(PROVINCE, label="📂 Mở báo cáo")
    await bot.press(PROVINCE, label="↩️ Trả lại kèm ý kiến")
    await bot.send(PROVINCE, "Bổ sung số liệu tháng 11.")
    # The commune coordinator has begun logging an activity when the notice comes.
    await bot.send(COORDINATOR, "/log")
    await tap(bot, "Other", COORDINATOR)
    await bot.send(COORDINATOR, "Hội chợ việc làm")
    assert bot.labels(COORDINATOR) == ["Today (11/20/26)", "Yesterday (11/19/26)"]
    await _deliver(bot)
    notice = bot.last(COORDINATOR)
    assert notice.text.startswith("↩️ The Annual report 2026 of Xã Trà Bồng was returned")
    report = await _report(bot)
    opening = f"pr:o:{report.id}"
    replies = texts(await bot.press_data(COORDINATOR, notice.message_id, opening))
    assert len(replies) == 1, replies
    assert replies[0].startswith("📝 Annual report 2026 – Xã Trà Bồng")
    assert "State: Returned for correction" in replies[0]
    assert "↩️ Bổ sung số liệu tháng 11." in replies[0]
    assert "Finish it first, then press “📂 Open the report” again" in replies[0]
    assert bot.labels(COORDINATOR) == ["📂 Open the report"]
    assert bot.answer() == ""
    # The /log draft is kept: the date answered now goes on to the place.
    assert draft(bot, COORDINATOR)["kind_other"] == "Hội chợ việc làm"
    assert conversation_state(bot, COORDINATOR) is not None
    await bot.send(COORDINATOR, "18/11")
    assert "Thôn 1" in bot.labels(COORDINATOR)
    assert draft(bot, COORDINATOR)["kind_other"] == "Hội chợ việc làm"
    # Outside any conversation the same button opens the report to act on it.
    await bot.send(COORDINATOR, "/cancel")
    assert conversation_state(bot, COORDINATOR) is None
    view = texts(await bot.press_data(COORDINATOR, notice.message_id, opening))[0]
    assert "Finish it first" not in view
    assert "✍️ Results" in bot.labels(COORDINATOR)

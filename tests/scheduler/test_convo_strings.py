"""What native readers found (issue 14): no ✅ on a broadcast that reached
nobody, a round broadcast limit, one way of writing dates in Vietnamese."""

from __future__ import annotations

from datetime import date

from bot.i18n import translator
from scheduler.broadcasting import progress_text, report_text
from storage.broadcasts import Progress
from storage.models.broadcasts import Broadcast, BroadcastRun, BroadcastStatus


def _broadcast() -> Broadcast:
    return Broadcast(id=7, status=BroadcastStatus.DONE)


def test_a_broadcast_that_reached_nobody_has_no_check_mark():
    t = translator("vi")
    nobody = Progress(total=3, sent=0, blocked=3, failed=0, waiting=0, cancelled=0)
    report = report_text(t, _broadcast(), nobody)
    title = progress_text(t, _broadcast(), BroadcastRun(), nobody).splitlines()[0]
    assert not report.startswith("✅") and report.startswith("⚠️")
    assert not title.startswith("✅") and "không ai nhận được" in title
    some = Progress(total=3, sent=1, blocked=2, failed=0, waiting=0, cancelled=0)
    assert report_text(t, _broadcast(), some).startswith("✅")


def test_vietnamese_dates_are_written_one_way():
    assert translator("vi").date(date(2026, 12, 2)) == "02/12/2026"
    assert translator("en").date(date(2026, 12, 2)) == "12/2/26"


def test_the_broadcast_limit_shown_is_a_round_number():
    from handlers.broadcast import _limits

    text, caption = _limits("Xã Trà Bồng, Quảng Ngãi")
    assert text % 100 == 0 and 3900 <= text <= 4000
    assert caption % 100 == 0

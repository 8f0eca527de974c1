"""Pure parts of the local Bot API: HTML parsing, token buckets, fault injection."""

from __future__ import annotations

import pytest

from bot.localapi import Limits
from bot.localapi.formatting import (
    EntityParseError,
    command_entities,
    format_text,
    parse_html,
    utf16_len,
)
from bot.localapi.limits import FaultInjector, RateLimiter


def test_html_entities_use_utf16_offsets() -> None:
    plain, entities = parse_html("😀 <b>đậm</b> <pre><code class='language-py'>x</code></pre>")
    assert plain == "😀 đậm x"
    assert entities == [
        {"offset": 3, "length": 3, "type": "bold"},
        {"offset": 7, "length": 1, "type": "pre", "language": "py"},
    ]
    assert utf16_len("😀") == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("<b>x", "Can't find end tag"),
        ("<b>x</i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<span>x</span>", "Unsupported start tag"),
        ("a<br/>b", "Unsupported start tag"),
    ],
)
def test_html_errors(raw: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=message):
        parse_html(raw)


def test_format_text_strips_and_shifts_entities() -> None:
    plain, entities = format_text("  <i>hi</i> there \n", "HTML", None)
    assert plain == "hi there"
    assert entities == [{"offset": 0, "length": 2, "type": "italic"}]
    assert format_text("*raw*", "MarkdownV2", None) == ("*raw*", [])


def test_command_entities() -> None:
    assert command_entities("/help@binhdang_bot now") == [
        {"type": "bot_command", "offset": 0, "length": 18}
    ]
    assert command_entities("help") == []


def test_token_bucket_refills_over_time() -> None:
    limiter = RateLimiter(Limits(per_chat_per_s=1.0, global_per_s=2.0))
    assert limiter.acquire(1, now=0.0) is None
    assert limiter.acquire(1, now=0.1) == 1  # chat bucket empty, refills in 0.9 s
    assert limiter.acquire(2, now=0.2) is None
    assert limiter.acquire(3, now=0.3) == 1  # global bucket (capacity 2) empty
    assert limiter.acquire(1, now=1.0) is None  # both refilled enough
    slow = RateLimiter(Limits(per_chat_per_s=0.25))
    assert slow.acquire(7, now=0.0) is None
    assert slow.acquire(7, now=0.0) == 4
    assert slow.acquire(None, now=0.0) is None  # no chat: only the global bucket applies


def test_burst_allows_several_messages() -> None:
    limiter = RateLimiter(Limits(per_chat_per_s=1.0, burst_s=3.0))
    assert [limiter.acquire(1, now=0.0) for _ in range(4)] == [None, None, None, 1]


def test_fault_injection_is_seeded() -> None:
    def run(seed: int) -> list[bool]:
        faults = FaultInjector(Limits(server_error_rate=0.3, seed=seed))
        return [faults.should_fail() for _ in range(200)]

    assert run(1) == run(1)
    assert 20 < sum(run(1)) < 100
    assert not any(FaultInjector(Limits()).should_fail() for _ in range(50))


def test_telegram_preset() -> None:
    limits = Limits.telegram(server_error_rate=0.01)
    assert (limits.global_per_s, limits.per_chat_per_s) == (30.0, 1.0)
    assert limits.server_error_rate == 0.01
    assert Limits().global_per_s is None

"""/hotline through the local Bot API: the national numbers as data, then the
trusted addresses near a location, in a commune, or of the user's own commune."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from storage import hotlines, trusted_addresses
from tests.handlers.report_helpers import ADMIN, REPORTER, STAFF_A, setup_world
from tests.harness import BotHarness, texts

VIETNAMESE = 1002


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN])
    harness.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    harness.api.add_user(VIETNAMESE, first_name="Lan", language_code="vi")
    async with harness:
        await setup_world(harness)
        yield harness


async def test_national_numbers_then_the_nearest_addresses(bot):
    replies = await bot.send(REPORTER, "/hotline")
    national, question = texts(replies)
    lines = national.splitlines()
    assert lines[0] == "National hotlines"
    assert lines[1] == (
        "📞 113 — Police. Call at once when someone is in danger or a crime is happening."
    )
    assert any(line.startswith("📞 1900 969 680 — Peace House") for line in lines)
    assert any(line.startswith("📞 1800 1233 — Legal aid") for line in lines)
    assert "1800 1567" not in national  # replaced by 111 in 2017
    assert "share your location" in question
    assert replies[1].reply_keyboard is not None  # the location button
    update_id = await bot.api.send_location(REPORTER, 15.26, 108.51)
    await bot.app.wait_processed(update_id)
    listing = bot.last(REPORTER).text
    assert listing.startswith("Trusted addresses near you")
    assert "🏠 Trạm y tế xã Trà Bồng (1.5 km) — 🟢 open now" in listing
    assert "📞 +84 255 3822 123" in listing and "🕘 Open 24/7" in listing


async def test_a_commune_by_name_and_opening_hours(bot):
    async with bot.services.sessions.begin() as session:
        (existing,) = await trusted_addresses.in_area(session, None)
        await trusted_addresses.create(
            session,
            None,
            trusted_addresses.AddressData(
                name="Hội LHPN xã Trà Bồng",
                unit_ids=[existing.units[0].id],
                hours="T2-T6 7h30-11h30, 13h30-17h",
                services=[],
            ),
            bot.clock(),
        )
    bot.clock.now = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # Saturday, 10:00 local
    await bot.send(REPORTER, "/hotline")
    await bot.send(REPORTER, "tra bong")
    assert "Xã Trà Bồng — Quảng Ngãi" in bot.labels(REPORTER)
    replies = await bot.press(REPORTER, label="Xã Trà Bồng — Quảng Ngãi")
    listing = texts(replies)[0]
    assert listing.startswith("Trusted addresses for Xã Trà Bồng, Quảng Ngãi")
    assert "Hội LHPN xã Trà Bồng — 🔴 closed now" in listing
    assert "🕘 Mon–Fri 07:30–11:30, 13:30–17:00" in listing
    assert "Trạm y tế xã Trà Bồng — 🟢 open now" in listing
    replies = await bot.send(REPORTER, "/hotline")
    replies = await bot.send(REPORTER, "atlantis")
    assert texts(replies) == [
        "No commune or ward matches “atlantis”. Check the spelling and type it again."
    ]
    replies = await bot.send(REPORTER, "Skip")
    assert texts(replies) == ["Send /hotline again at any time."]


async def test_registered_staff_see_their_commune_and_vietnamese_reads_vietnamese(bot):
    replies = await bot.send(STAFF_A, "/hotline")
    assert len(replies) == 2
    assert texts(replies)[1].startswith("Trusted addresses for Xã Trà Bồng, Quảng Ngãi")
    replies = await bot.send(VIETNAMESE, "/hotline")
    assert "Đường dây nóng quốc gia" in texts(replies)[0]
    assert "📞 113 — Công an." in texts(replies)[0]


async def test_the_numbers_are_data(bot):
    async with bot.services.sessions.begin() as session:
        await hotlines.ensure_seeded(session, bot.clock())
        current = await hotlines.listing(session)
        edited = [
            hotlines.HotlineView(h.number, h.role, {**h.descriptions, "en": "Changed."})
            if h.number == "115"
            else h
            for h in current
            if h.number != "112"
        ]
        await hotlines.replace_all(session, edited, bot.clock())
    national = texts(await bot.send(REPORTER, "/hotline"))[0]
    assert "📞 115 — Changed." in national and "112" not in national

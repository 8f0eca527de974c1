"""/addresses through the local Bot API: a coordinator adds, edits and
deactivates a trusted address; staff confirm their entry with one tap; an
entry not confirmed for 60 days is flagged to its coordinator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers import alerts
from storage import trusted_addresses
from storage.models import AddressService, TrustedAddress
from tests.handlers.report_helpers import (
    ADMIN,
    COLLABORATOR,
    COORDINATOR,
    STAFF_A,
    STAFF_B,
    deliver,
    setup_world,
)
from tests.harness import BotHarness, texts


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN])
    async with harness:
        harness.world = await setup_world(harness)  # type: ignore[attr-defined]
        yield harness


async def entries(bot) -> list[TrustedAddress]:
    async with bot.services.sessions() as session:
        return list(
            (await session.scalars(select(TrustedAddress).order_by(TrustedAddress.id))).all()
        )


async def test_a_coordinator_adds_edits_and_deactivates(bot):
    replies = await bot.send(COORDINATOR, "/addresses")
    assert texts(replies)[0].startswith("Trusted addresses in your area: 1")
    assert bot.labels(COORDINATOR) == ["🏠 Trạm y tế xã Trà Bồng", "➕ Add a trusted address"]
    await bot.press(COORDINATOR, label="➕ Add a trusted address")
    await bot.send(COORDINATOR, "Nhà an toàn thôn 3")
    replies = await bot.send(COORDINATOR, "binh son")  # not in the coordinator's commune
    assert texts(replies) == [
        "No commune or village in your area matches that name. Please type it again."
    ]
    await bot.send(COORDINATOR, "tra bong")
    await bot.press(COORDINATOR, label="Xã Trà Bồng — Quảng Ngãi")
    replies = await bot.press(COORDINATOR, label="Done ➜")
    card = texts(replies)[0]
    assert card.startswith("Nhà an toàn thôn 3\nPlaces: Xã Trà Bồng")
    await bot.press(COORDINATOR, label="✏️ Phones")
    replies = await bot.send(COORDINATOR, "0905 123 456, abc")
    assert texts(replies)[0] == "“abc” is not a phone number."
    await bot.send(COORDINATOR, "0905 123 456")
    await bot.press(COORDINATOR, label="✏️ Opening hours")
    replies = await bot.send(COORDINATOR, "sometimes")
    assert texts(replies)[0] == "Opening hours not understood: “sometimes”."
    replies = await bot.send(COORDINATOR, "T2-T6 7h30-17h; T7 7h30-11h30")
    assert "Opening hours: Mon–Fri 07:30–17:00; Sat 07:30–11:30" in texts(replies)[0]
    await bot.press(COORDINATOR, label="✏️ Services")
    await bot.press(COORDINATOR, label="Temporary shelter")
    await bot.press(COORDINATOR, label="Counselling")
    await bot.press(COORDINATOR, label="Done ➜")
    await bot.press(COORDINATOR, label="✏️ Staff")
    assert bot.labels(COORDINATOR) == ["Lan", "Mai", "Done ➜"]
    await bot.press(COORDINATOR, label="Mai")
    replies = await bot.press(COORDINATOR, label="Done ➜")
    assert "Staff on the bot: Mai" in texts(replies)[0]
    replies = await bot.press(COORDINATOR, label="💾 Save")
    assert texts(replies)[0] == "✅ Saved."
    _, added = await entries(bot)
    assert (added.name, added.phones, added.hours) == (
        "Nhà an toàn thôn 3",
        ["0905123456"],
        "mon-fri 07:30-17:00; sat 07:30-11:30",
    )
    assert added.services == [AddressService.SHELTER.value, AddressService.COUNSELLING.value]

    # Edit, then deactivate.
    await bot.press(COORDINATOR, label="✏️ Edit")
    await bot.press(COORDINATOR, label="✏️ Name")
    await bot.send(COORDINATOR, "Nhà an toàn thôn 3 (Hội Phụ nữ)")
    await bot.press(COORDINATOR, label="💾 Save")
    replies = await bot.press(COORDINATOR, label="🚫 Deactivate")
    assert "🚫 Deactivated: not listed and not alerted." in texts(replies)[0]
    _, added = await entries(bot)
    assert (added.name, added.active) == ("Nhà an toàn thôn 3 (Hội Phụ nữ)", False)
    async with bot.services.sessions() as session:
        listed = await trusted_addresses.for_place(session, bot.world.commune.id)
    assert [v.name for v in listed] == ["Trạm y tế xã Trà Bồng"]


async def test_only_coordinators_manage(bot):
    replies = await bot.send(COLLABORATOR, "/addresses")
    assert texts(replies) == ["Only coordinators can manage trusted addresses."]


async def test_monthly_confirmation_and_the_out_of_date_flag(bot):
    bot.clock.now += timedelta(days=31)
    await alerts.run_checks(bot.app)
    await deliver(bot)
    question = bot.last(STAFF_A).text
    assert "Trạm y tế xã Trà Bồng" in question and "still correct" in question
    assert bot.labels(STAFF_A) == ["✅ Still correct", "✏️ Something changed"]
    await alerts.run_checks(bot.app)  # asked once a month, not at every check
    await deliver(bot)
    assert len(bot.api.bot_messages(STAFF_A)) == 1
    replies = await bot.press(STAFF_A, label="✅ Still correct")
    assert texts(replies) == ["Thank you, the entry is confirmed."]
    (entry,) = await entries(bot)
    assert entry.confirmed_at == bot.clock()
    await bot.press(STAFF_B, label="✏️ Something changed")
    assert "tell your commune coordinator" in bot.last(STAFF_B).text

    # Nobody confirms for 61 days: the coordinator hears of it, once.
    bot.clock.now += timedelta(days=61)
    await alerts.run_checks(bot.app)
    await alerts.run_checks(bot.app)
    await deliver(bot)
    flagged = [m for m in texts(bot.api.bot_messages(COORDINATOR)) if "out of date" in m]
    assert len(flagged) == 1 and "Trạm y tế xã Trà Bồng" in flagged[0]
    await bot.send(COORDINATOR, "/addresses")
    assert bot.labels(COORDINATOR)[0] == "⚠️ Trạm y tế xã Trà Bồng"

"""/addresses through the local Bot API: a coordinator adds, edits and
deactivates a trusted address; staff confirm their entry with one tap; an
entry not confirmed for 60 days is flagged to its coordinator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler import jobs
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
    await jobs.run_checks(bot.app)
    await deliver(bot)
    question = bot.last(STAFF_A).text
    assert "Trạm y tế xã Trà Bồng" in question and "still correct" in question
    assert bot.labels(STAFF_A) == ["✅ Still correct", "✏️ Something changed"]
    await jobs.run_checks(bot.app)  # asked once a month, not at every check
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
    await jobs.run_checks(bot.app)
    await jobs.run_checks(bot.app)
    await deliver(bot)
    flagged = [m for m in texts(bot.api.bot_messages(COORDINATOR)) if "out of date" in m]
    assert len(flagged) == 1 and "Trạm y tế xã Trà Bồng" in flagged[0]
    await bot.send(COORDINATOR, "/addresses")
    assert bot.labels(COORDINATOR)[0] == "⚠️ Trạm y tế xã Trà Bồng"


async def test_every_field_of_the_card_opens_its_own_step(bot):
    await bot.send(COORDINATOR, "/addresses")
    await bot.press(COORDINATOR, label="🏠 Trạm y tế xã Trà Bồng")
    await bot.press(COORDINATOR, label="✏️ Edit")
    card = bot.last(COORDINATOR)
    replies = await bot.press_data(COORDINATOR, card.message_id, "ad:f:list")  # forged
    assert texts(replies)[0].startswith("Trạm y tế xã Trà Bồng\nPlaces: Xã Trà Bồng")
    for button, question, answer in (
        ("✏️ Name", "Type the name of the trusted address", "Trạm y tế Trà Bồng"),
        ("✏️ Places", "Which communes or villages does it cover?", "Done ➜"),
        ("✏️ Address", "Type the address (street, village)", "-"),
        ("✏️ Phones", "Type the phone numbers", "-"),
        ("✏️ Opening hours", "Type the opening hours", "-"),
        ("✏️ Services", "Which services does it offer?", "Done ➜"),
        ("✏️ Staff", "Who works there?", "Done ➜"),
        ("✏️ Location", "Share the location of the address", "-"),
    ):
        replies = await bot.press(COORDINATOR, label=button)
        assert texts(replies)[0].startswith(question), button
        if answer == "Done ➜":
            replies = await bot.press(COORDINATOR, label=answer)
        else:
            replies = await bot.send(COORDINATOR, answer)
        assert texts(replies)[-1].startswith("Trạm y tế"), button
    await bot.press(COORDINATOR, label="💾 Save")
    (entry,) = await entries(bot)
    assert (entry.name, entry.address, entry.phones, entry.hours) == (
        "Trạm y tế Trà Bồng",
        "",
        [],
        "",
    )
    assert (entry.latitude, entry.longitude) == (None, None)


async def test_wrong_answers_on_the_card_ask_again(bot):
    await bot.send(COORDINATOR, "/addresses")
    await bot.press(COORDINATOR, label="🏠 Trạm y tế xã Trà Bồng")
    await bot.press(COORDINATOR, label="✏️ Edit")
    await bot.press(COORDINATOR, label="✏️ Address")
    replies = await bot.send(COORDINATOR, "x" * 301)
    assert texts(replies)[0] == "The address is too long (at most 300 characters)."
    assert texts(replies)[1].startswith("Type the address")
    replies = await bot.send(COORDINATOR, "Thôn 2,   xã Trà Bồng")
    assert "Address: Thôn 2, xã Trà Bồng" in texts(replies)[0]
    await bot.press(COORDINATOR, label="✏️ Location")
    replies = await bot.send(COORDINATOR, "north of the school")
    assert texts(replies)[0].startswith("Share the location of the address")
    replies = await bot.send(COORDINATOR, "95, 108")  # no such latitude
    assert texts(replies)[0].startswith("Share the location of the address")
    replies = await bot.send(COORDINATOR, "15.1; 108.8")
    assert texts(replies)[0] == "Location saved in the card."
    assert "Location: 15.10000, 108.80000" in texts(replies)[1]
    await bot.press(COORDINATOR, label="✏️ Location")
    update_id = await bot.api.send_location(COORDINATOR, 15.2, 108.7)
    replies = await bot._settle(update_id)
    assert texts(replies)[0] == "Location saved in the card."
    assert "Location: 15.20000, 108.70000" in texts(replies)[1]

    # Toggles: a second tap takes a choice back; a forged option asks again.
    await bot.press(COORDINATOR, label="✏️ Services")
    await bot.press(COORDINATOR, label="Temporary shelter")
    assert "✅ Temporary shelter" in bot.labels(COORDINATOR)
    await bot.press(COORDINATOR, label="Counselling")
    await bot.press(COORDINATOR, label="✅ Temporary shelter")
    assert bot.labels(COORDINATOR)[:2] == ["Temporary shelter", "✅ Counselling"]
    services = bot.last(COORDINATOR)
    replies = await bot.press_data(COORDINATOR, services.message_id, "ad:sv:bogus")
    assert texts(replies)[0].startswith("Which services does it offer?")
    await bot.press(COORDINATOR, label="Done ➜")
    await bot.press(COORDINATOR, label="✏️ Staff")
    assert bot.labels(COORDINATOR) == ["✅ Lan", "✅ Mai", "Done ➜"]
    await bot.press(COORDINATOR, label="✅ Lan")
    staff = bot.last(COORDINATOR)
    replies = await bot.press_data(COORDINATOR, staff.message_id, "ad:st:999999")
    assert texts(replies)[0].startswith("Who works there?")
    assert bot.labels(COORDINATOR) == ["Lan", "✅ Mai", "Done ➜"]
    replies = await bot.press(COORDINATOR, label="Done ➜")
    assert "Services: Counselling" in texts(replies)[0]
    assert "Staff on the bot: Mai" in texts(replies)[0]
    await bot.press(COORDINATOR, label="💾 Save")
    (entry,) = await entries(bot)
    assert entry.services == [AddressService.COUNSELLING.value]
    assert (entry.latitude, entry.longitude) == (15.2, 108.7)
    assert entry.address == "Thôn 2, xã Trà Bồng"

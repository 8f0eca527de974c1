"""/intake through the local Bot API: one line, no name, the message erased
(issue 16)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage import registers
from storage.incidents.crypto import Cipher
from storage.models import OutboxEntry, RegisterKind, ShelterIntake
from storage.shelter import referral_of
from tests.handlers.report_helpers import ADMIN, COLLABORATOR, SECRET, STAFF_A, setup_world
from tests.harness import BotHarness, texts


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN], secret_key=SECRET)
    async with harness:
        world = await setup_world(harness)
        async with harness.services.sessions.begin() as session:
            await registers.save(
                session,
                None,
                registers.EntryInput(
                    kind=RegisterKind.TRUSTED_ADDRESS,
                    unit_id=world.commune.id,
                    name="Nhà chị Bình",
                    shelters=True,
                ),
                harness.clock(),
            )
        yield harness


async def test_an_intake_in_one_line(bot):
    replies = await bot.send(STAFF_A, "/intake")
    assert texts(replies)[0].startswith("Record that someone was taken in (no name)")
    replies = await bot.send(STAFF_A, "/intake hôm-qua 3 tl,xx")
    assert texts(replies)[0].startswith("Record that someone was taken in")  # xx is no support
    replies = await bot.send(STAFF_A, "/intake qua 3 tl,tv BD-HELLO")
    assert texts(replies) == ["That is not an incident code like BD-7K3Q."]
    line = "/intake qua 3 tl,tv,cg bd-7k3q cg:Bệnh viện huyện Trà Bồng"
    update_id = await bot.api.send_text(STAFF_A, line)
    await bot.app.wait_processed(update_id, 10)
    said = bot.last(STAFF_A).text
    assert said.startswith("Recorded: intake TN-") and "at Nhà chị Bình" in said
    assert "3 night(s); support: shelter, counselling, referral." in said
    assert "📨 Notice under Art. 36 recorded with it. Commune officers told in the bot: 1." in said
    async with bot.services.sessions() as session:
        kinds = (await session.scalars(select(OutboxEntry.kind))).all()
    assert "art36_notice" in kinds
    # The line with the referral and the code is no longer in the chat.
    mine = [m for m in bot.api.world.chats[STAFF_A] if not m.from_bot and not m.deleted]
    assert all("Bệnh viện" not in (m.text or "") for m in mine)
    async with bot.services.sessions() as session:
        (intake,) = (await session.scalars(select(ShelterIntake))).all()
    assert intake.nights == 3 and intake.shelter and intake.counselling and not intake.medical
    assert referral_of(intake, Cipher(SECRET)) == "Bệnh viện huyện Trà Bồng"


async def test_not_for_everyone(bot):
    replies = await bot.send(COLLABORATOR, "/intake qua 1 tl")
    assert texts(replies) == [
        "Only the staff of a trusted address that shelters people, or its coordinators, can record intakes."
    ]


async def test_an_intake_sent_in_a_crash_is_recorded_once(bot):
    from tests.bot.test_durable import crash_during

    line = "/intake qua 2 tl bd-7k3q"
    await crash_during(bot, bot.send(STAFF_A, line))
    async with bot.services.sessions() as session:
        intakes = (await session.scalars(select(ShelterIntake))).all()
        notices = (await session.scalars(select(OutboxEntry.kind))).all()
    assert len(intakes) == 1  # the update delivered again finds it
    assert notices.count("art36_notice") == 1
    said = bot.last(STAFF_A).text
    assert said.startswith(f"Recorded: intake TN-{intakes[0].id} ")
    assert "could not be given" not in said  # the notice was given with it


async def test_an_incomplete_intake_line_is_erased_too(bot):
    replies = await bot.send(STAFF_A, "/intake cg:Bệnh viện")
    assert texts(replies)[0].startswith("Record that someone was taken in")
    mine = [m for m in bot.api.world.chats[STAFF_A] if not m.from_bot and not m.deleted]
    assert all("Bệnh viện" not in (m.text or "") for m in mine)

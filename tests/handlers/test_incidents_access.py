"""Through the local Bot API: a responder who moved sees nothing from an old
alert; every copy of an alert follows its report; /incidents; the Art. 36
step; the reporter's neutral status, urgent follow-up and reopening."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Incident, IncidentStatus, Role, User
from tests.handlers.report_helpers import (
    ADMIN,
    COLLABORATOR,
    COORDINATOR,
    REPORTER,
    SECRET,
    STAFF_A,
    STAFF_B,
    World,
    deliver,
    file_report,
    incidents_in_db,
    setup_world,
)
from tests.harness import BotHarness, texts
from tests.storage.helpers import place


@pytest.fixture
async def bot(engine, sessions) -> AsyncIterator[BotHarness]:
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN], secret_key=SECRET)
    harness.api.add_user(ADMIN, first_name="Admin", language_code="en")
    harness.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    async with harness:
        yield harness


@pytest.fixture
async def world(bot) -> World:
    return await setup_world(bot)


def _data(message) -> list[str]:
    return [str(b.get("callback_data", "")) for b in message.buttons()]


async def test_a_responder_who_moved_gets_nothing_from_an_old_alert(bot, world):
    await file_report(bot, contact="📞 Give a phone number", phone="0912 345 678", consent=True)
    (incident,) = await incidents_in_db(bot)
    await deliver(bot)
    alert = bot.api.bot_messages(STAFF_A)[0]
    assert f"ia:open:{incident.id}" in _data(alert)
    # Lan re-registers as a collaborator in another province.
    async with bot.services.sessions.begin() as session:
        elsewhere = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
        lan = await session.scalar(select(User).where(User.telegram_id == STAFF_A))
        lan.role, lan.unit_id = Role.COLLABORATOR, elsewhere.id
    before = len(bot.api.bot_messages(STAFF_A))
    await bot.press_data(STAFF_A, alert.message_id, f"ia:open:{incident.id}")
    assert bot.answer() == "You are not allowed to open this report."
    await bot.press_data(STAFF_A, alert.message_id, f"ia:take:{incident.id}")
    assert bot.answer() == "You are not allowed to open this report."
    await bot.press_data(STAFF_A, alert.message_id, f"ia:note:{incident.id}")
    assert bot.answer() == "You are not allowed to open this report."
    shown = bot.api.bot_messages(STAFF_A)[before:]
    assert not any("0912" in (m.text or "") or "He hit her" in (m.text or "") for m in shown)
    assert texts(await bot.send(STAFF_A, "/incidents")) == [
        "Only trusted-address staff and coordinators can see the open reports."
    ]
    before = len(bot.api.bot_messages(STAFF_A))
    async with bot.services.sessions() as session:
        (incident,) = (await session.scalars(select(Incident))).all()
        refused = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == lan.id))
        ).all()
    assert incident.responsible_id is None and incident.status is IncidentStatus.NEW
    assert sorted(refused) == ["denied", "denied", "open_denied"]
    # Mai still can, and the alert copies move on without Lan.
    await bot.press(STAFF_B, label="🙋 I take it")
    assert bot.answer() == "Saved."
    await deliver(bot)
    assert len(bot.api.bot_messages(STAFF_A)) == before  # no notice for Lan any more


async def test_every_copy_of_the_alert_shows_who_holds_it(bot, world):
    await file_report(bot)
    await deliver(bot)
    await bot.press(STAFF_A, label="🙋 I take it")
    await deliver(bot)
    for chat in (STAFF_B, COORDINATOR):
        alert = bot.api.bot_messages(chat)[0]
        assert "➜ Held by Lan." in alert.text
        assert not any(d.startswith("ia:take:") for d in _data(alert))
        assert any(d.startswith("ia:open:") for d in _data(alert))
    await bot.press(STAFF_A, label="✅ Closed")
    await bot.press(STAFF_A, label="Support given")
    await deliver(bot)
    alert = bot.api.bot_messages(STAFF_B)[0]
    assert "➜ ✅ Closed: Support given" in alert.text
    assert [d.split(":")[1] for d in _data(alert)] == ["open", "note"]


async def test_incidents_lists_open_reports_and_acts_from_there(bot, world):
    await file_report(bot)
    bot.clock.now += timedelta(minutes=30)
    await file_report(bot, danger=True)
    first, urgent = await incidents_in_db(bot)
    replies = await bot.send(STAFF_A, "/incidents")
    listing = texts(replies)[0]
    assert listing.index(urgent.code) < listing.index(first.code)  # danger first
    assert "🔴" in listing and "Waiting for a responder" in listing
    labels = [b["text"] for row in replies[0].reply_markup for b in row]
    assert labels == [f"🔴 {urgent.code}", f"📄 {first.code}"]
    card = await bot.press(STAFF_A, label=f"📄 {first.code}")
    assert f"New report {first.code}" in texts(card)[0]
    assert "➜ Nobody has taken it yet." in texts(card)[0]
    await bot.press(STAFF_A, label="🙋 I take it")
    assert bot.answer() == "Saved."
    listing = texts(await bot.send(COORDINATOR, "/incidents"))[0]
    assert "Taken by Lan" in listing
    assert texts(await bot.send(COLLABORATOR, "/incidents")) == [
        "Only trusted-address staff and coordinators can see the open reports."
    ]


async def test_art36_notice_is_a_step_of_taking_a_report(bot, world):
    await file_report(bot)
    (incident,) = await incidents_in_db(bot)
    await deliver(bot)
    await bot.press(STAFF_A, label="🙋 I take it")
    assert "📨 Notify the commune People's Committee (Art. 36)" in bot.labels(STAFF_A)
    replies = await bot.press(STAFF_A, label="📨 Notify the commune People's Committee (Art. 36)")
    said = texts(replies, STAFF_A)[0]
    assert f"Notice under Art. 36 recorded for {incident.code}" in said
    assert "No contact is kept yet for the People's Committee of Xã Trà Bồng" in said
    await deliver(bot)
    told = texts(bot.api.bot_messages(COORDINATOR))[-1]
    assert "Art. 36" in told and incident.code in told and "He hit her" not in told
    # The coordinator keeps the committee's contact; a second notice is not sent.
    replies = await bot.send(COORDINATOR, "/committee UBND xã Trà Bồng; 0255 3822 000; ; Thôn 1")
    assert "📞 0255 3822 000" in texts(replies)[0]
    replies = await bot.press(STAFF_A, label="📨 Notify the commune People's Committee (Art. 36)")
    said = texts(replies, STAFF_A)[0]
    assert "was already notified" in said and "0255 3822 000" in said
    async with bot.services.sessions() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.entity == "incident", AuditEntry.entity_id == incident.id
                )
            )
        ).all()
    assert actions.count("art36") == 1
    # Someone who may not act cannot give it.
    help_message = (await bot.send(COLLABORATOR, "/help"))[0]
    await bot.press_data(COLLABORATOR, help_message.message_id, f"ia:a36:{incident.id}")
    assert bot.answer() == "You are not allowed to open this report."


async def test_the_reporter_sees_a_neutral_status_and_an_urgent_follow_up_reopens(bot, world):
    said = await file_report(bot)
    (incident,) = await incidents_in_db(bot)
    await deliver(bot)
    await bot.press(STAFF_A, label="🙋 I take it")
    replies = await bot.send(REPORTER, f"/report {incident.code}")
    assert texts(replies, REPORTER)[0] == f"Status of {incident.code}: someone is working on it."
    assert "Lan" not in " ".join(texts(replies, REPORTER))
    left = texts(await bot.send(REPORTER, "/exit"), REPORTER)
    await bot.press(STAFF_A, label="✅ Closed")
    await bot.press(STAFF_A, label="Support given")
    await deliver(bot)

    replies = await bot.send(REPORTER, f"/report {incident.code}")
    assert texts(replies, REPORTER)[:2] == [
        f"Status of {incident.code}: closed. If you add information, it will be looked at again.",
        "Is someone in danger right now?",
    ]
    await bot.send(REPORTER, "He came back and is breaking the door.")
    replies = await bot.press(REPORTER, label="Done ➜")
    assert "Is someone in danger right now?" in texts(replies, REPORTER)
    replies = await bot.press(REPORTER, label="🆘 Yes, right now")
    shown = texts(replies, REPORTER)
    assert any("call the police" in t for t in shown)
    assert shown[-1] == f"✅ Added to {incident.code}. Thank you."
    # Discreet mode: the chat keeps the receipt and the last lines only.
    assert [m.text for m in bot.api.messages(REPORTER)] == [*said, *left, shown[-1]]
    await deliver(bot)
    for chat in (STAFF_A, COORDINATOR):
        last = texts(bot.api.bot_messages(chat))[-1]
        assert last.startswith(f"🔴 {incident.code}: the reporter added information")
    (incident,) = await incidents_in_db(bot)
    assert incident.status is IncidentStatus.TAKEN and incident.danger_now
    assert "➜ Held by Lan." in bot.api.bot_messages(STAFF_B)[0].text


async def test_a_stranger_pressing_forged_buttons_learns_nothing(bot, world):
    await file_report(bot)
    (incident,) = await incidents_in_db(bot)
    stranger = 777
    bot.api.add_user(stranger, first_name="Stranger", language_code="en")
    message = (await bot.send(stranger, "/help"))[-1]
    answers = []
    for data in (
        f"ia:open:{incident.id}",
        f"ia:take:{incident.id}",
        f"ia:card:{incident.id}",
        f"ia:ref:{incident.id}",
        f"ia:a36:{incident.id}",
        "ia:open:99999",  # no such report: the same answer
        "ia:take:99999",
    ):
        await bot.press_data(stranger, message.message_id, data)
        answers.append(bot.answer())
    assert set(answers) == {"You are not allowed to open this report."}
    assert bot.api.bot_messages(stranger) == [message]
    (incident,) = await incidents_in_db(bot)
    assert incident.status is IncidentStatus.NEW


async def test_committee_says_why_a_contact_was_not_kept(bot, world):
    replies = await bot.send(COORDINATOR, "/committee =HYPERLINK(1); 0255 3822 000")
    said = texts(replies)[0]
    assert said.startswith("Not kept: a value may not start with =, +, - or @ (a spreadsheet")
    assert "Send /committee followed by" in said
    replies = await bot.send(COORDINATOR, "/committee UBND; " + "0" * 40)
    assert texts(replies)[0].startswith("Not kept: a value is too long.")
    # A phone number in international form is a number, not a formula.
    replies = await bot.send(COORDINATOR, "/committee UBND xã Trà Bồng; +84 255 3822 000")
    assert "📞 +84 255 3822 000" in texts(replies)[0]


async def test_art36_on_a_report_without_a_commune_says_so(bot, world):
    """A report filed for the whole province has no commune: the one who may
    act on it is told that no committee can be named, not "not allowed"; a
    stranger still learns nothing."""
    from storage.models import EscalationLevel
    from tests.handlers.report_helpers import PROVINCE

    await file_report(bot)
    (incident,) = await incidents_in_db(bot)
    async with bot.services.sessions.begin() as session:
        found = await session.get(Incident, incident.id)
        assert found is not None
        found.unit_id = world.province.id
        found.level = EscalationLevel.PROVINCE
    help_message = (await bot.send(PROVINCE, "/help"))[0]
    await bot.press_data(PROVINCE, help_message.message_id, f"ia:a36:{incident.id}")
    assert bot.answer() == (
        "This report has no commune, so no commune People's Committee can be named"
        " for the Art. 36 notice."
    )
    help_message = (await bot.send(COLLABORATOR, "/help"))[0]
    await bot.press_data(COLLABORATOR, help_message.message_id, f"ia:a36:{incident.id}")
    assert bot.answer() == "You are not allowed to open this report."

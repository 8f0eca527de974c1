"""/report through the local Bot API: the whole lifecycle of an incident,
discreet mode, routing, escalation, blocked responders, refused access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler import jobs
from storage import audit
from storage.models import AuditEntry, EscalationLevel, IncidentStatus, OutboxStatus, User
from tests.handlers.report_helpers import (
    ADMIN,
    COLLABORATOR,
    COORDINATOR,
    PROVINCE,
    REPORTER,
    SECRET,
    STAFF_A,
    STAFF_B,
    World,
    deliver,
    file_report,
    incidents_in_db,
    outbox_to,
    setup_world,
)
from tests.handlers.report_helpers import (
    alerts as alerts_in,
)
from tests.harness import BotHarness, texts


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


async def test_anonymous_report_reaches_two_staff_and_one_takes_it(bot, world):
    said = await file_report(bot)
    # Discreet mode: only the neutral receipt is left in the reporter's chat.
    left = bot.api.messages(REPORTER)
    assert [m.text for m in left] == said
    assert len(said) == 1 and "Your code: BD-" in said[0]
    assert "violence" not in said[0].lower() and "updates" not in said[0]
    everything = bot.api.messages(REPORTER, include_deleted=True)
    assert len(everything) > 15
    assert all(m.protect_content for m in everything if m.from_bot)
    (incident,) = await incidents_in_db(bot)
    assert incident.code in said[0]
    assert incident.reporter_enc is None and incident.description_enc is not None

    await deliver(bot)
    for chat in (STAFF_A, STAFF_B, COORDINATOR):
        (alert,) = bot.api.bot_messages(chat)
        assert alert.protect_content
        assert f"New report {incident.code}" in alert.text
        assert "Type: Domestic violence" in alert.text
        assert "Place: Xã Trà Bồng, Quảng Ngãi" in alert.text
        assert "Reporter: anonymous." in alert.text
        assert "He hit her" not in alert.text
    assert bot.api.bot_messages(PROVINCE) == [] and bot.api.bot_messages(ADMIN) == []

    await bot.press(STAFF_A, label="🙋 I take it")
    assert bot.answer() == "Saved."
    assert "➜ 🙋 You took it." in bot.last(STAFF_A).text
    await deliver(bot)
    assert (
        texts(bot.api.bot_messages(STAFF_B))[-1] == f"{incident.code}: Lan has taken this report."
    )
    assert texts(bot.api.bot_messages(COORDINATOR))[-1].endswith("Lan has taken this report.")
    alert_b = bot.api.bot_messages(STAFF_B)[0]
    await bot.press_data(STAFF_B, alert_b.message_id, f"ia:take:{incident.id}")
    assert bot.answer() == "Lan is already responsible for this report."
    (incident,) = await incidents_in_db(bot)
    assert incident.status is IncidentStatus.TAKEN and incident.acknowledged_at == bot.clock()
    assert len(bot.api.messages(REPORTER)) == 1  # anonymous: no status updates


async def test_referral_then_closing_with_updates_to_the_reporter(bot, world):
    said = await file_report(bot, contact="💬 Contact me here in Telegram", consent=True)
    assert "We will write to you here." in said[0]
    (incident,) = await incidents_in_db(bot)
    await deliver(bot)
    alert = bot.api.bot_messages(STAFF_A)[0]
    assert "agreed to share who they are" in alert.text

    await bot.press(STAFF_A, label="↪ Referred to…")
    assert bot.labels(STAFF_A)[:4] == ["Police", "Health station", "Legal aid", "Child protection"]
    await bot.press(STAFF_A, label="Police")
    assert "➜ ↪ Referred to: Police" in bot.last(STAFF_A).text
    labels = bot.labels(STAFF_A)  # the alert's buttons are back, for its new state
    assert "🙋 I take it" not in labels and "📄 Open" in labels and "✅ Closed" in labels
    await bot.press(STAFF_A, label="✅ Closed")
    await bot.press(STAFF_A, label="Support given")
    assert "➜ ✅ Closed: Support given" in bot.api.bot_messages(STAFF_A)[0].text
    await deliver(bot)

    updates = texts(bot.api.bot_messages(REPORTER))[1:]
    assert updates == [
        f"Update on {incident.code}: a responder has taken it.",
        f"Update on {incident.code}: it has been passed to a specialised service.",
        f"Update on {incident.code}: it is closed. Thank you for reaching out.",
    ]
    assert all(m.protect_content for m in bot.api.bot_messages(REPORTER))
    assert texts(bot.api.bot_messages(STAFF_B))[-1] == (
        f"{incident.code}: Lan closed this report (Support given)."
    )
    # Opening it shows what was said, and (with consent) who said it.
    replies = await bot.press(STAFF_A, label="📄 Open")
    details = "\n".join(texts(replies, STAFF_A))
    assert "He hit her again last night, near the school." in details
    assert "Reporter (shared with consent): Hoa" in details
    assert "Status: Closed" in details and "Referred to: Police" in details
    async with bot.services.sessions() as session:
        actions = [e.action for e in await audit.history(session, "incident", incident.id)]
    assert actions == ["submit", "take", "refer", "close", "open"]


async def test_escalation_on_timeout_fires_once_across_a_restart(bot, world):
    replies = await bot.send(REPORTER, "/report")
    replies = await bot.press(REPORTER, label="🆘 Yes, right now")
    shown = "\n".join(texts(replies, REPORTER))
    assert "📞 113 — Police." in shown  # at once, before anything else is asked
    replies = await bot.press(REPORTER, label="Violence or abuse against a child")
    assert "📞 111 — National child protection hotline" in texts(replies, REPORTER)[0]
    await bot.press(REPORTER, label="Girl")
    await bot.press(REPORTER, label="Done ➜")
    await bot.send(REPORTER, "tra bong")
    replies = await bot.press(REPORTER, label="Xã Trà Bồng — Quảng Ngãi")
    nearest = "\n".join(texts(replies, REPORTER))
    assert "Nearest trusted address:" in nearest and "Trạm y tế xã Trà Bồng" in nearest
    assert "+84 255 3822 123" in nearest and "open now" in nearest
    await bot.press(REPORTER, label="Happening now")
    await bot.press(REPORTER, label="Skip ➜")
    await bot.press(REPORTER, label="🙈 Stay anonymous")
    await bot.press(REPORTER, label="✅ Send the report")
    await deliver(bot)
    (incident,) = await incidents_in_db(bot)
    assert incident.due_at == bot.clock() + timedelta(minutes=30)
    assert "Urgent report" in alerts_in(bot, STAFF_A)[0]

    assert await jobs.run_checks(bot.app) == []  # not yet
    # The bot is down while the timer expires, then comes back.
    bot.clock.now += timedelta(hours=3)
    await bot.restart()
    assert await jobs.run_checks(bot.app) == [incident.code]
    assert await jobs.run_checks(bot.app) == []
    await deliver(bot)
    (alert,) = alerts_in(bot, PROVINCE)
    assert "Passed on to you: nobody took it within 30 minutes." in alert
    assert alerts_in(bot, ADMIN) == []
    assert len(alerts_in(bot, STAFF_A)) == 1  # never twice
    # 30 minutes later, the administrators.
    bot.clock.now += timedelta(minutes=30)
    assert await jobs.run_checks(bot.app) == [incident.code]
    await deliver(bot)
    assert len(alerts_in(bot, ADMIN)) == 1
    (incident,) = await incidents_in_db(bot)
    assert incident.level == EscalationLevel.NATIONAL and incident.escalated
    async with bot.services.sessions() as session:
        reasons = [
            e.details.get("reason")
            for e in await audit.history(session, "incident", incident.id)
            if e.action == "escalate"
        ]
    assert reasons == ["timeout", "timeout"]


async def test_a_place_without_responders_escalates_at_once(bot, world):
    await file_report(bot, place="binh son", place_label="Xã Bình Sơn — Quảng Ngãi")
    await deliver(bot)
    (alert,) = alerts_in(bot, PROVINCE)
    assert "Passed on to you: nobody there can receive it." in alert
    assert alerts_in(bot, STAFF_A) == [] and alerts_in(bot, COORDINATOR) == []
    (incident,) = await incidents_in_db(bot)
    assert incident.level == EscalationLevel.PROVINCE


async def test_a_staff_member_who_blocked_the_bot_is_skipped(bot, world):
    bot.api.block(STAFF_B)
    await file_report(bot)
    await deliver(bot)
    assert len(alerts_in(bot, STAFF_A)) == 1 and len(alerts_in(bot, COORDINATOR)) == 1
    (blocked,) = [e for e in await outbox_to(bot, STAFF_B) if e.kind == "incident_alert"]
    assert blocked.status is OutboxStatus.BLOCKED
    async with bot.services.sessions() as session:
        user = await session.scalar(select(User).where(User.telegram_id == STAFF_B))
    assert user.bot_blocked
    assert alerts_in(bot, PROVINCE) == []  # the others got it: no escalation
    # A second report skips the blocked one from the start.
    await file_report(bot)
    await deliver(bot)
    assert len([e for e in await outbox_to(bot, STAFF_B) if e.kind == "incident_alert"]) == 1


async def test_when_every_responder_blocked_the_bot_it_escalates_at_once(bot, world):
    await file_report(bot)
    for chat in (STAFF_A, STAFF_B, COORDINATOR):
        bot.api.block(chat)
    await deliver(bot)
    assert await jobs.run_checks(bot.app) != []
    await deliver(bot)
    (alert,) = alerts_in(bot, PROVINCE)
    assert "the responders there could not be reached" in alert


async def test_exit_erases_the_conversation_and_saves_nothing(bot, world):
    await bot.send(REPORTER, "/report")
    await bot.press(REPORTER, label="No")
    await bot.press(REPORTER, label="Domestic violence")
    await bot.send(REPORTER, "hello")  # text at a button step
    replies = await bot.send(REPORTER, "/exit")
    assert texts(replies) == ["Cancelled. Nothing was saved. Send /help to see what you can do."]
    assert [m.text for m in bot.api.messages(REPORTER)] == texts(replies)
    assert await incidents_in_db(bot) == []
    assert bot.app.user_data[REPORTER].get("report") is None


async def test_an_unauthorised_user_is_refused_and_audited(bot, world):
    await file_report(bot)
    (incident,) = await incidents_in_db(bot)
    replies = await bot.send(COLLABORATOR, "/help")
    await bot.press_data(COLLABORATOR, replies[0].message_id, f"ia:open:{incident.id}")
    assert bot.answer() == "You are not allowed to open this report."
    await bot.press_data(COLLABORATOR, replies[0].message_id, f"ia:take:{incident.id}")
    assert bot.answer() == "You are not allowed to open this report."
    assert bot.api.bot_messages(COLLABORATOR) == replies
    async with bot.services.sessions() as session:
        collaborator = await session.scalar(select(User).where(User.telegram_id == COLLABORATOR))
        refused = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.actor_id == collaborator.id)
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [(e.entity, e.entity_id, e.action) for e in refused] == [
        ("incident", incident.id, "open_denied"),
        ("incident", incident.id, "denied"),
    ]
    # Administrators read the trail.
    trail = "\n".join(texts(await bot.send(ADMIN, f"/audit {incident.code.lower()}")))
    assert "Minh — open_denied" in trail and "the system — submit" in trail
    refusal = texts(await bot.send(COLLABORATOR, f"/audit {incident.code}"))
    assert refusal == ["Only administrators can read the audit trail."]


async def test_without_a_secret_key_reports_are_refused_and_hotlines_work(engine, sessions):
    harness = BotHarness(engine, sessions, admin_ids=[ADMIN])
    harness.api.add_user(REPORTER, first_name="Hoa", language_code="en")
    async with harness:
        replies = await harness.send(REPORTER, "/report")
        assert "no encryption key (SECRET_KEY)" in texts(replies)[0]
        assert "call 113" in texts(replies)[0]
        replies = await harness.send(REPORTER, "/hotline")
        assert "📞 111 — National child protection hotline" in texts(replies)[0]
    assert await incidents_in_db(harness) == []

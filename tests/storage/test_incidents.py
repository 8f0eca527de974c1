"""Incidents in storage: intake, encryption at rest, routing, escalation,
actions, access and figures, with a clock moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.i18n import translator
from storage import audit, incidents, outbox, trusted_addresses
from storage.incidents import Cipher, CipherError, EscalationPolicy, IncidentInput, Result
from storage.incidents.routing import UNREACHABLE, alert_outcome
from storage.models import (
    Affected,
    ContactMode,
    EscalationLevel,
    Incident,
    IncidentKind,
    IncidentOutcome,
    IncidentStatus,
    Occurred,
    OutboxEntry,
    OutboxStatus,
    Referral,
    Role,
    UserStatus,
)
from tests.storage.helpers import person, place, profile, tra_bong

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
SECRET = "a-test-secret-key-that-is-long-enough"
POLICY = EscalationPolicy()


def cipher() -> Cipher:
    return Cipher(SECRET)


def report(unit_id: int, key: str = "k1", **changes) -> IncidentInput:
    values = {
        "submission_key": key,
        "kind": IncidentKind.DOMESTIC_VIOLENCE,
        "danger_now": False,
        "affected": [Affected.WOMAN],
        "unit_id": unit_id,
        "occurred": Occurred.TODAY,
        "contact": ContactMode.ANONYMOUS,
        "description": "Chồng đánh vợ ở thôn 3, nhà cạnh trường.",
    }
    values.update(changes)
    return IncidentInput(**values)


async def submit(session, data: IncidentInput, now: datetime = NOW):
    return await incidents.submit(session, cipher(), data, now, POLICY, translator)


async def alerts_to(session, chat_id: int) -> list[OutboxEntry]:
    return list(
        (
            await session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.chat_id == chat_id, OutboxEntry.kind == "incident_alert")
                .order_by(OutboxEntry.id)
            )
        ).all()
    )


async def staffed_commune(session):
    """Xã Trà Bồng with a trusted address staffed by two people, a commune
    coordinator, a province coordinator and an administrator."""
    commune, province = await tra_bong(session)
    staff_a = await person(session, 501, Role.TRUSTED_ADDRESS_STAFF, commune)
    staff_b = await person(session, 502, Role.TRUSTED_ADDRESS_STAFF, commune)
    coordinator = await person(session, 510, Role.COMMUNE_COORDINATOR, commune)
    province_coordinator = await person(session, 520, Role.PROVINCE_COORDINATOR, province)
    admin = await person(session, 1, Role.ADMIN, None)
    await trusted_addresses.create(
        session,
        None,
        trusted_addresses.AddressData(
            name="Trạm y tế xã Trà Bồng",
            unit_ids=[commune.id],
            phones=["0905 123 456"],
            hours="24/7",
            staff_ids=[staff_a.id, staff_b.id],
        ),
        NOW,
    )
    return commune, province, (staff_a, staff_b, coordinator, province_coordinator, admin)


def test_cipher_round_trip_and_tampering():
    box = cipher()
    token = box.encrypt("incident.description", "Bạo lực 🙁")
    assert token.startswith("v1.") and "Bạo" not in token
    assert box.decrypt("incident.description", token) == "Bạo lực 🙁"
    with pytest.raises(CipherError):
        box.decrypt("incident.phone", token)  # bound to its field
    with pytest.raises(CipherError):
        Cipher("another-secret-key-of-enough-length").decrypt("incident.description", token)
    assert incidents.cipher_from(None) is None and incidents.cipher_from("short") is None


async def test_submit_encrypts_and_routes_to_the_commune(session):
    commune, _, (a, b, coordinator, province_coordinator, admin) = await staffed_commune(session)
    data = report(
        commune.id,
        contact=ContactMode.PHONE,
        phone="0912 345 678",
        consent=True,
        reporter=incidents.Reporter(chat_id=7777, name="Chị Hoa"),
        location=(15.2, 108.5),
    )
    submitted = await submit(session, data)
    assert submitted.created and submitted.code.startswith("BD-") and len(submitted.code) == 7

    raw = (
        await session.execute(
            text("select description_enc, phone_enc, reporter_enc, location_enc from incidents")
        )
    ).one()
    joined = " ".join(raw)
    for secret in ("Chồng", "0912345678", "Hoa", "7777", "15.2"):
        assert secret not in joined
    # Alerts to the two staff and the commune coordinator, not higher.
    for user in (a, b, coordinator):
        assert len(await alerts_to(session, user.telegram_id)) == 1
    for user in (province_coordinator, admin):
        assert await alerts_to(session, user.telegram_id) == []
    alert = (await alerts_to(session, a.telegram_id))[0]
    message = await outbox.message_of(session, alert.payload_id)
    assert message.protect_content and alert.priority == 0
    assert "Chồng" not in message.text and "Hoa" not in message.text
    assert "Xã Trà Bồng, Quảng Ngãi" in message.text
    incident = await session.get(Incident, submitted.incident_id)
    assert incident.due_at == NOW + timedelta(hours=4)
    # The audit entry of the submission names nobody.
    (entry,) = await audit.history(session, "incident", incident.id)
    assert (entry.actor_id, entry.action) == (None, "submit")


async def test_the_same_submission_twice_lands_once(session):
    commune, _, (a, *_) = await staffed_commune(session)
    first = await submit(session, report(commune.id))
    again = await submit(session, report(commune.id))
    assert (again.incident_id, again.code, again.created) == (first.incident_id, first.code, False)
    assert len(await alerts_to(session, a.telegram_id)) == 1


async def test_anonymous_report_keeps_no_identity(session):
    commune, *_ = await staffed_commune(session)
    data = report(commune.id, reporter=incidents.Reporter(1, "x"), phone="0912345678")
    submitted = await submit(session, data)
    incident = await session.get(Incident, submitted.incident_id)
    assert (incident.reporter_enc, incident.phone_enc, incident.language) == (None, None, None)


async def test_a_place_without_responders_escalates_at_once(session):
    _, province = await tra_bong(session)
    province_coordinator = await person(session, 520, Role.PROVINCE_COORDINATOR, province)
    other = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    submitted = await submit(session, report(other.id, danger_now=True))
    incident = await session.get(Incident, submitted.incident_id)
    assert (incident.level, incident.escalated) == (EscalationLevel.PROVINCE, True)
    assert incident.due_at == NOW + timedelta(minutes=30)
    assert len(await alerts_to(session, province_coordinator.telegram_id)) == 1
    actions = [e.action for e in await audit.history(session, "incident", incident.id)]
    assert actions == ["submit", "escalate"]


async def test_blocked_and_inactive_people_are_skipped(session):
    commune, _, (a, b, coordinator, *_) = await staffed_commune(session)
    a.bot_blocked = True
    coordinator.status = UserStatus.REJECTED
    await session.flush()
    await submit(session, report(commune.id))
    assert await alerts_to(session, a.telegram_id) == []
    assert await alerts_to(session, coordinator.telegram_id) == []
    assert len(await alerts_to(session, b.telegram_id)) == 1


async def test_escalation_on_timeout_fires_once(session):
    commune, _, (a, _, _, province_coordinator, admin) = await staffed_commune(session)
    submitted = await submit(session, report(commune.id, danger_now=True))
    later = NOW + timedelta(minutes=29)
    assert await incidents.escalate_due(session, later, POLICY, translator) == []
    # The bot was down for hours: the timer fires once, one level up.
    much_later = NOW + timedelta(hours=5)
    assert await incidents.escalate_due(session, much_later, POLICY, translator) == [submitted.code]
    assert await incidents.escalate_due(session, much_later, POLICY, translator) == []
    incident = await session.get(Incident, submitted.incident_id)
    assert incident.level == EscalationLevel.PROVINCE
    assert incident.due_at == much_later + timedelta(minutes=30)
    assert len(await alerts_to(session, province_coordinator.telegram_id)) == 1
    assert await alerts_to(session, admin.telegram_id) == []
    message = await outbox.message_of(
        session, (await alerts_to(session, province_coordinator.telegram_id))[0].payload_id
    )
    assert "30 phút" in message.text  # the province coordinator reads Vietnamese
    # Then the administrators; after them, no timer.
    last = much_later + timedelta(minutes=30)
    assert await incidents.escalate_due(session, last, POLICY, translator) == [submitted.code]
    assert incident.level == EscalationLevel.NATIONAL and incident.due_at is None
    assert len(await alerts_to(session, admin.telegram_id)) == 1
    assert len(await alerts_to(session, a.telegram_id)) == 1  # never twice


async def test_take_refer_close(session):
    commune, _, (a, b, *_) = await staffed_commune(session)
    reporter = incidents.Reporter(chat_id=7777, name="Hoa")
    data = report(commune.id, contact=ContactMode.TELEGRAM, reporter=reporter, language="en")
    submitted = await submit(session, data)
    box = cipher()
    pa, pb = await profile(session, a), await profile(session, b)

    done = await incidents.take(session, pa, submitted.incident_id, NOW, translator, box)
    assert done.result is Result.OK
    again = await incidents.take(session, pb, submitted.incident_id, NOW, translator, box)
    assert (again.result, again.responsible) == (Result.TAKEN_BY_OTHER, "User 501")
    # b and the coordinator hear that a took it; the reporter gets a neutral update.
    notices = (
        await session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "incident_notice"))
    ).all()
    assert sorted(n.chat_id for n in notices) == [502, 510]
    status = await session.scalar(select(OutboxEntry).where(OutboxEntry.chat_id == 7777))
    status_text = (await outbox.message_of(session, status.payload_id)).text
    assert status_text == f"Update on {submitted.code}: a responder has taken it."

    refused = await incidents.refer(
        session, pb, submitted.incident_id, Referral.POLICE, NOW, translator, box
    )
    assert refused.result is Result.TAKEN_BY_OTHER
    done = await incidents.refer(
        session, pa, submitted.incident_id, Referral.POLICE, NOW, translator, box
    )
    assert done.result is Result.OK
    done = await incidents.close(
        session, pa, submitted.incident_id, IncidentOutcome.SUPPORTED, NOW, translator, box
    )
    assert done.result is Result.OK
    incident = await session.get(Incident, submitted.incident_id)
    assert (incident.status, incident.referred_to, incident.outcome) == (
        IncidentStatus.CLOSED,
        Referral.POLICE,
        IncidentOutcome.SUPPORTED,
    )
    assert incident.acknowledged_at == NOW
    actions = [e.action for e in await audit.history(session, "incident", incident.id)]
    assert actions == ["submit", "take", "refer", "close"]
    statuses = (await session.scalars(select(OutboxEntry).where(OutboxEntry.chat_id == 7777))).all()
    assert len(statuses) == 3  # taken, referred, closed
    late = await incidents.take(session, pb, submitted.incident_id, NOW, translator, box)
    assert late.result is Result.CLOSED


async def test_only_the_chain_may_open_and_refusals_are_audited(session):
    commune, _, (a, _, _, province_coordinator, admin) = await staffed_commune(session)
    outsider_commune = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    outsider = await person(session, 600, Role.COMMUNE_COORDINATOR, outsider_commune)
    collaborator = await person(session, 601, Role.COLLABORATOR, commune)
    data = report(
        commune.id,
        contact=ContactMode.PHONE,
        phone="0912345678",
        consent=False,
        reporter=incidents.Reporter(chat_id=7777, name="Hoa"),
    )
    submitted = await submit(session, data)
    box = cipher()
    opened = await incidents.open_incident(
        session, box, await profile(session, a), submitted.incident_id, NOW
    )
    assert opened is not None
    assert opened.description == "Chồng đánh vợ ở thôn 3, nhà cạnh trường."
    assert (opened.phone, opened.reporter_name) == (None, None)  # no consent
    assert await incidents.open_incident(
        session, box, await profile(session, admin), submitted.incident_id, NOW
    )
    for user in (outsider, collaborator, province_coordinator):  # not yet escalated
        denied = await incidents.open_incident(
            session, box, await profile(session, user), submitted.incident_id, NOW
        )
        assert denied is None
    history = await audit.history(session, "incident", submitted.incident_id)
    assert [(e.actor_id, e.action) for e in history if e.action.startswith("open")] == [
        (a.id, "open"),
        (admin.id, "open"),
        (outsider.id, "open_denied"),
        (collaborator.id, "open_denied"),
        (province_coordinator.id, "open_denied"),
    ]
    # Once escalated, the province may open it.
    await incidents.escalate_due(session, NOW + timedelta(hours=5), POLICY, translator)
    assert await incidents.open_incident(
        session, box, await profile(session, province_coordinator), submitted.incident_id, NOW
    )


async def test_consent_shows_the_identity(session):
    commune, _, (a, *_) = await staffed_commune(session)
    data = report(
        commune.id,
        contact=ContactMode.PHONE,
        phone="0912 345 678",
        consent=True,
        reporter=incidents.Reporter(chat_id=7777, name="Hoa", username="hoa"),
    )
    submitted = await submit(session, data)
    opened = await incidents.open_incident(
        session, cipher(), await profile(session, a), submitted.incident_id, NOW
    )
    assert (opened.phone, opened.reporter_name, opened.reporter_username) == (
        "0912345678",
        "Hoa",
        "hoa",
    )


async def test_every_alert_blocked_makes_it_due_now(session):
    commune, _, (a, b, coordinator, province_coordinator, _) = await staffed_commune(session)
    submitted = await submit(session, report(commune.id))
    entries = [(await alerts_to(session, u.telegram_id))[0] for u in (a, b, coordinator)]
    for i, entry in enumerate(entries):
        outcome = await outbox.finish(session, entry.id, OutboxStatus.BLOCKED, NOW, hooks=False)
        await alert_outcome(session, outcome)
        incident = await session.get(Incident, submitted.incident_id)
        if i < 2:
            assert incident.due_at == NOW + timedelta(hours=4)
    assert incident.due_at == UNREACHABLE
    assert await incidents.escalate_due(session, NOW, POLICY, translator) == [submitted.code]
    assert len(await alerts_to(session, province_coordinator.telegram_id)) == 1
    history = await audit.history(session, "incident", submitted.incident_id)
    assert history[-1].details == {"from": 0, "to": 1, "reason": "unreachable"}


async def test_reporter_adds_information_with_the_code(session):
    commune, _, (a, *_) = await staffed_commune(session)
    submitted = await submit(session, report(commune.id))
    incident = await incidents.find_by_code(session, submitted.code.lower().replace("-", " "))
    assert incident is not None and incident.id == submitted.incident_id
    assert await incidents.find_by_code(session, "BD-0000") is None
    note = await incidents.add_note(
        session,
        cipher(),
        incident,
        author_id=None,
        text="Họ vừa chuyển nhà.",
        media=[incidents.Media("photo", "file-1")],
        now=NOW,
        texts=translator,
    )
    assert note.from_reporter and "chuyển" not in (note.text_enc or "")
    notices = (
        await session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "incident_notice"))
    ).all()
    assert {n.chat_id for n in notices} == {501, 502, 510}  # nobody has taken it yet
    opened = await incidents.open_incident(
        session, cipher(), await profile(session, a), incident.id, NOW
    )
    assert opened.notes[0].text == "Họ vừa chuyển nhà." and opened.notes[0].author is None


async def test_stats_by_area(session):
    commune, province, (a, *_) = await staffed_commune(session)
    other = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    first = await submit(session, report(commune.id, "k1"))
    await submit(session, report(commune.id, "k2", kind=IncidentKind.CHILD_MARRIAGE))
    await submit(session, report(other.id, "k3"))  # no responder: escalated at once
    await incidents.take(
        session,
        await profile(session, a),
        first.incident_id,
        NOW + timedelta(minutes=20),
        translator,
        cipher(),
    )
    end = NOW + timedelta(days=1)
    in_commune = await incidents.stats(session, commune.path, NOW, end)
    assert in_commune.total == 2
    assert in_commune.by_kind == {"domestic_violence": 1, "child_marriage": 1}
    assert in_commune.by_status == {"taken": 1, "new": 1}
    assert in_commune.median_to_acknowledge == timedelta(minutes=20)
    assert in_commune.escalated_share == 0
    in_province = await incidents.stats(session, province.path, NOW, end)
    assert (in_province.total, in_province.escalated) == (3, 1)
    both = await incidents.stats(session, [commune.path, other.path], NOW, end)
    assert both.total == 3
    assert (await incidents.stats(session, "/", end, end + timedelta(days=1))).total == 0

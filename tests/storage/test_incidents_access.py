"""Who may see and act on a report is decided by who they are now: the access
matrix (roles × actions × in area, out of area, moved, deactivated) with no
leak, the moved responder, the alert copies that follow the report's state,
/incidents, the reporter's follow-ups and the Art. 36 notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.i18n import translator
from storage import audit, incidents, outbox, trusted_addresses
from storage.incidents import Result, art36, followup, listing
from storage.incidents.notices import alert_key
from storage.models import (
    Art36Notice,
    AuditEntry,
    CodeAttempt,
    ContactMode,
    Incident,
    IncidentNote,
    IncidentOutcome,
    IncidentStatus,
    OutboxEntry,
    OutboxStatus,
    Referral,
    Role,
    User,
    UserStatus,
)
from tests.storage.helpers import person, place, profile, tra_bong
from tests.storage.test_incidents import NOW, POLICY, cipher, report, submit

SUBJECT = 700
UNREGISTERED = None  # the "role" of someone who never registered


async def _world(session, staff_ids=()):
    commune, province = await tra_bong(session)
    other_commune = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    other_province = await session.get(type(commune), other_commune.parent_id)
    staff_b = await person(session, 502, Role.TRUSTED_ADDRESS_STAFF, commune)
    coordinator = await person(session, 510, Role.COMMUNE_COORDINATOR, commune)
    await person(session, 1, Role.ADMIN, None)
    address = await trusted_addresses.create(
        session,
        None,
        trusted_addresses.AddressData(
            name="Trạm y tế xã Trà Bồng",
            unit_ids=[commune.id],
            phones=["0905 123 456"],
            hours="24/7",
            staff_ids=[staff_b.id, *staff_ids],
        ),
        NOW,
    )
    return commune, province, other_commune, other_province, staff_b, coordinator, address


def _unit(role, commune, province):
    if role in (None, Role.ADMIN):
        return None
    return province if role is Role.PROVINCE_COORDINATOR else commune


ROLES = [
    Role.COLLABORATOR,
    Role.TEAM_MEMBER,
    Role.TRUSTED_ADDRESS_STAFF,
    Role.COMMUNE_COORDINATOR,
    Role.PROVINCE_COORDINATOR,
    Role.ADMIN,
    UNREGISTERED,
]
SITUATIONS = ["in_area", "out_of_area", "moved", "deactivated"]


def _allowed(role, situation) -> bool:
    if situation == "deactivated" or role is UNREGISTERED:
        return False
    if role is Role.ADMIN:
        return True
    responders = (Role.TRUSTED_ADDRESS_STAFF, Role.COMMUNE_COORDINATOR, Role.PROVINCE_COORDINATOR)
    return situation == "in_area" and role in responders


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "unregistered")
async def test_access_matrix(session, role, situation):
    """Every action, for every kind of user in every situation: allowed exactly
    when the rules say, and a refusal says nothing and is audited."""
    was_responder = situation in ("moved", "deactivated")
    subject = await person(
        session,
        SUBJECT,
        Role.TRUSTED_ADDRESS_STAFF if was_responder else None,
        None,
        status=UserStatus.ACTIVE,
    )
    commune, province, other_commune, other_province, staff_b, *_ = await _world(
        session, staff_ids=[subject.id] if was_responder else []
    )
    if not was_responder:  # who they are now, from the start
        where = (commune, province) if situation == "in_area" else (other_commune, other_province)
        subject.role, subject.unit_id = role, getattr(_unit(role, *where), "id", None)
        subject.status = UserStatus.ACTIVE if role else UserStatus.VISITOR
    else:
        subject.unit_id = commune.id
    await session.flush()
    ids = [(await submit(session, report(commune.id, f"k{i}"))).incident_id for i in range(4)]
    if role is Role.PROVINCE_COORDINATOR:  # the province sees a report once it is escalated
        await incidents.escalate_due(session, NOW + timedelta(hours=5), POLICY, translator)
    if was_responder:  # alerted as staff, then ...
        assert await session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.chat_id == SUBJECT)
        )
        if situation == "moved":  # ... re-registered elsewhere
            unit = _unit(role, other_commune, other_province)
            subject.role, subject.unit_id = role, unit.id if unit else None
            subject.status = UserStatus.ACTIVE if role else UserStatus.VISITOR
        else:  # ... deactivated where they were
            unit = _unit(role, commune, province)
            subject.role, subject.unit_id = role, unit.id if unit else None
            subject.status = UserStatus.REJECTED
        await session.flush()
    mark = await session.scalar(select(func.max(OutboxEntry.id))) or 0
    me = await profile(session, subject)
    box = cipher()
    allowed = _allowed(role, situation)

    opened = await incidents.open_incident(session, box, me, ids[0], NOW)
    listed = {r.id for r in await listing.open_reports(session, me)}
    note = await incidents.add_responder_note(session, box, me, ids[0], "Đã gọi.", NOW, translator)
    notice, code = await art36.notify_for_incident(session, me, ids[0], NOW, translator)
    took = await incidents.take(session, me, ids[0], NOW, translator, box)
    referred = await incidents.refer(session, me, ids[1], Referral.POLICE, NOW, translator, box)
    closed = await incidents.close(
        session, me, ids[2], IncidentOutcome.SUPPORTED, NOW, translator, box
    )
    done = (note, took, referred, closed)
    if allowed:
        assert opened is not None and opened.description
        assert set(ids) <= listed
        assert all(d.result is Result.OK for d in done)
        assert notice.result is art36.Art36Result.SENT and code
        return
    # Nothing at all is learnt.
    assert opened is None
    assert not listed
    assert all(d == incidents.Done(Result.NOT_ALLOWED) for d in done)
    assert notice.result is art36.Art36Result.NOT_ALLOWED and code is None
    assert await session.scalar(select(func.count()).select_from(IncidentNote)) == 0
    assert await session.scalar(select(func.count()).select_from(Art36Notice)) == 0
    for incident_id in ids[:3]:
        incident = await session.get(Incident, incident_id)
        assert incident.responsible_id is None and incident.status is IncidentStatus.NEW
    refusals = (
        await session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == subject.id))
    ).all()
    assert sorted(refusals) == ["denied"] * 5 + ["open_denied"]
    # What others do next reaches the subject no more.
    pb = await profile(session, staff_b)
    await incidents.take(session, pb, ids[3], NOW, translator, box)
    await incidents.add_responder_note(session, box, pb, ids[3], "Đã đến nơi.", NOW, translator)
    await incidents.close(session, pb, ids[3], IncidentOutcome.SUPPORTED, NOW, translator, box)
    after = await session.scalar(
        select(func.count())
        .select_from(OutboxEntry)
        .where(OutboxEntry.chat_id == SUBJECT, OutboxEntry.id > mark)
    )
    assert after == 0


async def test_a_moved_responder_can_no_longer_open_nor_take(session):
    """Staff who were alerted, then re-registered as a collaborator in another
    province: the old alert opens nothing and takes nothing, and the refusals
    are audited."""
    staff_a = await person(session, 501, Role.TRUSTED_ADDRESS_STAFF, None)
    commune, _, other_commune, *_ = await _world(session, staff_ids=[staff_a.id])
    staff_a.unit_id = commune.id
    data = report(
        commune.id,
        contact=ContactMode.PHONE,
        phone="0912 345 678",
        consent=True,
        reporter=incidents.Reporter(chat_id=7777, name="Chị Hoa"),
    )
    submitted = await submit(session, data)
    assert await session.scalar(
        select(OutboxEntry.id).where(
            OutboxEntry.dedupe_key == alert_key(submitted.incident_id, staff_a.id)
        )
    )
    staff_a.role, staff_a.unit_id = Role.COLLABORATOR, other_commune.id
    await session.flush()
    moved = await profile(session, staff_a)
    assert (
        await incidents.open_incident(session, cipher(), moved, submitted.incident_id, NOW) is None
    )
    took = await incidents.take(session, moved, submitted.incident_id, NOW, translator, cipher())
    assert took == incidents.Done(Result.NOT_ALLOWED)
    incident = await session.get(Incident, submitted.incident_id)
    assert incident.responsible_id is None
    actions = [
        (e.actor_id, e.action)
        for e in await audit.history(session, "incident", submitted.incident_id)
    ]
    assert (staff_a.id, "open_denied") in actions and (staff_a.id, "denied") in actions
    # Still trusted-address staff, but in another province, with the old link kept.
    staff_a.role = Role.TRUSTED_ADDRESS_STAFF
    await session.flush()
    moved = await profile(session, staff_a)
    assert (
        await incidents.open_incident(session, cipher(), moved, submitted.incident_id, NOW) is None
    )


async def test_a_holder_who_moved_away_can_be_replaced(session):
    staff_a = await person(session, 501, Role.TRUSTED_ADDRESS_STAFF, None)
    commune, _, _other_commune, _, staff_b, *_ = await _world(session, staff_ids=[staff_a.id])
    staff_a.unit_id = commune.id
    submitted = await submit(session, report(commune.id))
    box = cipher()
    pa, pb = await profile(session, staff_a), await profile(session, staff_b)
    assert (
        await incidents.take(session, pa, submitted.incident_id, NOW, translator, box)
    ).result is Result.OK
    refused = await incidents.take(session, pb, submitted.incident_id, NOW, translator, box)
    assert refused.result is Result.TAKEN_BY_OTHER
    staff_a.status = UserStatus.REJECTED
    await session.flush()
    again = await incidents.take(session, pb, submitted.incident_id, NOW, translator, box)
    assert again.result is Result.OK
    incident = await session.get(Incident, submitted.incident_id)
    assert incident.responsible_id == staff_b.id


async def test_every_copy_of_the_alert_follows_the_report(session):
    commune, _, _, _, staff_b, _coordinator, _ = await _world(session)
    submitted = await submit(session, report(commune.id))
    # The alerts were delivered: each copy has a message id.
    for entry in (
        await session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "incident_alert"))
    ).all():
        entry.status, entry.message_id = OutboxStatus.SENT, 9000 + entry.chat_id
    await session.flush()
    box = cipher()
    pb = await profile(session, staff_b)
    await incidents.take(session, pb, submitted.incident_id, NOW, translator, box)
    edits = (
        await session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.kind == "incident_alert_edit")
            .order_by(OutboxEntry.chat_id)
        )
    ).all()
    assert {e.chat_id for e in edits} == {1, 502, 510} - {1}  # the commune's responders
    for entry in edits:
        message = await outbox.message_of(session, entry.payload_id)
        assert message.edit_message_id == 9000 + entry.chat_id
        labels = [b.text for row in message.buttons for b in row]
        assert "🙋 Tôi nhận xử lý" not in labels and not any(
            "take" in (b.callback_data or "") for row in message.buttons for b in row
        )
        assert "User 502" in message.text
    await incidents.close(
        session, pb, submitted.incident_id, IncidentOutcome.SUPPORTED, NOW, translator, box
    )
    last = await session.scalar(
        select(OutboxEntry)
        .where(OutboxEntry.kind == "incident_alert_edit", OutboxEntry.chat_id == 510)
        .order_by(OutboxEntry.id.desc())
        .limit(1)
    )
    message = await outbox.message_of(session, last.payload_id)
    data = [b.callback_data for row in message.buttons for b in row]
    assert data == [f"ia:open:{submitted.incident_id}", f"ia:note:{submitted.incident_id}"]


async def test_incidents_lists_what_one_may_act_on_most_urgent_first(session):
    commune, _, _other_commune, _, staff_b, coordinator, _ = await _world(session)
    elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    old = await submit(session, report(commune.id, "k1"), NOW - timedelta(hours=3))
    urgent = await submit(
        session, report(commune.id, "k2", danger_now=True), NOW - timedelta(hours=2)
    )
    new = await submit(session, report(commune.id, "k3"), NOW - timedelta(hours=1))
    closed = await submit(session, report(commune.id, "k4"), NOW)
    await submit(session, report(elsewhere.id, "k5"), NOW)  # another commune
    pb = await profile(session, staff_b)
    await incidents.close(
        session, pb, closed.incident_id, IncidentOutcome.DUPLICATE, NOW, translator, cipher()
    )
    await incidents.take(session, pb, old.incident_id, NOW, translator, cipher())
    shown = await listing.open_reports(session, await profile(session, coordinator))
    assert [r.id for r in shown] == [urgent.incident_id, new.incident_id, old.incident_id]
    assert shown[0].danger_now and shown[2].holder == "User 502"
    assert shown[2].status is IncidentStatus.TAKEN and shown[1].level == 0
    collaborator = await person(session, 530, Role.COLLABORATOR, commune)
    assert await listing.open_reports(session, await profile(session, collaborator)) == []


async def test_incidents_finds_ones_own_report_behind_many_one_may_not_open(session, monkeypatch):
    # Staff see candidates from the whole province, most of them not theirs:
    # a report of their own must not fall behind the first batch read.
    monkeypatch.setattr(listing, "MAX_CANDIDATES", 2)
    commune, _, _, _, staff_b, _, _ = await _world(session)
    elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    own = await submit(session, report(commune.id, "k1"), NOW - timedelta(hours=5))
    for i in range(5):
        await submit(session, report(elsewhere.id, f"e{i}"), NOW - timedelta(minutes=i))
    shown = await listing.open_reports(session, await profile(session, staff_b))
    assert [r.id for r in shown] == [own.incident_id]


async def test_the_reporter_sees_a_neutral_status_and_guesses_are_limited(session):
    commune, _, _, _, staff_b, *_ = await _world(session)
    submitted = await submit(session, report(commune.id))
    subject = followup.subject_of("a-secret", 123456789)
    assert "123456789" not in subject and subject == followup.subject_of("a-secret", 123456789)
    found = await followup.check_code(session, subject, submitted.code.lower(), NOW)
    assert (found.result, found.status) == (
        followup.CodeResult.FOUND,
        followup.PublicStatus.RECEIVED,
    )
    await incidents.take(
        session, await profile(session, staff_b), submitted.incident_id, NOW, translator, cipher()
    )
    assert (
        await followup.status_of(session, submitted.incident_id)
        is followup.PublicStatus.IN_PROGRESS
    )
    for _ in range(followup.MAX_TRIES):
        wrong = await followup.check_code(session, subject, "BD-2345", NOW)
        assert wrong.result is followup.CodeResult.WRONG
    limited = await followup.check_code(session, subject, submitted.code, NOW)
    assert limited == followup.CodeCheck(followup.CodeResult.LIMITED)
    # Kept apart: only the opaque subject and the time; another person is not limited.
    columns = set(CodeAttempt.__table__.columns.keys())
    assert columns == {"id", "subject", "at"}
    other = await followup.check_code(
        session, followup.subject_of("a-secret", 42), submitted.code, NOW
    )
    assert other.result is followup.CodeResult.FOUND
    later = await followup.check_code(session, subject, submitted.code, NOW + timedelta(hours=1))
    assert later.result is followup.CodeResult.FOUND
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0


async def test_a_follow_up_in_danger_is_urgent_and_reopens_a_closed_report(session):
    commune, _, _, _, staff_b, _coordinator, _ = await _world(session)
    submitted = await submit(session, report(commune.id))
    box = cipher()
    pb = await profile(session, staff_b)
    await incidents.close(
        session, pb, submitted.incident_id, IncidentOutcome.NOT_CONFIRMED, NOW, translator, box
    )
    later = NOW + timedelta(days=2)
    result = await followup.add_from_reporter(
        session,
        box,
        submitted.incident_id,
        text="Anh ta lại đến, đang đập cửa.",
        media=[],
        danger_now=True,
        now=later,
        policy=POLICY,
        texts=translator,
    )
    assert result == followup.FollowUp(submitted.code, urgent=True, reopened=True)
    incident = await session.get(Incident, submitted.incident_id)
    assert incident.status is IncidentStatus.TAKEN and incident.responsible_id == staff_b.id
    assert incident.danger_now and incident.outcome is None and incident.closed_at is None
    notices = (
        await session.scalars(
            select(OutboxEntry).where(
                OutboxEntry.kind == "incident_notice", OutboxEntry.created_at >= later
            )
        )
    ).all()
    # A chat may be told two things at once (reopened in danger, and who
    # holds it now): all of them, in no particular order.
    texts_by_chat: dict[int, list[str]] = {}
    for n in notices:
        said = (await outbox.message_of(session, n.payload_id)).text
        texts_by_chat.setdefault(n.chat_id, []).append(said)
    assert set(texts_by_chat) >= {502, 510}  # everyone who may act, not only the holder
    assert any("🔴" in said for said in texts_by_chat[510])
    actions = [e.action for e in await audit.history(session, "incident", incident.id)]
    assert actions[-3:] == ["reopen", "danger_now", "reporter_note"]


async def test_a_follow_up_on_a_report_nobody_holds_shortens_its_timer(session):
    commune, *_ = await _world(session)
    submitted = await submit(session, report(commune.id))
    incident = await session.get(Incident, submitted.incident_id)
    assert incident.due_at == NOW + POLICY.normal
    later = NOW + timedelta(minutes=10)
    await followup.add_from_reporter(
        session,
        cipher(),
        incident.id,
        text="Nguy hiểm",
        media=[],
        danger_now=True,
        now=later,
        policy=POLICY,
        texts=translator,
    )
    assert incident.due_at == later + POLICY.danger and incident.status is IncidentStatus.NEW
    # A closed report with nobody left to hold it goes back to the responders.
    coordinator = await session.scalar(select(User).where(User.telegram_id == 510))
    await incidents.close(
        session,
        await profile(session, coordinator),
        incident.id,
        IncidentOutcome.SUPPORTED,
        later,
        translator,
        cipher(),
    )
    holder = await session.get(User, incident.responsible_id)
    holder.status = UserStatus.REJECTED
    await session.flush()
    result = await followup.add_from_reporter(
        session,
        cipher(),
        incident.id,
        text="Thêm",
        media=[],
        danger_now=False,
        now=later,
        policy=POLICY,
        texts=translator,
    )
    assert result.reopened and not result.urgent
    assert incident.status is IncidentStatus.NEW and incident.responsible_id is None


async def test_art36_notice_is_recorded_once_audited_and_told(session):
    commune, _, other_commune, _, staff_b, coordinator, _ = await _world(session)
    submitted = await submit(session, report(commune.id))
    pb = await profile(session, staff_b)
    await art36.set_committee(
        session,
        await profile(session, coordinator),
        commune.id,
        art36.CommitteeData("UBND xã Trà Bồng", "0255 3123 456"),
        NOW,
    )
    outsider = await person(session, 600, Role.COMMUNE_COORDINATOR, other_commune)
    with pytest.raises(art36.CommitteeError):
        await art36.set_committee(
            session, await profile(session, outsider), commune.id, art36.CommitteeData("x"), NOW
        )
    first, code = await art36.notify_for_incident(
        session, pb, submitted.incident_id, NOW, translator
    )
    assert first.result is art36.Art36Result.SENT and code == submitted.code
    assert first.committee.phone == "0255 3123 456" and first.informed == 1
    told = await session.scalar(
        select(OutboxEntry).where(OutboxEntry.kind == "art36_notice", OutboxEntry.chat_id == 510)
    )
    text = (await outbox.message_of(session, told.payload_id)).text
    assert "Điều 36" in text and submitted.code in text and "đánh" not in text
    again, _ = await art36.notify_for_incident(session, pb, submitted.incident_id, NOW, translator)
    assert again.result is art36.Art36Result.ALREADY and again.notice_id == first.notice_id
    history = await audit.history(session, "incident", submitted.incident_id)
    assert [e.action for e in history].count("art36") == 1
    # The shelter intake's way in: no report, the actor's own commune, its own key.
    shelter = await art36.notify_commune_committee(
        session, pb, commune.id, "shelter:1", NOW, translator
    )
    assert shelter.result is art36.Art36Result.SENT
    refused = await art36.notify_commune_committee(
        session, await profile(session, outsider), commune.id, "shelter:2", NOW, translator
    )
    assert refused.result is art36.Art36Result.NOT_ALLOWED


async def test_committee_contacts_as_csv(session):
    import io

    from storage.incidents import committees_csv

    commune, *_ = await _world(session)
    stream = io.StringIO(
        "commune_code,name,phone,email,address\n"
        f"{commune.code},UBND xã Trà Bồng,0255 3822 000,,Thôn 1\n"
    )
    assert await committees_csv.import_csv(session, stream, NOW) == 1
    committee = await art36.committee_of(session, commune)
    assert (committee.name, committee.phone) == ("UBND xã Trà Bồng", "0255 3822 000")
    out = io.StringIO()
    assert await committees_csv.export_csv(session, out) == 1
    assert f"{commune.code},UBND xã Trà Bồng,0255 3822 000,,Thôn 1" in out.getvalue()
    wrong = io.StringIO(
        "commune_code,name,phone,email,address\n"
        "NOPE,a,b,c,d\n"
        f'{commune.code},"=HYPERLINK(""http://evil.example/x"",""CLICK"")",,,\n'
    )
    with pytest.raises(committees_csv.CommitteeCsvErrors) as refused:
        await committees_csv.import_csv(session, wrong, NOW)
    assert [line for line, _ in refused.value.errors] == [2, 3]
    assert (await art36.committee_of(session, commune)).name == "UBND xã Trà Bồng"
    with pytest.raises(art36.CommitteeError, match="formula"):
        await art36.set_committee(session, None, commune.id, art36.CommitteeData("=1+2"), NOW)

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import registration, units
from storage.models import RequestStatus, Role, UserStatus
from storage.registration import Outcome, RegistrationError
from tests.storage.helpers import person, place, profile, tra_bong

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def test_request_goes_to_the_commune_coordinators_first(session):
    commune, province = await tra_bong(session)
    coordinator = await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    await person(session, 11, Role.PROVINCE_COORDINATOR, province)
    await person(session, 12, Role.ADMIN)
    applicant = await person(session, 20)
    village = await units.add_village(session, commune, "Thôn 1")
    submitted = await registration.submit(session, applicant.id, Role.COLLABORATOR, village.id)
    assert [u.id for u in submitted.approvers] == [coordinator.id]
    assert applicant.status is UserStatus.PENDING


async def test_without_commune_coordinator_it_goes_to_the_province_then_admins(session):
    commune, province = await tra_bong(session)
    admin = await person(session, 12, Role.ADMIN)
    applicant = await person(session, 20)
    submitted = await registration.submit(session, applicant.id, Role.COLLABORATOR, commune.id)
    assert [u.id for u in submitted.approvers] == [admin.id]
    head = await person(session, 11, Role.PROVINCE_COORDINATOR, province)
    submitted = await registration.submit(session, applicant.id, Role.COLLABORATOR, commune.id)
    assert [u.id for u in submitted.approvers] == [head.id]


async def test_a_commune_coordinator_request_skips_peers(session):
    commune, _ = await tra_bong(session)
    await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    admin = await person(session, 12, Role.ADMIN)
    applicant = await person(session, 20)
    submitted = await registration.submit(
        session, applicant.id, Role.COMMUNE_COORDINATOR, commune.id
    )
    assert [u.id for u in submitted.approvers] == [admin.id]


async def test_roles_must_fit_the_level(session):
    commune, province = await tra_bong(session)
    applicant = await person(session, 20)
    with pytest.raises(RegistrationError):
        await registration.submit(session, applicant.id, Role.PROVINCE_COORDINATOR, commune.id)
    with pytest.raises(RegistrationError):
        await registration.submit(session, applicant.id, Role.COLLABORATOR, province.id)
    with pytest.raises(RegistrationError):
        await registration.submit(session, applicant.id, Role.ADMIN, province.id)


async def test_approval_creates_the_new_village_and_activates(session):
    commune, _ = await tra_bong(session)
    coordinator = await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    applicant = await person(session, 20)
    submitted = await registration.submit(
        session, applicant.id, Role.COLLABORATOR, commune.id, new_village_name="Thôn Mới"
    )
    decision = await registration.decide(
        session, submitted.request.id, await profile(session, coordinator), approve=True, now=NOW
    )
    assert decision.outcome is Outcome.APPROVED
    assert applicant.status is UserStatus.ACTIVE
    assert applicant.role is Role.COLLABORATOR
    village = await units.get_unit(session, applicant.unit_id)
    assert village.name == "Thôn Mới"
    assert village.parent_id == commune.id


async def test_second_decision_reports_who_decided(session):
    commune, _ = await tra_bong(session)
    first = await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    second = await person(session, 11, Role.COMMUNE_COORDINATOR, commune)
    applicant = await person(session, 20)
    submitted = await registration.submit(session, applicant.id, Role.TEAM_MEMBER, commune.id)
    await registration.decide(
        session, submitted.request.id, await profile(session, first), False, NOW
    )
    again = await registration.decide(
        session, submitted.request.id, await profile(session, second), True, NOW
    )
    assert again.outcome is Outcome.ALREADY_DECIDED
    assert again.decided_by.id == first.id
    assert applicant.status is UserStatus.REJECTED


async def test_coordinators_cannot_decide_outside_their_subtree(session):
    commune, _ = await tra_bong(session)
    elsewhere = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    outsider = await person(session, 10, Role.COMMUNE_COORDINATOR, elsewhere)
    applicant = await person(session, 20)
    submitted = await registration.submit(session, applicant.id, Role.COLLABORATOR, commune.id)
    decision = await registration.decide(
        session, submitted.request.id, await profile(session, outsider), True, NOW
    )
    assert decision.outcome is Outcome.NOT_ALLOWED
    assert submitted.request.status is RequestStatus.PENDING
    missing = await registration.decide(
        session, 999_999, await profile(session, outsider), True, NOW
    )
    assert missing.outcome is Outcome.NOT_ALLOWED  # the same answer: nothing learnt


async def test_a_new_request_supersedes_the_pending_one(session):
    commune, _ = await tra_bong(session)
    applicant = await person(session, 20)
    old = await registration.submit(session, applicant.id, Role.COLLABORATOR, commune.id)
    await registration.submit(session, applicant.id, Role.TEAM_MEMBER, commune.id)
    await session.refresh(old.request)
    assert old.request.status is RequestStatus.SUPERSEDED

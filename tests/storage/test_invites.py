from __future__ import annotations

from datetime import timedelta

import pytest

from storage import invites, units
from storage.invites import Redeemed
from storage.models import Role, UserStatus
from storage.registration import RegistrationError
from tests.storage.helpers import person, place, profile, tra_bong


async def test_invite_registers_at_once_until_used_up(session):
    commune, _ = await tra_bong(session)
    coordinator = await profile(
        session, await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    )
    village = await units.add_village(session, commune, "Thôn 2")
    invite = await invites.create(session, coordinator, Role.COLLABORATOR, village, 7, 1)
    first = await person(session, 20)
    result = await invites.redeem(session, invite.code, first.id)
    assert result.outcome is Redeemed.OK
    assert (first.role, first.unit_id, first.status) == (
        Role.COLLABORATOR,
        village.id,
        UserStatus.ACTIVE,
    )
    second = await person(session, 21)
    assert (await invites.redeem(session, invite.code, second.id)).outcome is Redeemed.USED_UP
    assert (
        await invites.redeem(session, invite.code, first.id)
    ).outcome is Redeemed.ALREADY_REGISTERED
    assert (await invites.redeem(session, "nope", second.id)).outcome is Redeemed.UNKNOWN


async def test_expired_invite(session):
    commune, _ = await tra_bong(session)
    coordinator = await profile(
        session, await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    )
    invite = await invites.create(session, coordinator, Role.TEAM_MEMBER, commune, 1, 5)
    invite.expires_at -= timedelta(days=2)
    user = await person(session, 20)
    assert (await invites.redeem(session, invite.code, user.id)).outcome is Redeemed.EXPIRED


async def test_coordinators_invite_only_below_them_and_in_their_area(session):
    commune, province = await tra_bong(session)
    coordinator = await profile(
        session, await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    )
    assert Role.COMMUNE_COORDINATOR not in invites.roles_an_actor_can_invite(coordinator)
    with pytest.raises(RegistrationError):
        await invites.create(session, coordinator, Role.COMMUNE_COORDINATOR, commune, 7, 1)
    elsewhere = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    with pytest.raises(RegistrationError):
        await invites.create(session, coordinator, Role.COLLABORATOR, elsewhere, 7, 1)
    with pytest.raises(RegistrationError):
        await invites.create(session, coordinator, Role.COLLABORATOR, commune, 7, 0)
    collaborator = await profile(session, await person(session, 11, Role.COLLABORATOR, commune))
    assert invites.roles_an_actor_can_invite(collaborator) == []
    head = await profile(session, await person(session, 12, Role.PROVINCE_COORDINATOR, province))
    invite = await invites.create(session, head, Role.COMMUNE_COORDINATOR, commune, 30, 2)
    assert invite.max_uses == 2

"""The People page's other actions over HTTP, as the page posts them:
another role, deactivate and reactivate, rename a village, merge two
villages; each audited, and each refused outside the rules."""

from __future__ import annotations

import aiohttp
from sqlalchemy import func, select

from storage import users
from storage.models import Activity, AuditEntry, Role, Unit, User, UserStatus
from tests.web.conftest import COMMUNE, LAN, MAI, OTHER_COMMUNE, World


async def _post(
    client: aiohttp.ClientSession, world: World, path: str, form: dict[str, str], who: int
) -> tuple[int, str]:
    async with client.post(f"{world.url}{path}", data=form, headers=world.headers(who)) as r:
        return r.status, await r.text()


async def _user(world: World, telegram_id: int) -> User:
    async with world.bot.services.sessions() as session:
        found = await users.get_by_telegram_id(session, telegram_id)
        assert found is not None
        return found


async def _audited(world: World, entity: str, entity_id: int, action: str) -> int:
    async with world.bot.services.sessions() as session:
        return int(
            await session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.entity == entity,
                    AuditEntry.entity_id == entity_id,
                    AuditEntry.action == action,
                )
            )
            or 0
        )


async def test_a_commune_coordinator_gives_another_role_but_not_their_own(world: World, client):
    lan = await _user(world, LAN)
    role = "/app/api/people/role"
    status, _text = await _post(
        client, world, role, {"id": str(lan.id), "role": Role.TEAM_MEMBER.value}, COMMUNE
    )
    assert status == 200
    assert (await _user(world, LAN)).role is Role.TEAM_MEMBER
    assert await _audited(world, "user", lan.id, "role") == 1
    # Their own rank, a role that does not exist, the same role again, and
    # a coordinator of another commune: refused, nothing changes.
    for form, who, expected in (
        ({"id": str(lan.id), "role": Role.COMMUNE_COORDINATOR.value}, COMMUNE, 403),
        ({"id": str(lan.id), "role": "emperor"}, COMMUNE, 403),
        ({"id": str(lan.id), "role": Role.TEAM_MEMBER.value}, COMMUNE, 400),
        ({"id": str(lan.id), "role": Role.COLLABORATOR.value}, OTHER_COMMUNE, 403),
        ({"id": "not a number", "role": Role.COLLABORATOR.value}, COMMUNE, 404),
    ):
        status, _text = await _post(client, world, role, form, who)
        assert status == expected, form
    assert (await _user(world, LAN)).role is Role.TEAM_MEMBER
    assert await _audited(world, "user", lan.id, "role") == 1


async def test_deactivate_then_reactivate(world: World, client):
    mai = await _user(world, MAI)
    state = "/app/api/people/state"
    status, _text = await _post(client, world, state, {"id": str(mai.id), "to": "off"}, COMMUNE)
    assert status == 200
    assert (await _user(world, MAI)).status is UserStatus.DEACTIVATED
    # Twice is refused; another commune's coordinator cannot bring her back.
    status, _text = await _post(client, world, state, {"id": str(mai.id), "to": "off"}, COMMUNE)
    assert status == 400
    status, _text = await _post(
        client, world, state, {"id": str(mai.id), "to": "on"}, OTHER_COMMUNE
    )
    assert status == 403
    assert (await _user(world, MAI)).status is UserStatus.DEACTIVATED
    status, _text = await _post(client, world, state, {"id": str(mai.id), "to": "on"}, COMMUNE)
    assert status == 200
    after = await _user(world, MAI)
    assert after.status is UserStatus.ACTIVE
    assert after.role is Role.COLLABORATOR and after.unit_id == world.quiet_village.id  # kept
    assert await _audited(world, "user", mai.id, "deactivate") == 1
    assert await _audited(world, "user", mai.id, "reactivate") == 1


async def test_rename_a_village(world: World, client):
    rename = "/app/api/villages/rename"
    quiet = world.quiet_village
    for form, who, expected in (
        ({"id": str(quiet.id), "name": world.village.name}, COMMUNE, 400),  # a sibling's name
        ({"id": str(quiet.id), "name": "   "}, COMMUNE, 400),
        ({"id": str(quiet.id), "name": "Thôn Trà Bình Mới"}, OTHER_COMMUNE, 403),
        ({"id": str(world.commune.id), "name": "Xã Mới"}, COMMUNE, 400),  # not a village
    ):
        status, _text = await _post(client, world, rename, form, who)
        assert status == expected, form
    status, _text = await _post(
        client, world, rename, {"id": str(quiet.id), "name": "  Thôn  Trà Bình Mới "}, COMMUNE
    )
    assert status == 200
    async with world.bot.services.sessions() as session:
        renamed = await session.get(Unit, quiet.id)
        assert renamed is not None and renamed.name == "Thôn Trà Bình Mới"
        assert renamed.code == quiet.code  # the code, which reports use, stays
    assert await _audited(world, "unit", quiet.id, "rename") == 1


async def test_merge_two_villages(world: World, client):
    merge = "/app/api/villages/merge"
    keep, drop = world.village, world.quiet_village
    async with world.bot.services.sessions() as session:
        logged = await session.scalar(
            select(func.count(Activity.id)).where(Activity.unit_id == keep.id)
        )
    for form, who, expected in (
        ({"id": str(drop.id), "keep": str(drop.id)}, COMMUNE, 400),
        ({"id": str(drop.id), "keep": str(keep.id)}, OTHER_COMMUNE, 403),
        ({"id": str(drop.id), "keep": "x"}, COMMUNE, 404),
    ):
        status, _text = await _post(client, world, merge, form, who)
        assert status == expected, form
    assert (await _user(world, MAI)).unit_id == drop.id
    status, _text = await _post(
        client, world, merge, {"id": str(drop.id), "keep": str(keep.id)}, COMMUNE
    )
    assert status == 200
    assert (await _user(world, MAI)).unit_id == keep.id  # her people follow
    async with world.bot.services.sessions() as session:
        dropped = await session.get(Unit, drop.id)
        assert dropped is not None and not dropped.active
        assert (
            await session.scalar(select(func.count(Activity.id)).where(Activity.unit_id == keep.id))
            == logged
        )
    assert await _audited(world, "unit", keep.id, "merge") == 1
    assert await _audited(world, "unit", drop.id, "merged_into") == 1
    # Merged once: the dropped village is gone from the commune.
    status, _text = await _post(
        client, world, merge, {"id": str(drop.id), "keep": str(keep.id)}, COMMUNE
    )
    assert status in (400, 404)

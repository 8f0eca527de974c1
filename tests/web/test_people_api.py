"""The People page's other actions through HTTP, as the page posts them:
changing a role, deactivating and reactivating, renaming a village and
merging two villages; each audited, each refused outside the rules with the
reason in the viewer's language (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage import registers, trusted_addresses, users
from storage.models import (
    Activity,
    AuditEntry,
    RegisterKind,
    Role,
    TrustedAddressArea,
    Unit,
    UserStatus,
)
from storage.registers import EntryInput
from storage.trusted_addresses import AddressData
from tests.web.conftest import ADMIN, COMMUNE, LAN, MAI, OTHER_COMMUNE, World

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def _post(world: World, client, who: int, path: str, **form: str) -> tuple[int, str]:
    async with client.post(f"{world.url}{path}", data=form, headers=world.headers(who)) as r:
        return r.status, (await r.json())["message"]


async def _page(world: World, client, who: int = COMMUNE) -> str:
    async with client.get(
        f"{world.url}/app/view/people",
        params={"unit": world.commune.code},
        headers=world.headers(who),
    ) as r:
        assert r.status == 200
        return await r.text()


async def _user(world: World, telegram_id: int):
    async with world.bot.services.sessions() as session:
        found = await users.get_by_telegram_id(session, telegram_id)
        assert found is not None
        return found


async def _actions(world: World, entity: str, entity_id: int) -> list[str]:
    async with world.bot.services.sessions() as session:
        found = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
        return list(found.all())


async def test_a_coordinator_changes_a_role_below_their_own(world: World, client):
    lan = await _user(world, LAN)
    unit = world.commune.code
    role = "/app/api/people/role"
    status, message = await _post(
        world, client, COMMUNE, role, unit=unit, id=str(lan.id), role="team_member"
    )
    assert status == 200
    assert message == f"{lan.display_name} giờ là Thành viên tổ truyền thông cộng đồng."
    assert (await _user(world, LAN)).role is Role.TEAM_MEMBER
    page = await _page(world, client)
    assert '<option value="team_member" selected>' in page
    # Refused, and said why: the same role, a role at the wrong level, one as
    # high as the coordinator's, an unknown one, someone else's commune.
    for form, code in (
        ({"role": "team_member"}, 400),
        ({"role": "ta_staff"}, 400),  # held at a commune, Lan is at a village
        ({"role": "commune_coordinator"}, 403),
        ({"role": "admin"}, 403),
        ({"role": "bogus"}, 403),
    ):
        status, message = await _post(
            world, client, COMMUNE, role, unit=unit, id=str(lan.id), **form
        )
        assert status == code, form
        assert message
    status, _ = await _post(world, client, OTHER_COMMUNE, role, id=str(lan.id), role="collaborator")
    assert status == 403
    assert (await _user(world, LAN)).role is Role.TEAM_MEMBER
    assert await _actions(world, "user", lan.id) == ["role"]


async def test_a_coordinator_deactivates_and_reactivates(world: World, client):
    mai = await _user(world, MAI)
    unit = world.commune.code
    state = "/app/api/people/state"
    status, message = await _post(
        world, client, COMMUNE, state, unit=unit, id=str(mai.id), to="off"
    )
    assert (status, message) == (200, "Đã tạm ngừng.")
    assert (await _user(world, MAI)).status is UserStatus.DEACTIVATED
    page = await _page(world, client)
    block = page.split(f'data-person="{mai.id}"', 1)[1].split("</article>", 1)[0]
    assert 'name="to" value="on"' in block  # the page now offers to reactivate
    status, message = await _post(
        world, client, COMMUNE, state, unit=unit, id=str(mai.id), to="off"
    )
    assert (status, message) == (400, "Người này hiện không hoạt động.")
    # Deactivated, Mai keeps her role and place, and the bot tells her so.
    replies = await world.bot.send(MAI, "/log")
    assert replies and "tạm dừng" in (replies[-1].text or "")
    status, _ = await _post(world, client, OTHER_COMMUNE, state, id=str(mai.id), to="on")
    assert status == 403
    status, message = await _post(world, client, COMMUNE, state, unit=unit, id=str(mai.id), to="on")
    assert (status, message) == (200, "Đã cho hoạt động lại.")
    again = await _user(world, MAI)
    assert (again.status, again.role, again.unit_id) == (
        UserStatus.ACTIVE,
        Role.COLLABORATOR,
        world.quiet_village.id,
    )
    status, _ = await _post(world, client, COMMUNE, state, unit=unit, id=str(mai.id), to="on")
    assert status == 400
    status, _ = await _post(world, client, COMMUNE, state, unit=unit, id="99999", to="off")
    assert status == 404
    assert await _actions(world, "user", mai.id) == ["deactivate", "reactivate"]


async def test_a_village_is_renamed(world: World, client):
    unit = world.commune.code
    rename = "/app/api/villages/rename"
    quiet = str(world.quiet_village.id)
    status, message = await _post(
        world, client, COMMUNE, rename, unit=unit, id=quiet, name="  Thôn  Trà Bình Thượng "
    )
    assert (status, message) == (200, "Đã đổi tên: Thôn Trà Bình Thượng.")
    page = await _page(world, client)
    assert 'value="Thôn Trà Bình Thượng"' in page
    for name, code in (
        ("thôn trà xuân", 400),  # another village's name: merge them instead
        ("Thôn Trà Bình Thượng", 400),  # nothing changes
        ("   ", 400),
        ("x" * 81, 400),
    ):
        status, message = await _post(
            world, client, COMMUNE, rename, unit=unit, id=quiet, name=name
        )
        assert status == code, name
        assert message
    status, message = await _post(
        world, client, COMMUNE, rename, unit=unit, id=str(world.commune.id), name="Xã mới"
    )
    assert (status, message) == (400, "Chỉ có thể đổi tên hoặc gộp thôn, làng, tổ dân phố.")
    status, _ = await _post(world, client, OTHER_COMMUNE, rename, id=quiet, name="Thôn Lạ")
    assert status == 403
    async with world.bot.services.sessions() as session:
        village = await session.get(Unit, world.quiet_village.id)
        assert village.name == "Thôn Trà Bình Thượng"
    assert await _actions(world, "unit", world.quiet_village.id) == ["rename"]


async def test_two_villages_are_merged_and_nothing_is_lost(world: World, client):
    unit = world.commune.code
    kept, dropped = world.village, world.quiet_village
    async with world.bot.services.sessions.begin() as session:
        # The same club registered in both villages, and an address covering both.
        for village in (kept, dropped):
            await registers.save(
                session,
                None,
                EntryInput(kind=RegisterKind.CLUB, unit_id=village.id, name="CLB Trà"),
                NOW,
            )
        await trusted_addresses.create(
            session, None, AddressData(name="Nhà chị Hoa", unit_ids=[kept.id, dropped.id]), NOW
        )
    page = await _page(world, client)
    block = page.split(f'data-village="{dropped.id}"', 1)[1].split("</div>", 1)[0]
    assert f'<option value="{kept.id}">' in block
    assert f'<option value="{dropped.id}">' not in block  # not merged into itself
    merge = "/app/api/villages/merge"
    status, _ = await _post(
        world, client, COMMUNE, merge, unit=unit, id=str(dropped.id), keep=str(dropped.id)
    )
    assert status == 400
    status, _ = await _post(
        world, client, OTHER_COMMUNE, merge, id=str(dropped.id), keep=str(kept.id)
    )
    assert status == 403
    elsewhere = await _other_village(world)
    status, message = await _post(
        world, client, ADMIN, merge, unit=unit, id=str(dropped.id), keep=str(elsewhere)
    )
    assert status == 400 and message
    status, message = await _post(
        world, client, COMMUNE, merge, unit=unit, id=str(dropped.id), keep=str(kept.id)
    )
    assert (status, message) == (200, "Đã gộp Thôn Trà Bình vào Thôn Trà Xuân.")
    mai = await _user(world, MAI)
    assert mai.unit_id == kept.id
    async with world.bot.services.sessions() as session:
        assert (await session.get(Unit, dropped.id)).active is False
        clubs = await registers.entries_under(
            session, _area(await session.get(Unit, kept.id)), RegisterKind.CLUB
        )
        assert sorted(c.name for c in clubs) == ["CLB Trà", "CLB Trà (Thôn Trà Bình)"]
        covered = (await session.scalars(select(TrustedAddressArea.unit_id))).all()
        assert sorted(covered) == [kept.id]
        left = await session.scalar(select(Activity.id).where(Activity.unit_id == dropped.id))
        assert left is None
    page = await _page(world, client)
    assert f'data-village="{dropped.id}"' not in page
    assert f'data-village="{kept.id}"' in page
    assert await _actions(world, "unit", dropped.id) == ["merged_into"]
    assert await _actions(world, "unit", kept.id) == ["merge"]


def _area(unit: Unit):
    from storage.reports import areas

    return areas.unit_area(unit)


async def _other_village(world: World) -> int:
    from storage import units

    async with world.bot.services.sessions.begin() as session:
        other = await session.get(Unit, world.other.id)
        return (await units.add_village(session, other, "Thôn Khác")).id


async def test_a_collaborator_is_deactivated_from_the_page(browser, world: World):
    """In a real browser: the person's Deactivate button, the toast, and the
    button that then offers to reactivate."""
    from tests.web.test_browser import page_for

    mai = await _user(world, MAI)
    context, page = await page_for(browser, world, COMMUNE)
    try:
        await page.click('nav.tabs a[href*="v=people"]')
        card = page.locator(f'article.person[data-person="{mai.id}"]')
        await card.wait_for()
        await card.locator('form[data-post="/app/api/people/state"] button').click()
        await page.wait_for_selector("#toast:not([hidden])")
        assert "Đã tạm ngừng." in (await page.text_content("#toast") or "")
        assert (await _user(world, MAI)).status is UserStatus.DEACTIVATED
    finally:
        await context.close()

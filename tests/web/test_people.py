"""The People page (nhân sự): approving a pending request and moving a
collaborator in a real browser; what the API refuses."""

from __future__ import annotations

from sqlalchemy import select

from scheduler import jobs
from storage import registration, users
from storage.models import AuditEntry, RegistrationRequest, Role, UserStatus
from tests.storage.helpers import person
from tests.web.conftest import COMMUNE, LAN, MAI, OTHER_COMMUNE, World
from tests.web.test_browser import page_for, shot

NEWCOMER = 5020


async def _pending(world: World) -> RegistrationRequest:
    async with world.bot.services.sessions.begin() as session:
        newcomer = await person(session, NEWCOMER)  # a visitor who wrote to the bot
        await registration.submit(session, newcomer.id, Role.COLLABORATOR, world.village.id)
        found = await session.scalar(
            select(RegistrationRequest).where(RegistrationRequest.user_id == newcomer.id)
        )
        assert found is not None
        return found


async def test_a_commune_coordinator_approves_a_pending_request(browser, world: World):
    await _pending(world)
    world.bot.api.add_user(NEWCOMER, first_name="Thảo", language_code="vi")
    context, page = await page_for(browser, world, COMMUNE)
    try:
        await page.click('nav.tabs a[href*="v=people"]')
        await page.wait_for_selector(".request button.approve")
        assert "Thôn Trà Xuân" in (await page.text_content(".request") or "")
        await shot(page, "people")
        await page.click(".request button.approve")
        await page.wait_for_selector("#toast:not([hidden])")
        await page.wait_for_selector(".request", state="detached")
        await jobs.sender_of(world.bot.app).drain()
        told = world.bot.api.bot_messages(NEWCOMER)
        assert told and "được duyệt" in (told[-1].text or "")
        async with world.bot.services.sessions() as session:
            user = await users.get_by_telegram_id(session, NEWCOMER)
            assert user is not None and user.status is UserStatus.ACTIVE
            assert user.role is Role.COLLABORATOR and user.unit_id == world.village.id
    finally:
        await context.close()


async def test_a_commune_coordinator_moves_a_collaborator(browser, world: World):
    async with world.bot.services.sessions() as session:
        before = await users.get_by_telegram_id(session, LAN)
        assert before is not None and before.unit_id == world.village.id
    context, page = await page_for(browser, world, COMMUNE)
    try:
        await page.click('nav.tabs a[href*="v=people"]')
        await page.wait_for_selector(f'article.person[data-person="{before.id}"]')
        lan = page.locator(f'article.person[data-person="{before.id}"]')
        await lan.locator('select[name="place"]').select_option(world.quiet_village.code)
        await lan.locator("form.move button").click()
        await page.wait_for_selector("#toast:not([hidden])")
        assert "Thôn Trà Bình" in (await page.text_content("#toast") or "")
        async with world.bot.services.sessions() as session:
            user = await users.get_by_telegram_id(session, LAN)
            assert user is not None and user.unit_id == world.quiet_village.id
            audited = await session.scalars(
                select(AuditEntry).where(AuditEntry.entity_id == user.id)
            )
            assert audited.all()
    finally:
        await context.close()


async def test_a_person_outside_the_area_is_refused(world: World, client):
    async with world.bot.services.sessions() as session:
        mai = await users.get_by_telegram_id(session, MAI)
        assert mai is not None
    # Trà Bồng's collaborator, from another commune's coordinator: 403, nothing moves.
    for path, form in (
        ("/app/api/people/move", {"id": str(mai.id), "place": world.other.code}),
        ("/app/api/people/state", {"id": str(mai.id), "to": "off"}),
        (
            "/app/api/people/move",
            {"unit": world.commune.code, "id": str(mai.id), "place": world.other.code},
        ),
    ):
        async with client.post(
            f"{world.url}{path}", data=form, headers=world.headers(OTHER_COMMUNE)
        ) as r:
            assert r.status == 403, path
    async with world.bot.services.sessions() as session:
        mai = await users.get_by_telegram_id(session, MAI)
        assert mai is not None and mai.unit_id == world.quiet_village.id
        assert mai.status is UserStatus.ACTIVE


async def test_a_request_outside_the_area_is_refused(world: World, client):
    pending = await _pending(world)
    async with client.post(
        f"{world.url}/app/api/people/decide",
        data={"id": pending.public_id, "approve": "y"},
        headers=world.headers(OTHER_COMMUNE),
    ) as r:
        assert r.status == 403
    async with client.get(
        f"{world.url}/app/view/people?unit={world.commune.code}",
        headers=world.headers(OTHER_COMMUNE),
    ) as r:
        assert r.status == 403
    async with world.bot.services.sessions() as session:
        user = await users.get_by_telegram_id(session, NEWCOMER)
        assert user is not None and user.status is not UserStatus.ACTIVE


async def test_a_decision_on_the_page_updates_every_approvers_copy(world: World, client):
    """The page decides through the bot's use-case: the applicant is told, and
    every approver who got the request in the bot sees its buttons go and
    learns who decided (all through the outbox)."""
    from handlers.approval import TEXTS
    from storage import approvals

    second = 5021
    world.bot.api.add_user(second, first_name="Vy", language_code="en")
    world.bot.api.add_user(NEWCOMER, first_name="Thảo", language_code="vi")
    async with world.bot.services.sessions.begin() as session:
        await person(session, second, Role.COMMUNE_COORDINATOR, world.commune, language="en")
        newcomer = await person(session, NEWCOMER)
        filed = await approvals.submit(
            session,
            newcomer.id,
            Role.COLLABORATOR,
            world.village.id,
            world.bot.clock(),
            TEXTS,
        )
        public_id = filed.request.public_id
    assert filed.reached == 2
    await jobs.sender_of(world.bot.app).drain()
    for approver in (COMMUNE, second):
        (copy,) = world.bot.api.bot_messages(approver)
        assert f"ap:{public_id}:y" in str(copy.reply_markup)
    async with client.post(
        f"{world.url}/app/api/people/decide",
        data={"id": public_id, "approve": "y"},
        headers=world.headers(COMMUNE),
    ) as r:
        assert r.status == 200
    await jobs.sender_of(world.bot.app).drain()
    copy, verdict = world.bot.api.bot_messages(second)
    assert not copy.reply_markup
    assert (verdict.text or "").startswith("✅ Approved by ")
    assert not world.bot.api.bot_messages(COMMUNE)[0].reply_markup
    told = world.bot.api.bot_messages(NEWCOMER)
    assert len(told) == 1 and "được duyệt" in (told[0].text or "")
    # Deciding again changes nothing and tells nobody again.
    async with client.post(
        f"{world.url}/app/api/people/decide",
        data={"id": public_id, "approve": "n"},
        headers=world.headers(COMMUNE),
    ) as r:
        assert r.status == 200
    await jobs.sender_of(world.bot.app).drain()
    assert len(world.bot.api.bot_messages(NEWCOMER)) == 1
    assert len(world.bot.api.bot_messages(second)) == 2

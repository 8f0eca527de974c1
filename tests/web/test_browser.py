"""The dashboard in a real browser (Chromium through Playwright): what a
coordinator sees and does, in Vietnamese, at 360 px inside Telegram and on
a desktop."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import date
from pathlib import Path

from bot.i18n import translator
from scheduler import jobs
from storage import dashboard, users
from storage.reports.areas import unit_area
from storage.reports.periods import month_period
from storage.reports.render import summary_text
from storage.reports.report import build_report
from tests.harness import texts
from tests.web.browser import new_context
from tests.web.conftest import COMMUNE, MAI, PROVINCE, World

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def shot(page, name: str) -> None:
    """With BINHDANG_SCREENSHOTS=1, the page as docs/screenshots/<name>.png
    (how the screenshots in docs/ are made); otherwise nothing is written."""
    if os.environ.get("BINHDANG_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


async def page_for(browser, world: World, telegram_id: int, width: int = 1100, theme: str = ""):
    context = await new_context(browser, viewport={"width": width, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    url = world.app_url(telegram_id) + theme
    await page.goto(url)
    await page.wait_for_selector("section.page, p.error")
    return context, page


async def figure(page, name: str) -> str:
    return (await page.text_content(f'[data-figure="{name}"]') or "").strip()


async def test_a_province_coordinator_drills_down_to_a_village(browser, world: World):
    # What /summary says in the chat for the province, this month.
    await world.bot.send(PROVINCE, "/summary")
    replies = await world.bot.press(PROVINCE, label="Tháng này")
    chat = texts(replies, PROVINCE)[0]
    assert "Quảng Ngãi" in chat
    context, page = await page_for(browser, world, PROVINCE)
    try:
        assert "Quảng Ngãi" in (await page.text_content("h1") or "")
        await page.select_option('select[name="period"]', "this_month")
        await page.click("form.period button")
        # The first page is this month's too: wait for the form's own page
        # (its address is pushed once it is shown), not for the first one.
        await page.wait_for_url("**period=this_month**")
        await page.wait_for_selector('section.page[data-period="2026-11"]')
        sessions, total = await figure(page, "sessions"), await figure(page, "total")
        assert (sessions, total) == ("2", "57")
        assert f"{sessions} buổi, {total} người tham gia" in chat
        assert f"Phụ nữ {await figure(page, 'women')}" in chat
        await page.click('table.children a:text-is("Xã Trà Bồng")')
        await page.wait_for_selector('h1:has-text("Trà Bồng")')
        assert (await figure(page, "sessions"), await figure(page, "total")) == ("2", "57")
        await page.click('table.children a:text-is("Thôn Trà Xuân")')
        await page.wait_for_selector('h1:has-text("Thôn Trà Xuân")')
        # The village, as /summary's own function renders it.
        async with world.bot.services.sessions() as session:
            report = await build_report(
                session,
                unit_area(world.village),
                month_period(2026, 11),
                today=date(2026, 11, 20),
                zone=world.bot.settings.zone,
            )
        text = summary_text(report.summary, report.targets, report.completeness, translator("vi"))
        shown = [await figure(page, k) for k in ("sessions", "total", "women", "men")]
        assert shown == ["2", "57", "38", "16"]
        assert "2 buổi, 57 người tham gia" in text and "Phụ nữ 38 · Nam 16" in text
        crumbs = await page.text_content(".crumbs") or ""
        assert "Quảng Ngãi" in crumbs and "Xã Trà Bồng" in crumbs
        assert await page.select_option('select[name="period"]', "this_month")
        await shot(page, "summary-village")
    finally:
        await context.close()


async def test_a_page_that_comes_late_does_not_replace_the_one_asked_for_since(
    browser, world: World
):
    context, page = await page_for(browser, world, PROVINCE)
    try:
        held = asyncio.Event()

        async def slow_first(route) -> None:
            if not held.is_set():
                held.set()
                await asyncio.sleep(1.5)  # the province's page, on a loaded server
            await route.continue_()

        await page.route("**/app/view/**", slow_first)
        await page.select_option('select[name="period"]', "last_month")
        await page.click("form.period button")
        async with page.expect_request_finished(lambda r: "period=last_month" in r.url):
            await page.click('table.children a:text-is("Xã Trà Bồng")')
            await page.wait_for_selector('h1:has-text("Trà Bồng")')
        await page.evaluate("() => new Promise((done) => setTimeout(done, 100))")
        assert "Trà Bồng" in (await page.text_content("h1") or "")
        assert await page.get_attribute("#main", "aria-busy") is None
    finally:
        await context.close()


async def test_a_nudge_from_the_page_reaches_the_silent_collaborator(browser, world: World):
    context, page = await page_for(browser, world, COMMUNE)
    try:
        await page.click('nav.tabs a[href*="v=completeness"]')
        await page.wait_for_selector("#nudge")
        assert await figure(page, "silent") == "1"
        assert "User 5012" in (await page.text_content("table") or "")
        await shot(page, "completeness")
        before = len(world.bot.api.bot_messages(MAI))
        await page.click("#nudge")
        await page.wait_for_selector("#toast:not([hidden])")
        assert "1" in (await page.text_content("#toast") or "")
        await jobs.sender_of(world.bot.app).drain()
        sent = world.bot.api.bot_messages(MAI)[before:]
        assert len(sent) == 1 and "/log" in (sent[0].text or "")
    finally:
        await context.close()


async def test_an_activity_shows_its_photo(browser, world: World):
    context, page = await page_for(browser, world, COMMUNE)
    try:
        await page.click('nav.tabs a[href*="v=activities"]')
        await page.wait_for_selector("article.activity")
        await page.select_option('select[name="period"]', "this_month")
        await page.select_option('select[name="kind"]', "direct")
        await page.click("form.period button")
        await page.wait_for_url("**kind=direct**")
        await page.wait_for_selector(".media img")
        image = page.locator(".media img").first
        await image.scroll_into_view_if_needed()
        await page.wait_for_function(
            "() => { const i = document.querySelector('.media img'); return i && i.complete && i.naturalWidth > 0; }"
        )
        assert await image.evaluate("i => i.naturalWidth") == 160
        html = await page.content()
        assert "test-token" not in html
        await shot(page, "activities")
    finally:
        await context.close()


async def test_a_commune_coordinator_is_refused_another_commune(browser, world: World):
    context, page = await page_for(browser, world, COMMUNE)
    try:
        status = await page.evaluate(
            """async (unit) => {
                const r = await fetch('/app/view/summary?unit=' + unit,
                    {headers: {Authorization: 'tma ' + sessionStorage.getItem('tma')}});
                return r.status;
            }""",
            world.other.code,
        )
        assert status == 403
        await page.goto(f"{world.url}/app/?v=summary&unit={world.other.code}")
        await page.wait_for_selector("p.error")
        assert await page.get_attribute("main", "data-status") == "403"
    finally:
        await context.close()


async def test_tampered_init_data_is_refused(browser, world: World):
    context = await new_context(browser)
    page = await context.new_page()
    try:
        url = world.app_url(COMMUNE)
        tampered = re.sub(
            r"auth_date%3D(\d)", lambda m: "auth_date%3D" + str((int(m[1]) + 1) % 10), url
        )
        assert tampered != url
        await page.goto(tampered)
        await page.wait_for_selector("p.error")
        assert await page.get_attribute("main", "data-status") == "401"
    finally:
        await context.close()


async def test_the_login_link_works_once(browser, world: World):
    async with world.bot.services.sessions.begin() as session:
        user = await users.get_by_telegram_id(session, PROVINCE)
        assert user is not None
        secret = await dashboard.create_login_link(session, user.id, world.bot.clock())
    office = await new_context(browser)
    page = await office.new_page()
    try:
        await page.goto(f"{world.url}/app/login/{secret}")
        await page.click("#login")
        await page.wait_for_selector("section.page")
        assert "Quảng Ngãi" in (await page.text_content("h1") or "")
        cookies = await office.cookies()
        assert [c["httpOnly"] for c in cookies if c["name"] == "bd_session"] == [True]
    finally:
        await office.close()
    second = await new_context(browser)
    page = await second.new_page()
    try:
        await page.goto(f"{world.url}/app/login/{secret}")
        async with page.expect_navigation() as sent:
            await page.click("#login")
        answer = await sent.value
        assert answer is not None and answer.status == 401
        assert "/dashboard" in (await page.text_content("p.error") or "")
    finally:
        await second.close()


async def test_the_page_at_360_px_inside_telegram(browser, world: World):
    theme = "&tgWebAppThemeParams=%7B%22bg_color%22%3A%22%23212121%22%2C%22text_color%22%3A%22%23ffffff%22%2C%22button_color%22%3A%22%238774e1%22%2C%22secondary_bg_color%22%3A%22%23181818%22%2C%22hint_color%22%3A%22%23aaaaaa%22%2C%22link_color%22%3A%22%238774e1%22%2C%22button_text_color%22%3A%22%23ffffff%22%7D"
    context, page = await page_for(browser, world, COMMUNE, width=360, theme=theme)
    try:
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 360
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(33, 33, 33)"
        assert await figure(page, "sessions") == "2"
        await shot(page, "summary-360px-telegram")
    finally:
        await context.close()


async def test_a_target_is_added_from_the_page(browser, world: World):
    context, page = await page_for(browser, world, COMMUNE)
    try:
        await page.click('nav.tabs a[href*="v=targets"]')
        await page.wait_for_selector("form.stack")
        form = page.locator("form.stack")
        await form.locator('select[name="indicator"]').select_option("sessions")
        await form.locator('input[name="value"]').fill("10")
        await form.locator("button").click()
        await page.wait_for_selector(".target-row")
        assert "3/10" in (await page.text_content(".target-row") or "")
        await shot(page, "targets")
    finally:
        await context.close()

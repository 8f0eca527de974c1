"""The dashboard in a real browser (Chromium through Playwright): what a
coordinator sees and does, in Vietnamese, at 360 px inside Telegram and on
a desktop."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scheduler import jobs
from storage import dashboard, users
from storage.reports.render import summary_text
from tests.web.browser import browser  # noqa: F401  (the fixture)
from tests.web.conftest import COMMUNE, MAI, PROVINCE, World

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def page_for(browser, world: World, telegram_id: int, width: int = 1100, theme: str = ""):
    context = await browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    url = world.app_url(telegram_id) + theme
    await page.goto(url)
    await page.wait_for_selector("section.page, p.error")
    return context, page


async def figure(page, name: str) -> str:
    return (await page.text_content(f'[data-figure="{name}"]') or "").strip()


async def test_a_province_coordinator_drills_down_to_a_village(browser, world: World):
    context, page = await page_for(browser, world, PROVINCE)
    try:
        assert "Quảng Ngãi" in (await page.text_content("h1") or "")
        await page.select_option('select[name="period"]', "this_month")
        await page.click("form.period button")
        await page.wait_for_load_state("networkidle")
        await page.click('table.children a:text-is("Xã Trà Bồng")')
        await page.wait_for_selector('h1:has-text("Trà Bồng")')
        assert await figure(page, "sessions") == "2"
        assert await figure(page, "total") == "57"
        await page.click('table.children a:text-is("Thôn Trà Xuân")')
        await page.wait_for_selector('h1:has-text("Thôn Trà Xuân")')
        # The same figures as /summary for the same village and month.
        replies = await world.bot.send(PROVINCE, "/summary")
        assert replies
        from storage.reports.areas import unit_area
        from storage.reports.periods import month_period
        from storage.reports.report import build_report
        from bot.i18n import translator

        async with world.bot.services.sessions() as session:
            report = await build_report(
                session,
                unit_area(world.village),
                month_period(2026, 11),
                today=world.bot.clock().date(),
                zone=world.bot.settings.zone,
            )
        text = summary_text(report.summary, report.targets, report.completeness, translator("vi"))
        assert "2 buổi" in text and "57 người tham gia" in text
        assert await figure(page, "sessions") == "2"
        assert await figure(page, "total") == "57"
        assert await figure(page, "women") == "38"
        crumbs = await page.text_content(".crumbs") or ""
        assert "Quảng Ngãi" in crumbs and "Xã Trà Bồng" in crumbs
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "summary-village.png"), full_page=True)
    finally:
        await context.close()

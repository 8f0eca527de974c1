"""The dashboard against the real bot (tests.harness) and a test database:
an aiohttp server on loopback with ``web.mount`` as the bot process mounts
it, villages and people in Quảng Ngãi, and initData signed as Telegram would."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import aiohttp
import pytest
from aiohttp import web as aioweb

import web
from storage import units
from storage.models import Role, Unit
from tests.harness import TOKEN, BotHarness
from tests.storage.helpers import person, place, tra_bong
from tests.storage.reports_data import activity, log
from tests.web.browser import ARGS, CHROMIUM, IN_CI, LAUNCH_TIMEOUT_MS, missing
from web import initdata

PUBLIC = "https://dash.example.org"
ADMIN = 1
PROVINCE = 5001  # Quảng Ngãi's coordinator
COMMUNE = 5002  # Trà Bồng's coordinator
OTHER_COMMUNE = 5003  # a coordinator of another commune of the province
LAN = 5011  # a collaborator who logs
MAI = 5012  # a silent collaborator


def tiny_png(width: int = 160, height: int = 100) -> bytes:
    """A real PNG (a browser shows it): a plain orange picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xe6\x7e\x22" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class World:
    bot: BotHarness
    url: str
    province: Unit
    commune: Unit
    other: Unit
    village: Unit
    quiet_village: Unit

    def init_data(self, telegram_id: int, *, age: timedelta = timedelta(0)) -> str:
        return initdata.for_user(telegram_id, TOKEN, self.bot.clock.now - age)

    def headers(self, telegram_id: int) -> dict[str, str]:
        return {"Authorization": f"tma {self.init_data(telegram_id)}"}

    def app_url(self, telegram_id: int) -> str:
        from urllib.parse import quote

        return f"{self.url}/app/#tgWebAppData={quote(self.init_data(telegram_id))}"


@pytest.fixture
async def world(engine, sessions) -> AsyncIterator[World]:
    bot = BotHarness(engine, sessions, admin_ids=[ADMIN], dashboard_url=PUBLIC)
    for telegram_id, name in (
        (ADMIN, "Admin"),
        (PROVINCE, "Hạnh"),
        (COMMUNE, "Hoa"),
        (OTHER_COMMUNE, "Bình"),
        (LAN, "Lan"),
        (MAI, "Mai"),
    ):
        bot.api.add_user(telegram_id, first_name=name, language_code="vi")
    async with bot:
        async with bot.services.sessions.begin() as session:
            commune, province = await tra_bong(session)
            other = await place(session, "Xã Sơn Hà", "Quảng Ngãi")
            village = await units.add_village(session, commune, "Thôn Trà Xuân")
            quiet = await units.add_village(session, commune, "Thôn Trà Bình")
            await person(session, PROVINCE, Role.PROVINCE_COORDINATOR, province)
            await person(session, COMMUNE, Role.COMMUNE_COORDINATOR, commune)
            await person(session, OTHER_COMMUNE, Role.COMMUNE_COORDINATOR, other)
            lan = await person(session, LAN, Role.COLLABORATOR, village)
            await person(session, MAI, Role.COLLABORATOR, quiet)
            first = activity(village, lan, date(2026, 11, 18), women=30, men=12, girls=2, boys=1)
            photo = bot.api.world.add_file("photo", tiny_png(), width=160, height=100)
            first.photo_file_ids = [photo.file_id]
            await log(
                session,
                first,
                activity(village, lan, date(2026, 11, 3), women=8, men=4),
                activity(village, lan, date(2026, 10, 9), women=5, men=5),
            )
        app = aioweb.Application()
        assert bot.app is not None
        web.mount(app, bot.app, bot.services)
        runner = aioweb.AppRunner(app, access_log=None)
        await runner.setup()
        site = aioweb.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            yield World(bot, f"http://127.0.0.1:{port}", province, commune, other, village, quiet)
        finally:
            await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    reason = missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, timeout=LAUNCH_TIMEOUT_MS
        )
        try:
            yield chromium
        finally:
            await chromium.close()

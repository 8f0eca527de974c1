"""The dashboard's HTTP side without a browser: the JSON document equal to
``binhdang report --format json``, who may see what (401, 403), the one-time
login link, the nudge, the media streamed through the bot."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from sqlalchemy import select

from bot.i18n import translator
from scheduler import jobs
from storage import dashboard
from storage.models import AuditEntry, UnitGroup, UnitGroupMember
from storage.reports import command
from storage.reports.periods import ReportCalendar
from tests.web.conftest import ADMIN, COMMUNE, LAN, MAI, OTHER_COMMUNE, PROVINCE, World


async def cli_json(world: World, unit: str, period: str) -> dict:
    out = io.BytesIO()
    request = command.Request(unit, period, "json", None, "vi")
    await command.run(
        world.bot.services.sessions,
        request,
        translator("vi"),
        zone=world.bot.settings.zone,
        calendar=ReportCalendar(),
        now=world.bot.clock(),
        stdout=out,
    )
    return json.loads(out.getvalue())


async def test_the_api_answers_the_document_of_the_cli(world: World, client):
    for unit, period in (("51", "2026-11"), (world.commune.code, "2026"), ("VN", "2026Q4")):
        async with client.get(
            f"{world.url}/app/api/summary",
            params={"unit": unit, "period": period},
            headers=world.headers(ADMIN),
        ) as response:
            assert response.status == 200
            found = await response.json()
        assert found == await cli_json(world, unit, period)
    month = await cli_json(world, world.commune.code, "2026-11")
    assert month["totals"]["sessions"] == 2 and month["totals"]["total"] == 57
    assert month["totals"]["women"] == 38
    assert {c["unit"] for c in month["children"]} == {world.village.code, world.quiet_village.code}
    assert month["completeness"]["collaborators"] == {
        "reported": 1,
        "declared_none": 0,
        "silent": 1,
    }
    text = json.dumps(month, ensure_ascii=False)
    assert "Trà" not in text  # codes and figures only, no names


async def test_a_commune_coordinator_is_refused_another_commune(world: World, client):
    url = f"{world.url}/app/api/summary"
    async with client.get(
        url, params={"unit": world.commune.code}, headers=world.headers(COMMUNE)
    ) as r:
        assert r.status == 200
    async with client.get(
        url, params={"unit": world.other.code}, headers=world.headers(COMMUNE)
    ) as r:
        assert r.status == 403
    async with client.get(url, params={"unit": "51"}, headers=world.headers(COMMUNE)) as r:
        assert r.status == 403
    async with client.get(
        url, params={"unit": world.commune.code}, headers=world.headers(LAN)
    ) as r:
        assert r.status == 403  # a collaborator is no coordinator
    async with client.get(
        f"{world.url}/app/view/summary",
        params={"unit": world.commune.code},
        headers=world.headers(OTHER_COMMUNE),
    ) as r:
        assert r.status == 403
        assert "chỉ xem" in (await r.text()).lower() or r.status == 403


async def test_tampered_or_old_init_data_is_refused(world: World, client):
    url = f"{world.url}/app/api/summary"
    good = world.init_data(PROVINCE)
    tampered = good.replace(str(PROVINCE), str(ADMIN))
    assert tampered != good
    for header in (f"tma {tampered}", f"tma {good[:-2]}00", "tma x", "Bearer abc"):
        async with client.get(url, headers={"Authorization": header}) as r:
            assert r.status == 401, header
    old = world.init_data(PROVINCE, age=timedelta(hours=1, minutes=1))
    async with client.get(url, headers={"Authorization": f"tma {old}"}) as r:
        assert r.status == 401
    recent = world.init_data(PROVINCE, age=timedelta(minutes=59))
    async with client.get(url, headers={"Authorization": f"tma {recent}"}) as r:
        assert r.status == 200
    async with client.get(url) as r:
        assert r.status == 401


async def test_the_login_link_works_once(world: World):
    async with world.bot.services.sessions.begin() as session:
        user = await _user_id(session, PROVINCE)
        secret = await dashboard.create_login_link(session, user, world.bot.clock())
    async with aiohttp_client() as browser:
        async with browser.get(f"{world.url}/app/login/{secret}") as r:
            assert r.status == 200  # a link preview's GET does not use the link
        async with browser.post(f"{world.url}/app/login/{secret}", allow_redirects=False) as r:
            assert r.status == 303
            cookie = r.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age" in cookie
        async with browser.get(f"{world.url}/app/api/summary", params={"unit": "51"}) as r:
            assert r.status == 200
    async with aiohttp_client() as other:
        async with other.post(f"{world.url}/app/login/{secret}", allow_redirects=False) as r:
            assert r.status == 401
        async with other.get(f"{world.url}/app/api/summary") as r:
            assert r.status == 401
    # A link not used in ten minutes is refused too.
    async with world.bot.services.sessions.begin() as session:
        late = await dashboard.create_login_link(session, user, world.bot.clock())
    world.bot.clock.now += timedelta(minutes=11)
    async with (
        aiohttp_client() as browser,
        browser.post(f"{world.url}/app/login/{late}", allow_redirects=False) as r,
    ):
        assert r.status == 401


async def test_the_nudge_reaches_the_silent_collaborator(world: World, client):
    before = len(world.bot.api.bot_messages(MAI))
    async with client.post(
        f"{world.url}/app/api/nudge",
        data={"unit": world.commune.code, "period": "this_month"},
        headers=world.headers(COMMUNE),
    ) as r:
        assert r.status == 200
        answer = await r.json()
    assert answer["queued"] == 1
    await jobs.sender_of(world.bot.app).drain()
    sent = world.bot.api.bot_messages(MAI)[before:]
    assert len(sent) == 1 and "/log" in (sent[0].text or "")
    assert not world.bot.api.bot_messages(LAN)
    async with world.bot.services.sessions() as session:
        audited = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == "report_nudge")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert audited and audited[-1].details["queued"] == 1
    async with client.post(
        f"{world.url}/app/api/nudge",
        data={"unit": world.other.code, "period": "this_month"},
        headers=world.headers(COMMUNE),
    ) as r:
        assert r.status == 403


async def test_photos_are_streamed_through_the_bot(world: World, client):
    async with client.get(
        f"{world.url}/app/view/activities",
        params={"unit": world.commune.code, "period": "2026-11"},
        headers=world.headers(COMMUNE),
    ) as r:
        page = await r.text()
    assert "Thôn Trà Xuân" in page
    start = page.index('src="/app/media/') + 5
    src = page[start : page.index('"', start)].replace("&amp;", "&")
    async with client.get(world.url + src) as r:
        assert r.status == 200 and r.content_type == "image/png"
        assert (await r.read()).startswith(b"\x89PNG")
    assert "test-token" not in page and "/file/bot" not in page
    forged = src.replace("/0?", "/1?")
    async with client.get(world.url + forged) as r:
        assert r.status == 401


def aiohttp_client():
    import aiohttp

    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _user_id(session, telegram_id: int) -> int:
    from storage import users

    user = await users.get_by_telegram_id(session, telegram_id)
    assert user is not None
    return user.id


async def test_dashboard_command_gives_the_mini_app_and_a_login_link(world: World, client):
    replies = await world.bot.send(PROVINCE, "/dashboard")
    message = replies[-1]
    buttons = [b for row in message.reply_markup or [] for b in row]
    assert buttons[0]["web_app"]["url"] == "https://dash.example.org/app/"
    login = buttons[1]["url"]
    assert login.startswith("https://dash.example.org/app/login/")
    menu = world.bot.api.world.menu_buttons[PROVINCE]
    assert menu["type"] == "web_app" and menu["web_app"]["url"] == "https://dash.example.org/app/"
    path = login.removeprefix("https://dash.example.org")
    async with aiohttp_client() as browser:
        async with browser.post(world.url + path, allow_redirects=False) as r:
            assert r.status == 303
        async with browser.post(world.url + path, allow_redirects=False) as r:
            assert r.status == 401
    replies = await world.bot.send(LAN, "/dashboard")
    assert "điều phối" in (replies[-1].text or "") or "coordinators" in (replies[-1].text or "")
    assert LAN not in world.bot.api.world.menu_buttons


async def test_targets_are_read_and_edited_as_in_the_bot(world: World, client):
    async def post(path: str, who: int, **data: str):
        async with client.post(f"{world.url}{path}", data=data, headers=world.headers(who)) as r:
            return r.status, await r.json()

    unit = world.commune.code
    status, answer = await post(
        "/app/api/targets/set", COMMUNE, unit=unit, year="2026", indicator="sessions", value="10"
    )
    assert status == 200 and "10" in answer["message"]
    async with client.get(
        f"{world.url}/app/view/targets",
        params={"unit": unit, "period": "2026"},
        headers=world.headers(COMMUNE),
    ) as r:
        page = await r.text()
    assert "3/10" in page  # three sessions logged in 2026 up to today
    target_id = page.split('data-target="', 1)[1].split('"', 1)[0]
    status, _ = await post(
        "/app/api/targets/set", COMMUNE, unit=unit, year="2026", id=target_id, value="12"
    )
    assert status == 200
    status, _ = await post(
        "/app/api/targets/set", COMMUNE, unit=unit, year="2026", indicator="sessions", value="-3"
    )
    assert status == 400
    status, _ = await post(
        "/app/api/targets/set",
        OTHER_COMMUNE,
        unit=unit,
        year="2026",
        indicator="sessions",
        value="1",
    )
    assert status == 403
    status, _ = await post(
        "/app/api/targets/remove", OTHER_COMMUNE, unit=world.other.code, id=target_id
    )
    assert status == 404
    status, _ = await post("/app/api/targets/remove", COMMUNE, unit=unit, id=target_id)
    assert status == 200
    async with world.bot.services.sessions() as session:
        actions = [
            e.action
            for e in (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.entity == "target").order_by(AuditEntry.id)
                )
            ).all()
        ]
    assert actions == ["create", "update", "delete"]


async def test_the_trusted_address_directory_is_read_and_edited(world: World, client):
    async def post(path: str, who: int, **data: str):
        async with client.post(f"{world.url}{path}", data=data, headers=world.headers(who)) as r:
            return r.status, await r.json()

    unit = world.commune.code
    status, answer = await post(
        "/app/api/addresses/save",
        COMMUNE,
        unit=unit,
        name="Nhà tạm lánh Trà Bồng",
        address="Thôn Trà Xuân",
        phones="0255 3822 111",
        hours="24/7",
    )
    assert status == 200, answer
    status, answer = await post(
        "/app/api/addresses/save", COMMUNE, unit=unit, name="X", phones="not a phone"
    )
    assert status == 400, answer

    async def page(who: int, where: str) -> tuple[int, str]:
        async with client.get(
            f"{world.url}/app/view/addresses", params={"unit": where}, headers=world.headers(who)
        ) as r:
            return r.status, await r.text()

    status, text = await page(PROVINCE, "51")
    assert status == 200 and "Nhà tạm lánh Trà Bồng" in text
    address_id = text.split('data-address="', 1)[1].split('"', 1)[0]
    status, _ = await post(
        "/app/api/addresses/save",
        COMMUNE,
        unit=unit,
        id=address_id,
        name="Nhà tạm lánh xã Trà Bồng",
        phones="0255 3822 111",
        hours="24/7",
    )
    assert status == 200
    status, _ = await post(
        "/app/api/addresses/state", OTHER_COMMUNE, unit=world.other.code, id=address_id, to="off"
    )
    assert status == 403
    status, _ = await post("/app/api/addresses/state", COMMUNE, unit=unit, id=address_id, to="off")
    assert status == 200
    status, text = await page(COMMUNE, unit)
    assert "Nhà tạm lánh xã Trà Bồng" in text and 'name="to" value="on"' in text
    assert (await page(OTHER_COMMUNE, unit))[0] == 403
    async with world.bot.services.sessions() as session:
        actions = [
            e.action
            for e in (
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.entity == "trusted_address")
                    .order_by(AuditEntry.id)
                )
            ).all()
        ]
    assert actions == ["create", "update", "deactivate"]


async def test_a_coordinator_gets_the_menu_button_with_any_command(world: World):
    menus = world.bot.api.world.menu_buttons
    await world.bot.send(COMMUNE, "/help")
    assert menus[COMMUNE]["web_app"]["url"] == "https://dash.example.org/app/"
    del menus[COMMUNE]
    await world.bot.send(COMMUNE, "/help")
    assert COMMUNE not in menus  # once per chat, not at every command
    await world.bot.send(LAN, "/help")
    assert LAN not in menus


async def test_a_group_of_communes_is_drilled_into_from_its_province(world: World, client):
    async with world.bot.services.sessions.begin() as session:
        group = UnitGroup(name="Huyện Trà Bồng cũ", owner_unit_id=world.province.id)
        session.add(group)
        await session.flush()
        for commune in (world.commune, world.other):
            session.add(UnitGroupMember(group_id=group.id, unit_id=commune.id))
        group_id = group.id
    async with client.get(
        f"{world.url}/app/view/summary",
        params={"unit": "51", "period": "2026-11"},
        headers=world.headers(PROVINCE),
    ) as r:
        page = await r.text()
    assert "Huyện Trà Bồng cũ" in page and f"unit=group%3A{group_id}" in page
    async with client.get(
        f"{world.url}/app/api/summary",
        params={"unit": f"group:{group_id}", "period": "2026-11"},
        headers=world.headers(PROVINCE),
    ) as r:
        found = await r.json()
    assert found == await cli_json(world, f"group:{group_id}", "2026-11")
    assert found["totals"]["sessions"] == 2
    assert {c["unit"] for c in found["children"]} == {world.commune.code, world.other.code}
    async with client.get(
        f"{world.url}/app/api/summary",
        params={"unit": f"group:{group_id}"},
        headers=world.headers(COMMUNE),
    ) as r:
        assert r.status == 403  # a commune coordinator does not cover the whole group


async def test_the_summary_page_offers_the_report_files(world: World, client):
    async with client.get(
        f"{world.url}/app/view/summary",
        params={"unit": world.commune.code, "period": "2026-11"},
        headers=world.headers(COMMUNE),
    ) as r:
        page = await r.text()
    links = {
        href.split("format=", 1)[1].split("&", 1)[0]: href.replace("&amp;", "&")
        for href in (part.split('"', 1)[0] for part in page.split('download href="')[1:])
    }
    assert set(links) == {"xlsx", "csv", "png", "json"}
    async with client.get(world.url + links["xlsx"]) as r:
        assert r.status == 200 and (await r.read()).startswith(b"PK")
        assert "bao-cao_xa-tra-bong_2026-11.xlsx" in r.headers["Content-Disposition"]
    async with client.get(world.url + links["csv"]) as r:
        rows = (await r.read()).decode("utf-8-sig").splitlines()
        assert len(rows) == 3  # the header and the two activities of November
    async with client.get(world.url + links["png"]) as r:
        assert (await r.read()).startswith(b"\x89PNG")
    async with client.get(world.url + links["json"]) as r:
        assert json.loads(await r.read()) == await cli_json(world, world.commune.code, "2026-11")
    async with client.get(world.url + links["json"].replace("format=json", "format=csv")) as r:
        assert r.status == 401  # the signature covers the format


async def test_a_file_telegram_does_not_give_is_said_in_the_viewers_language(
    world: World, client, monkeypatch
):
    from telegram.error import NetworkError

    async with client.get(
        f"{world.url}/app/view/activities",
        params={"unit": world.commune.code, "period": "2026-11"},
        headers=world.headers(COMMUNE),
    ) as r:
        page = await r.text()
    start = page.index('src="/app/media/') + 5
    src = page[start : page.index('"', start)].replace("&amp;", "&")

    async def refused(*args: object, **kwargs: object) -> None:
        raise NetworkError("bad gateway")

    assert world.bot.app is not None
    monkeypatch.setattr(type(world.bot.app.bot), "get_file", refused)
    async with client.get(world.url + src) as r:
        assert r.status == 502
        said = await r.text()
    english = "Telegram did not give the file."
    assert said == translator("vi")(english)
    assert said != english

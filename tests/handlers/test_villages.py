from __future__ import annotations

from sqlalchemy import select

from storage.models import Role, Unit, UnitLevel
from tests.handlers.conftest import USER
from tests.harness import texts
from tests.storage.helpers import person, tra_bong

COMMUNE_HEAD, PROVINCE_HEAD = 600, 601


async def test_a_commune_coordinator_adds_villages(bot, sessions):
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        await person(session, COMMUNE_HEAD, Role.COMMUNE_COORDINATOR, commune, language="en")
    bot.api.add_user(COMMUNE_HEAD, language_code="en")
    replies = await bot.send(COMMUNE_HEAD, "/villages")
    assert "Villages of Xã Trà Bồng, Quảng Ngãi: none yet." in texts(replies)[0]
    replies = await bot.send(COMMUNE_HEAD, "Thôn 1")
    assert texts(replies)[0].startswith("Added Thôn 1.")
    replies = await bot.send(COMMUNE_HEAD, "thôn 1")
    assert texts(replies)[0].startswith("Thôn 1 is already in the list.")
    replies = await bot.send(COMMUNE_HEAD, "\u200b\u200b")  # nothing printable
    assert texts(replies)[0].startswith("A village name has 1 to 80")
    await bot.send(COMMUNE_HEAD, "/cancel")
    async with sessions() as session:
        names = (await session.scalars(select(Unit.name).where(Unit.parent_id == commune.id))).all()
    assert names == ["Thôn 1"]


async def test_a_province_coordinator_picks_the_commune_first(bot, sessions):
    async with sessions.begin() as session:
        _, province = await tra_bong(session)
        await person(session, PROVINCE_HEAD, Role.PROVINCE_COORDINATOR, province, language="en")
    bot.api.add_user(PROVINCE_HEAD, language_code="en")
    await bot.send(PROVINCE_HEAD, "/villages")
    replies = await bot.send(PROVINCE_HEAD, "vinh linh")  # in Quảng Trị: not theirs
    assert texts(replies) == ["No place under your unit matches that name. Please type it again."]
    await bot.send(PROVINCE_HEAD, "dong tra bong")
    await bot.press(PROVINCE_HEAD, label="Xã Đông Trà Bồng, Quảng Ngãi")
    replies = await bot.send(PROVINCE_HEAD, "Làng Mới")
    assert texts(replies)[0].startswith("Added Làng Mới.")
    async with sessions() as session:
        village = await session.scalar(select(Unit).where(Unit.level == UnitLevel.VILLAGE))
    assert village.name == "Làng Mới"


async def test_collaborators_cannot_add_villages(bot):
    replies = await bot.send(USER, "/villages")
    assert texts(replies) == ["Only coordinators can add villages."]


async def test_a_village_name_that_a_spreadsheet_would_run_is_refused(bot, sessions):
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        await person(session, COMMUNE_HEAD, Role.COMMUNE_COORDINATOR, commune, language="en")
    bot.api.add_user(COMMUNE_HEAD, language_code="en")
    await bot.send(COMMUNE_HEAD, "/villages")
    replies = await bot.send(COMMUNE_HEAD, "=1+2")
    assert texts(replies)[0].startswith("A name cannot start with =, +, - or @")
    replies = await bot.send(COMMUNE_HEAD, "Thôn 2")  # still at the same step
    assert texts(replies)[0].startswith("Added Thôn 2.")
    async with sessions() as session:
        names = (await session.scalars(select(Unit.name).where(Unit.parent_id == commune.id))).all()
    assert names == ["Thôn 2"]

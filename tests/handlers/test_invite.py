from __future__ import annotations

from sqlalchemy import select

from storage.models import Role, User, UserStatus
from tests.handlers.conftest import ADMIN, USER
from tests.harness import texts
from tests.storage.helpers import person, tra_bong

COORDINATOR = 500


async def _coordinator(sessions) -> None:
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")


async def test_invite_link_registers_at_once(bot, sessions):
    await _coordinator(sessions)
    bot.api.add_user(COORDINATOR, first_name="Hoa", language_code="en")
    assert "/invite" in texts(await bot.send(COORDINATOR, "/help"))[0]
    await bot.send(COORDINATOR, "/invite")
    assert bot.labels(COORDINATOR) == [
        "Village collaborator",
        "Community communication team member",
        "Trusted address staff",
    ]
    await bot.press(COORDINATOR, label="Community communication team member")
    assert bot.labels(COORDINATOR) == ["Xã Trà Bồng"]
    await bot.press(COORDINATOR, label="Xã Trà Bồng")
    await bot.press(COORDINATOR, label="7 days")
    replies = await bot.send(COORDINATOR, "9999")  # more than allowed
    assert texts(replies) == ["Please type a whole number from 1 to 500."]
    replies = await bot.send(COORDINATOR, "2")
    link = texts(replies)[-1].rsplit("\n", 1)[-1]
    assert link.startswith("https://t.me/binhdang_bot?start=")
    code = link.split("=", 1)[1]

    replies = await bot.send(USER, f"/start {code}")
    assert texts(replies) == [
        "Welcome! You are registered as Community communication team member at "
        "Xã Trà Bồng, Quảng Ngãi. Send /help to see what you can do."
    ]
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.telegram_id == USER))
    assert (user.role, user.status) == (Role.TEAM_MEMBER, UserStatus.ACTIVE)
    replies = await bot.send(ADMIN, "/start nonsense")
    assert texts(replies) == ["Link mời này không hợp lệ."]


async def test_invite_is_refused_to_collaborators(bot, sessions):
    await bot.send(USER, "/help")
    assert "/invite" not in texts(await bot.send(USER, "/help"))[0]
    replies = await bot.send(USER, "/invite")
    assert texts(replies) == ["Only coordinators can create invitation links."]


async def test_a_place_outside_the_coordinators_area_is_refused(bot, sessions):
    await _coordinator(sessions)
    await bot.send(COORDINATOR, "/invite")
    await bot.press(COORDINATOR, label="Village collaborator")
    replies = await bot.send(COORDINATOR, "vinh linh")
    assert texts(replies) == ["No place under your unit matches that name. Please type it again."]

"""People and shortcuts shared by the activity end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from storage import units
from storage.models import Activity, Role, Unit
from tests.handlers.conftest import USER
from tests.harness import BotHarness
from tests.storage.helpers import person, place, tra_bong

COORDINATOR = 2001
STRANGER = 2002  # a collaborator in another commune


@dataclass
class Places:
    commune: Unit
    village: Unit
    other_village: Unit
    elsewhere: Unit  # a commune of the same province


async def setup_people(bot: BotHarness) -> Places:
    async with bot.services.sessions.begin() as session:
        commune, _ = await tra_bong(session)
        village = await units.add_village(session, commune, "Thôn 1")
        other_village = await units.add_village(session, commune, "Thôn 2")
        elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
        far_village = await units.add_village(session, elsewhere, "Thôn Xa")
        await person(session, USER, Role.COLLABORATOR, village, language="en")
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")
        await person(session, STRANGER, Role.COLLABORATOR, far_village, language="en")
    bot.api.add_user(COORDINATOR, first_name="Hoa", language_code="en")
    bot.api.add_user(STRANGER, first_name="Minh", language_code="en")
    return Places(commune, village, other_village, elsewhere)


def draft(bot: BotHarness, user: int = USER) -> dict:
    assert bot.app is not None
    return bot.app.user_data[user].get("log", {})


def conversation_state(bot: BotHarness, user: int = USER) -> object:
    """The state PTB keeps for the /log conversation (None when not in it)."""
    assert bot.app is not None
    for handlers in bot.app.handlers.values():
        for handler in handlers:
            if getattr(handler, "name", None) == "activity_log":
                return handler._conversations.get((user, user))  # type: ignore[attr-defined]
    raise LookupError("no activity_log conversation")


async def stored(bot: BotHarness) -> list[Activity]:
    async with bot.services.sessions() as session:
        return list(await session.scalars(select(Activity).order_by(Activity.id)))


async def count_stored(bot: BotHarness) -> int:
    async with bot.services.sessions() as session:
        return int(await session.scalar(select(func.count(Activity.id))) or 0)


async def voice(bot: BotHarness, user: int = USER) -> None:
    update_id = await bot.api.send_voice(user, b"OggS fake voice")
    assert bot.app is not None
    await bot.app.wait_processed(update_id, 10)


async def one_line(bot: BotHarness, line: str, user: int = USER) -> list[str]:
    """Send a one-line /log and return the texts the user got."""
    replies = await bot.send(user, f"/log {line}")
    return [m.text or "" for m in replies if m.chat_id == user]


def screen(bot: BotHarness, user: int = USER) -> str:
    """The newest bot message in the chat, as it reads now (questions answered
    with a button are edited in place into the next question)."""
    return bot.api.bot_messages(user)[-1].text or ""


async def tap(bot: BotHarness, label: str, user: int = USER) -> str:
    await bot.press(user, label=label)
    return screen(bot, user)


def every_button_answered_once(bot: BotHarness) -> bool:
    """Each pressed button got exactly one answer (no spinner left, no second
    answerCallbackQuery refused by Telegram)."""
    refused = [r for r in bot.api.log if r.method == "answerCallbackQuery" and r.status != 200]
    queries = bot.api.world.callback_queries.values()
    return not refused and all(q.answer is not None for q in queries)

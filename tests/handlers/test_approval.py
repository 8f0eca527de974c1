from __future__ import annotations

from sqlalchemy import select

from scheduler import jobs
from storage import units
from storage.models import RegistrationRequest, RequestStatus, Role, User, UserStatus
from tests.handlers.conftest import USER
from tests.harness import texts
from tests.storage.helpers import person, tra_bong

FIRST, SECOND, OUTSIDER = 501, 502, 503


async def deliver(bot) -> None:
    """What the bot queued in the outbox is sent (the tests drive the sender)."""
    await jobs.sender_of(bot.app).drain()


def told(bot, chat_id: int) -> list[str]:
    return texts(bot.api.bot_messages(chat_id))


async def _people(bot, sessions) -> None:
    for telegram_id in (FIRST, SECOND, OUTSIDER):
        bot.api.add_user(telegram_id, first_name=f"User {telegram_id}")
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        await person(session, FIRST, Role.COMMUNE_COORDINATOR, commune, language="en")
        await person(session, SECOND, Role.COMMUNE_COORDINATOR, commune, language="vi")
        await person(session, OUTSIDER, Role.COLLABORATOR, commune, language="en")


async def _request(bot, sessions, people: bool = True) -> int:
    """The applicant asks, through the bot, to be a collaborator for Xã Trà Bồng."""
    if people:
        await _people(bot, sessions)
    await bot.send(USER, "/start")
    await bot.press(USER, label="English")
    await bot.press(USER, label="Village collaborator")
    await bot.press(USER, label="Quảng Ngãi")
    await bot.send(USER, "tra bong")
    await bot.press(USER, label="Xã Trà Bồng")
    await bot.press(USER, label="I work for the whole commune")
    await bot.press(USER, label="✅ Send request")
    await deliver(bot)
    async with sessions() as session:
        return await session.scalar(select(RegistrationRequest.id))


async def test_first_decision_wins_and_the_others_see_who(bot, sessions):
    request_id = await _request(bot, sessions)
    assert len(bot.api.bot_messages(FIRST)) == len(bot.api.bot_messages(SECOND)) == 1
    await bot.press(FIRST, label="✅ Approve")
    await deliver(bot)
    assert "✅ Approved by User 501." in told(bot, FIRST)
    assert "✅ Đã được User 501 duyệt." in told(bot, SECOND)
    assert any("approved" in t for t in told(bot, USER))
    # Every copy of the request lost its buttons.
    assert bot.api.bot_messages(FIRST)[0].buttons() == []
    assert bot.api.bot_messages(SECOND)[0].buttons() == []
    await bot.press_data(SECOND, bot.api.bot_messages(SECOND)[0].message_id, f"ap:{request_id}:n")
    assert bot.answer() == "Yêu cầu này đã được User 501 xử lý."
    async with sessions() as session:
        request = await session.get(RegistrationRequest, request_id)
    assert request.status is RequestStatus.APPROVED


async def test_a_forged_approval_by_a_collaborator_is_refused(bot, sessions):
    request_id = await _request(bot, sessions)
    await bot.send(OUTSIDER, "/help")
    message = bot.api.bot_messages(OUTSIDER)[-1]
    await bot.press_data(OUTSIDER, message.message_id, f"ap:{request_id}:y")
    assert bot.answer() == "You cannot decide this request."
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.telegram_id == USER))
    assert user.status is UserStatus.PENDING


async def test_an_approver_who_blocked_the_bot_is_skipped(bot, sessions):
    await _people(bot, sessions)
    bot.api.block(FIRST)
    await _request(bot, sessions, people=False)
    assert bot.api.bot_messages(FIRST) == []
    assert len(bot.api.bot_messages(SECOND)) == 1
    async with sessions() as session:
        first = await session.scalar(select(User).where(User.telegram_id == FIRST))
    assert first.bot_blocked is True
    await bot.press(SECOND, label="✅ Duyệt")
    await deliver(bot)
    assert any("approved" in t for t in told(bot, USER))


async def test_an_unexpected_error_is_apologised_for_and_the_step_kept(bot, monkeypatch):
    await bot.send(USER, "/start")
    await bot.press(USER, label="English")

    async def broken(*args, **kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(units, "provinces", broken)
    replies = await bot.press(USER, label="Village collaborator")
    assert texts(replies)[-1].startswith("Sorry, something went wrong on our side.")
    assert bot.answer() == ""  # the button was answered, no endless spinner
    monkeypatch.undo()
    # The role buttons are still there and the step still works.
    await bot.press(USER, label="Village collaborator")
    await bot.send(USER, "quang ngai")  # the full name: chosen
    assert bot.app is not None
    assert bot.app.user_data[USER]["reg"]["step"] == "COMMUNE"


async def test_a_forged_approval_tells_a_stranger_nothing(bot, sessions):
    """An unregistered user pressing a forged ``ap:<id>:n`` after the request
    was decided learns neither that it exists nor who decided it; the real
    buttons carry a random id, not the sequential one."""
    request_id = await _request(bot, sessions)
    (notice,) = bot.api.bot_messages(FIRST)
    data = [str(b.get("callback_data", "")) for b in notice.buttons()]
    async with sessions() as session:
        public_id = (await session.get(RegistrationRequest, request_id)).public_id
    assert data == [f"ap:{public_id}:y", f"ap:{public_id}:n"]
    assert not public_id.isdigit() and len(public_id) >= 16
    await bot.press(FIRST, label="✅ Approve")
    stranger = 777
    bot.api.add_user(stranger, first_name="Stranger", language_code="en")
    message = (await bot.send(stranger, "/help"))[-1]
    for forged in (f"ap:{request_id}:n", "ap:2:n", f"ap:{public_id[:-1]}x:n"):
        await bot.press_data(stranger, message.message_id, forged)
        assert bot.answer() == "You cannot decide this request."
    # The real id, by someone not allowed: no name either.
    await bot.press_data(stranger, message.message_id, f"ap:{public_id}:n")
    assert bot.answer() == "You cannot decide this request."
    async with sessions() as session:
        request = await session.get(RegistrationRequest, request_id)
    assert request.status is RequestStatus.APPROVED

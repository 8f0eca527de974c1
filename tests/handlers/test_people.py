"""/people through the local Bot API: pending requests, a person's card,
moving, deactivating, villages renamed and merged."""

from __future__ import annotations

from sqlalchemy import select

from scheduler import jobs
from storage import audit, registration, units
from storage.models import RegistrationRequest, RequestStatus, Role, Unit, User, UserStatus
from tests.handlers.conftest import USER
from tests.harness import texts
from tests.storage.helpers import person, place, tra_bong

HEAD, APPLICANT = 700, 701


async def _setup(bot, sessions, language: str = "en") -> dict[str, int]:
    """Xã Trà Bồng with Thôn 1 and Thôn 2, its coordinator (HEAD) and Lan
    (USER), a collaborator of Thôn 1."""
    bot.api.add_user(HEAD, first_name="Hoa", language_code=language)
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        one = await units.add_village(session, commune, "Thôn 1")
        two = await units.add_village(session, commune, "Thôn 2")
        far = await units.add_village(session, await place(session, "Xã Bình Sơn"), "Thôn Xa")
        head = await person(session, HEAD, Role.COMMUNE_COORDINATOR, commune, language=language)
        lan = await person(session, USER, Role.COLLABORATOR, one, language="en")
        lan.display_name = "Lan"
        return {
            "commune": commune.id,
            "one": one.id,
            "two": two.id,
            "far": far.id,
            "head": head.id,
            "lan": lan.id,
        }


async def test_a_pending_request_approved_from_the_list(bot, sessions):
    ids = await _setup(bot, sessions)
    bot.api.add_user(APPLICANT, first_name="Mai", language_code="en")
    async with sessions.begin() as session:
        applicant = await person(session, APPLICANT, language="en")
        applicant.display_name = "Mai"
        submitted = await registration.submit(session, applicant.id, Role.COLLABORATOR, ids["two"])
        request_id, public_id = submitted.request.id, submitted.request.public_id
    # The approver never saw the first message: the list shows the request.
    replies = await bot.send(HEAD, "/people")
    assert texts(replies) == ["People and villages of Xã Trà Bồng, Quảng Ngãi:"]
    assert bot.labels(HEAD)[0] == "📥 Pending requests (1)"
    replies = await bot.press(HEAD, label="📥 Pending requests (1)")
    assert texts(replies)[0] == (
        "Mai asks to be Village collaborator at Thôn 2, Xã Trà Bồng, Quảng Ngãi (today)."
    )
    listed = replies[0]
    assert bot.labels(HEAD) == ["✅ Approve", "❌ Reject", "◀ Back"]
    # The button names the request by its public id, not its row number.
    assert listed.reply_markup[0][0]["callback_data"].startswith(f"ap:{public_id}:")
    await bot.press(HEAD, label="✅ Approve")
    await jobs.sender_of(bot.app).drain()  # the decision's messages go through the outbox
    said = texts(bot.api.bot_messages(HEAD))
    assert "✅ Approved by Hoa." in said or "✅ Approved by User 700." in said
    assert any("approved" in t for t in texts(bot.api.bot_messages(APPLICANT)))
    async with sessions() as session:
        request = await session.get(RegistrationRequest, request_id)
        user = await session.get(User, request.user_id)
        assert request.status is RequestStatus.APPROVED
        assert (user.status, user.unit_id) == (UserStatus.ACTIVE, ids["two"])
        decided = await audit.history(session, registration.ENTITY, request_id)
        assert [(e.action, e.actor_id) for e in decided] == [("approved", ids["head"])]
    # The copy in the list lost its buttons; the list is empty now.
    assert not bot.api.bot_messages(HEAD)[
        [m.message_id for m in bot.api.bot_messages(HEAD)].index(listed.message_id)
    ].reply_markup
    await bot.send(HEAD, "/people")
    assert bot.labels(HEAD)[0] == "📥 Pending requests (0)"
    replies = await bot.press(HEAD, label="📥 Pending requests (0)")
    assert texts(replies)[0] == "No registration request is waiting."
    # Closed, the coordinator's other commands work again.
    await bot.press(HEAD, label="✖ Close")
    replies = await bot.send(HEAD, "/help")
    assert "/people" in texts(replies)[0]


async def test_a_person_moved_and_a_forged_place_refused(bot, sessions):
    ids = await _setup(bot, sessions)
    await bot.send(HEAD, "/people")
    replies = await bot.press(HEAD, label="👥 People")
    assert texts(replies)[0].startswith("People 1–2 of 2:")
    replies = await bot.press(HEAD, label="2. Lan")
    card = texts(replies)[0]
    assert "Role: Village collaborator" in card
    assert "Place: Thôn 1, Xã Trà Bồng, Quảng Ngãi" in card
    assert "Status: Active" in card and "Last activity: none yet" in card
    await bot.press(HEAD, label="📍 Move")
    assert bot.labels(HEAD) == ["Xã Trà Bồng", "Thôn 1", "Thôn 2", "◀ Back"]
    # A photo where a place was expected: the reason and the same question.
    replies = await bot.photo(HEAD)
    assert texts(replies)[0] == "Please type your answer as text."
    assert texts(replies)[1].startswith("Where to?")
    # A forged button naming a village of another commune.
    question = bot.api.bot_messages(HEAD)[-1]
    replies = await bot.press_data(HEAD, question.message_id, f"pp:u:{ids['far']}")
    assert texts(replies)[0] == "That is outside what you can manage."
    # Typing a name outside the area finds nothing.
    replies = await bot.send(HEAD, "Thôn Xa")
    assert texts(replies)[0].startswith("No place under your area matches")
    replies = await bot.press(HEAD, label="Thôn 2")
    assert texts(replies)[0] == (
        "Lan is now Village collaborator at Thôn 2, Xã Trà Bồng, Quảng Ngãi."
    )
    async with sessions() as session:
        lan = await session.get(User, ids["lan"])
        assert lan.unit_id == ids["two"]
        history = await audit.history(session, "user", ids["lan"])
        assert [(e.action, e.actor_id) for e in history] == [("move", ids["head"])]


async def test_a_village_renamed_and_merged_in_vietnamese(bot, sessions):
    ids = await _setup(bot, sessions, language="vi")
    await bot.send(HEAD, "/people")
    await bot.press(HEAD, label="🏘 Thôn, làng")
    await bot.press(HEAD, label="Thôn 1")
    await bot.press(HEAD, label="✏️ Đổi tên")
    replies = await bot.send(HEAD, "thon 2")
    assert texts(replies)[0].startswith("Trong xã đã có thôn khác tên này")
    assert texts(replies)[1].startswith("Nhập tên mới của Thôn 1")
    replies = await bot.send(HEAD, "Thôn Một")
    assert texts(replies)[0] == "Đã đổi tên Thôn 1 thành Thôn Một."
    async with sessions() as session:
        assert (await session.get(Unit, ids["one"])).name == "Thôn Một"
    # Thôn 2 turns out to be the same place: merge it into Thôn Một.
    await bot.press(HEAD, label="◀ Quay lại")
    await bot.press(HEAD, label="Thôn 2")
    await bot.press(HEAD, label="🔗 Gộp")
    assert bot.labels(HEAD) == ["Thôn Một", "◀ Quay lại"]
    await bot.press(HEAD, label="Thôn Một")
    replies = await bot.press(HEAD, label="✅ Gộp")
    assert texts(replies)[0].startswith("Đã gộp Thôn 2 vào Thôn Một")
    async with sessions() as session:
        assert not (await session.get(Unit, ids["two"])).active
        names = (
            await session.scalars(
                select(Unit.name).where(Unit.parent_id == ids["commune"], Unit.active.is_(True))
            )
        ).all()
    assert names == ["Thôn Một"]
    # /cancel now closes the menu without saying the merge was not saved.
    replies = await bot.send(HEAD, "/cancel")
    assert texts(replies) == [
        "Đã đóng. Những gì bạn đã xác nhận trước đó vẫn được lưu, phần còn lại thì không. "
        "Gửi /help để xem các việc bạn có thể làm."
    ]


async def test_a_deactivated_person_is_told_so_and_keeps_the_draft(bot, sessions):
    ids = await _setup(bot, sessions)
    await bot.send(USER, "/log")
    assert bot.app.user_data[USER].get("log")
    await bot.send(HEAD, "/people")
    await bot.press(HEAD, label="👥 People")
    await bot.press(HEAD, label="2. Lan")
    replies = await bot.press(HEAD, label="⛔ Deactivate")
    assert texts(replies)[0] == "Lan is deactivated."
    assert "Status: Deactivated" in texts(replies)[1]
    # Her next update is stopped, politely, and her draft stays.
    for attempt in ("Hello", "/log", "/start"):
        replies = await bot.send(USER, attempt)
        assert len(replies) == 1
        assert texts(replies)[0].startswith("Your account has been deactivated")
    assert bot.app.user_data[USER].get("log")
    # The violence report stays open to her.
    replies = await bot.send(USER, "/report")
    assert not texts(replies)[0].startswith("Your account has been deactivated")
    await bot.send(USER, "/exit")
    await bot.press(HEAD, label="✅ Reactivate")
    async with sessions() as session:
        assert (await session.get(User, ids["lan"])).status is UserStatus.ACTIVE
    # Back where she was in /log.
    replies = await bot.send(USER, "/help")
    assert texts(replies)[0].startswith("What you can do here")
    assert texts(replies)[-1] == "What kind of activity was it?"


async def test_collaborators_and_strangers_get_nothing(bot, sessions):
    ids = await _setup(bot, sessions)
    replies = await bot.send(USER, "/people")
    assert texts(replies) == ["Only coordinators can manage people."]
    other = 710
    bot.api.add_user(other, first_name="Khác", language_code="en")
    async with sessions.begin() as session:
        await person(
            session,
            other,
            Role.COMMUNE_COORDINATOR,
            await place(session, "Xã Bình Sơn"),
            language="en",
        )
    await bot.send(other, "/people")
    await bot.press(other, label="👥 People")
    question = bot.api.bot_messages(other)[-1]
    replies = await bot.press_data(other, question.message_id, f"pp:p:{ids['lan']}")
    # Lan is not under Xã Bình Sơn: the list is asked again, no card.
    assert not any("Role:" in t for t in texts(replies))
    async with sessions() as session:
        assert (await session.get(User, ids["lan"])).status is UserStatus.ACTIVE


async def test_a_new_role_held_at_another_level_asks_for_the_place(bot, sessions):
    ids = await _setup(bot, sessions)
    boss = 720
    bot.api.add_user(boss, first_name="Tỉnh", language_code="en")
    async with sessions.begin() as session:
        province = await session.get(Unit, (await session.get(Unit, ids["commune"])).parent_id)
        await person(session, boss, Role.PROVINCE_COORDINATOR, province, language="en")
    await bot.send(boss, "/people")
    await bot.press(boss, label="👥 People")
    await bot.press(boss, label="3. Lan")
    await bot.press(boss, label="🎖 Change role")
    # Never their own rank or above.
    assert bot.labels(boss) == [
        "Village collaborator",
        "Community communication team member",
        "Trusted address staff",
        "Commune coordinator",
        "◀ Back",
    ]
    replies = await bot.press(boss, label="Commune coordinator")
    assert texts(replies)[0] == "That role is held at another level: choose the place too."
    await bot.send(boss, "tra bong")
    await bot.press(boss, label="Xã Trà Bồng, Quảng Ngãi")
    assert bot.labels(boss)[:2] == ["Xã Trà Bồng", "Thôn 1"]
    # A village does not fit a commune coordinator: the reason, the same question.
    replies = await bot.press(boss, label="Thôn 2")
    assert texts(replies)[0] == (
        "That role is not held at that level (village, commune or province)."
    )
    assert texts(replies)[1].startswith("Where to?")
    replies = await bot.press(boss, label="Xã Trà Bồng")
    assert texts(replies)[0] == "Lan is now Commune coordinator at Xã Trà Bồng, Quảng Ngãi."
    async with sessions() as session:
        lan = await session.get(User, ids["lan"])
        assert (lan.role, lan.unit_id) == (Role.COMMUNE_COORDINATOR, ids["commune"])


async def test_forged_village_buttons_are_asked_again(bot, sessions):
    ids = await _setup(bot, sessions)
    await bot.send(HEAD, "/people")
    await bot.press(HEAD, label="🏘 Villages")
    question = bot.api.bot_messages(HEAD)[-1]
    # A village of another commune, named in a forged button: the list again.
    replies = await bot.press_data(HEAD, question.message_id, f"pp:v:{ids['far']}")
    assert texts(replies)[0].startswith("Villages of Xã Trà Bồng")
    await bot.press(HEAD, label="Thôn 2")
    await bot.press(HEAD, label="🔗 Merge")
    question = bot.api.bot_messages(HEAD)[-1]
    for forged in (f"pp:m:{ids['far']}", f"pp:m:{ids['two']}", "pp:m:99999999"):
        replies = await bot.press_data(HEAD, question.message_id, forged)
        assert texts(replies)[0].startswith("Which village is the same place as Thôn 2?")
    # Text where a button is expected: the reason, then the same question.
    replies = await bot.send(HEAD, "Thôn 1")
    assert texts(replies)[0] == "Please choose one of the buttons below."
    assert texts(replies)[1].startswith("Which village is the same place as Thôn 2?")
    async with sessions() as session:
        assert (await session.get(Unit, ids["two"])).active
        assert (await session.get(Unit, ids["far"])).active

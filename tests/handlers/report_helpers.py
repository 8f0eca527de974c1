"""People, places and shortcuts shared by the incident end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from scheduler import jobs
from storage import trusted_addresses
from storage.models import Incident, OutboxEntry, Role, Unit
from tests.harness import BotHarness, texts
from tests.storage.helpers import person, place, tra_bong

SECRET = "an-end-to-end-test-secret-key"
REPORTER = 1001
STAFF_A, STAFF_B = 501, 502
COORDINATOR = 510
PROVINCE = 520
COLLABORATOR = 530
ADMIN = 1


@dataclass
class World:
    commune: Unit
    province: Unit
    elsewhere: Unit  # a commune of the same province with nobody to receive reports


async def setup_world(bot: BotHarness) -> World:
    """Xã Trà Bồng with a trusted address staffed by two people (they read
    English), its commune coordinator and a collaborator, and the province
    coordinator of Quảng Ngãi."""
    async with bot.services.sessions.begin() as session:
        commune, province = await tra_bong(session)
        elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
        a = await person(session, STAFF_A, Role.TRUSTED_ADDRESS_STAFF, commune, language="en")
        b = await person(session, STAFF_B, Role.TRUSTED_ADDRESS_STAFF, commune, language="en")
        await person(session, COORDINATOR, Role.COMMUNE_COORDINATOR, commune, language="en")
        await person(session, PROVINCE, Role.PROVINCE_COORDINATOR, province, language="en")
        await person(session, COLLABORATOR, Role.COLLABORATOR, commune, language="en")
        await trusted_addresses.create(
            session,
            None,
            trusted_addresses.AddressData(
                name="Trạm y tế xã Trà Bồng",
                unit_ids=[commune.id],
                address="Thôn 1, xã Trà Bồng",
                phones=["0255 3822 123"],
                hours="24/7",
                staff_ids=[a.id, b.id],
                latitude=15.25,
                longitude=108.5,
            ),
            bot.clock(),
        )
    for user, name in (
        (STAFF_A, "Lan"),
        (STAFF_B, "Mai"),
        (COORDINATOR, "Hoa"),
        (PROVINCE, "Tuan"),
        (COLLABORATOR, "Minh"),
    ):
        bot.api.add_user(user, first_name=name, language_code="en")
    # Display names as Telegram gives them (the bot learns them on contact).
    async with bot.services.sessions.begin() as session:
        from storage.models import User

        for user, name in ((STAFF_A, "Lan"), (STAFF_B, "Mai"), (COORDINATOR, "Hoa")):
            found = await session.scalar(select(User).where(User.telegram_id == user))
            assert found is not None
            found.display_name = name
    return World(commune, province, elsewhere)


async def deliver(bot: BotHarness) -> None:
    """Send what the outbox holds, as the background sender would."""
    assert bot.app is not None
    await jobs.sender_of(bot.app).drain()


async def file_report(
    bot: BotHarness,
    user: int = REPORTER,
    *,
    danger: bool = False,
    place: str = "tra bong",
    place_label: str = "Xã Trà Bồng — Quảng Ngãi",
    kind: str = "Domestic violence",
    affected: tuple[str, ...] = ("Woman",),
    details: str | None = "He hit her again last night, near the school.",
    contact: str = "🙈 Stay anonymous",
    phone: str | None = None,
    consent: bool = False,
    send: bool = True,
) -> list[str]:
    """Walk the /report conversation; returns what the bot said to the
    reporter after "Send"."""
    await bot.send(user, "/report")
    await bot.press(user, label="🆘 Yes, right now" if danger else "No")
    await bot.press(user, label=kind)
    for who in affected:
        await bot.press(user, label=who)
    await bot.press(user, label="Done ➜")
    await bot.send(user, place)
    await bot.press(user, label=place_label)
    await bot.press(user, label="Today")
    if details:
        await bot.send(user, details)
    await bot.press(user, label="Done ➜" if details else "Skip ➜")
    await bot.press(user, label=contact)
    if phone is not None:
        await bot.send(user, phone)
    if contact != "🙈 Stay anonymous":
        await bot.press(user, label="Yes, share it" if consent else "No")
    if not send:
        return []
    return texts(await bot.press(user, label="✅ Send the report"), user)


async def incidents_in_db(bot: BotHarness) -> list[Incident]:
    async with bot.services.sessions() as session:
        return list((await session.scalars(select(Incident).order_by(Incident.id))).all())


async def outbox_to(bot: BotHarness, chat_id: int) -> list[OutboxEntry]:
    async with bot.services.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.chat_id == chat_id)
                    .order_by(OutboxEntry.id)
                )
            ).all()
        )


def alerts(bot: BotHarness, chat_id: int) -> list[str]:
    """The incident alerts a chat received (in any language): the messages
    with an "I take it" button."""
    return [
        m.text or ""
        for m in bot.api.bot_messages(chat_id)
        if any(str(b.get("callback_data", "")).startswith("ia:take:") for b in m.buttons())
    ]

"""Keeping the directory true (rà soát): every month each trusted address's
staff are asked to confirm their entry with one tap; an entry not confirmed
for 60 days is flagged to its coordinators as possibly out of date."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.incidents.labels import Texts
from storage.models import (
    Priority,
    Role,
    TrustedAddress,
    TrustedAddressArea,
    TrustedAddressStaff,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.trusted_addresses import CHECK_EVERY, STALE_AFTER

CHECK_KIND = "address_check"
STALE_KIND = "address_stale"
PREFIX = "ta"  # ta:ok:<id> (still correct), ta:chg:<id> (something changed)


def _esc(value: str) -> str:
    return html.escape(value, quote=False)


async def send_checks(session: AsyncSession, now: datetime, texts: Texts) -> int:
    """Ask the staff of each entry not confirmed for a month, at most once a
    month. Returns how many questions were queued."""
    month_ago = now - CHECK_EVERY
    entries = (
        await session.scalars(
            select(TrustedAddress).where(
                TrustedAddress.active.is_(True),
                TrustedAddress.confirmed_at <= month_ago,
                or_(
                    TrustedAddress.check_sent_at.is_(None),
                    TrustedAddress.check_sent_at <= month_ago,
                ),
            )
        )
    ).all()
    queued = 0
    for entry in entries:
        staff = (
            await session.scalars(
                select(User)
                .join(TrustedAddressStaff, TrustedAddressStaff.user_id == User.id)
                .where(
                    TrustedAddressStaff.address_id == entry.id,
                    User.status == UserStatus.ACTIVE,
                    User.bot_blocked.is_(False),
                )
            )
        ).all()
        for person in staff:
            t = texts(person.language)
            text = t(
                "Is the entry of <b>{name}</b> in the trusted-address directory still correct (address, phones, opening hours, services)?"
            ).format(name=_esc(entry.name))
            buttons = (
                (
                    outbox.Button(
                        text=t("✅ Still correct"), callback_data=f"{PREFIX}:ok:{entry.id}"
                    ),
                    outbox.Button(
                        text=t("✏️ Something changed"), callback_data=f"{PREFIX}:chg:{entry.id}"
                    ),
                ),
            )
            result = await outbox.enqueue(
                session,
                kind=CHECK_KIND,
                chat_id=person.telegram_id,
                user_id=person.id,
                message=outbox.Message(text=text, buttons=buttons),
                priority=Priority.NORMAL,
                dedupe_key=f"ta:{entry.id}:chk:{now:%Y%m}:{person.id}",
            )
            queued += int(result.created)
        entry.check_sent_at = now
    await session.flush()
    return queued


async def coordinators_of(session: AsyncSession, address_id: int) -> list[User]:
    """The commune coordinators of the entry's communes; where there are none,
    the province coordinators."""
    places = (
        await session.scalars(
            select(Unit)
            .join(TrustedAddressArea, TrustedAddressArea.unit_id == Unit.id)
            .where(TrustedAddressArea.address_id == address_id)
        )
    ).all()
    communes = {u.id if u.level is UnitLevel.COMMUNE else u.parent_id for u in places}
    communes.discard(None)
    active = (User.status == UserStatus.ACTIVE) & User.bot_blocked.is_(False)
    found = (
        await session.scalars(
            select(User).where(
                active, User.role == Role.COMMUNE_COORDINATOR, User.unit_id.in_(communes)
            )
        )
    ).all()
    if found:
        return list(found)
    provinces = (await session.scalars(select(Unit.parent_id).where(Unit.id.in_(communes)))).all()
    return list(
        (
            await session.scalars(
                select(User).where(
                    active, User.role == Role.PROVINCE_COORDINATOR, User.unit_id.in_(provinces)
                )
            )
        ).all()
    )


async def flag_stale(session: AsyncSession, now: datetime, texts: Texts) -> int:
    """Tell coordinators, once, about each entry not confirmed for 60 days.
    Returns how many entries were flagged."""
    entries = (
        await session.scalars(
            select(TrustedAddress).where(
                TrustedAddress.active.is_(True),
                TrustedAddress.confirmed_at <= now - STALE_AFTER,
                TrustedAddress.stale_notified_at.is_(None),
            )
        )
    ).all()
    for entry in entries:
        for person in await coordinators_of(session, entry.id):
            t = texts(person.language)
            text = t(
                "⚠️ The trusted address <b>{name}</b> has not been confirmed for 60 days and may be out of date. Please check it with /addresses."
            ).format(name=_esc(entry.name))
            await outbox.enqueue(
                session,
                kind=STALE_KIND,
                chat_id=person.telegram_id,
                user_id=person.id,
                message=outbox.Message(text=text),
                priority=Priority.NORMAL,
                dedupe_key=f"ta:{entry.id}:stale:{entry.confirmed_at:%Y%m%d}:{person.id}",
            )
        entry.stale_notified_at = now
    await session.flush()
    return len(entries)

"""A coordinator's reminder (nhắc nhở) to the silent collaborators of an area:
one outbox entry per person, period and day, sent by the sender."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit, outbox
from storage.models import Priority
from storage.reports import areas, completeness
from storage.reports.areas import Area
from storage.reports.periods import Period
from storage.users import Profile

NUDGE_KIND = "report_nudge"
# A reminder not delivered within three days is no longer useful.
NUDGE_LIFETIME = timedelta(days=3)


class NudgeRefused(Exception):
    """The actor may not remind the collaborators of that area (nhắc nhở bị từ chối):
    not a coordinator, or the area is not theirs."""


def nudge_month(period: Period, today: date) -> date:
    """The month the one-tap button declares: the period's last month that has begun."""
    return min(period.end, today).replace(day=1)


async def queue_nudges(
    sessions: async_sessionmaker[AsyncSession],
    area: Area,
    period: Period,
    today: date,
    now: datetime,
    zone: ZoneInfo,
    message_in: Callable[[str | None, date], tuple[str, outbox.Message]],
    *,
    actor: Profile | None,
) -> int:
    """Queue a reminder for every silent collaborator of ``area`` who has not
    blocked the bot; at most one per person, period and day. ``message_in``
    renders the reminder in a person's language (language code → its
    canonical code and the message). Returns how many were newly queued; the
    coordinator's request is audited. ``actor``: who asks (``None``: the
    operator); a coordinator outside ``area`` gets :class:`NudgeRefused`
    (audited) and nothing is queued."""
    month = nudge_month(period, today)
    actor_id = actor.id if actor is not None else None
    if actor is not None:
        async with sessions.begin() as session:
            allowed = await areas.may_see(session, actor, area)
            if not allowed:
                details = {"area": area.token}
                await audit.record(
                    session, actor.id, NUDGE_KIND, area.id or 0, "denied", details, now
                )
        if not allowed:
            raise NudgeRefused(area.token)
    async with sessions.begin() as session:
        found = await completeness.completeness(session, area, period, today, zone)
        payloads: dict[str, int] = {}
        queued = 0
        for person in found.silent:
            if person.blocked:
                continue
            lang, message = message_in(person.language, month)
            if lang not in payloads:
                payloads[lang] = await outbox.add_payload(session, message)
            entry = await outbox.enqueue(
                session,
                kind=NUDGE_KIND,
                chat_id=person.telegram_id,
                user_id=person.user_id,
                message=payloads[lang],
                priority=Priority.NORMAL,
                dedupe_key=f"{NUDGE_KIND}:{period.token}:{person.user_id}:{today:%Y%m%d}",
                ref=f"{NUDGE_KIND}:{area.token}:{period.token}",
                expires_at=now + NUDGE_LIFETIME,
            )
            queued += entry.created
        await audit.record(
            session,
            actor_id,
            NUDGE_KIND,
            area.id or 0,
            "queued",
            {"area": area.token, "period": period.code, "queued": queued},
            at=now,
        )
    return queued

"""The notice of Art. 36 of the 2022 Law on Domestic Violence Prevention
(thông báo cho Ủy ban nhân dân cấp xã): a trusted address that takes in a
victim notifies the commune People's Committee.

One use-case for every way in: a responder's "I take it" or "Referred to…"
on a report, and a shelter intake. Each notice is stored once per ``key``
and audited; the commune's coordinators (the committee's officers in the
bot) are told at once through the outbox, with no name and no detail; the
committee's contact, kept per commune by the coordinators, is returned so
the responder can also call or write to it."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, outbox
from storage.incidents.access import may_open, refuse
from storage.incidents.labels import N_, Texts
from storage.incidents.notices import esc
from storage.incidents.reach import eligible, place_of
from storage.models import (
    Art36Notice,
    CommuneCommittee,
    EscalationLevel,
    Incident,
    Priority,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.text import starts_like_formula
from storage.users import Profile

ENTITY = "art36"
KIND = "art36_notice"
MAX_NAME, MAX_PHONE, MAX_EMAIL, MAX_ADDRESS = 200, 32, 200, 300


class Art36Result(enum.Enum):
    SENT = "sent"  # recorded now, and the commune's coordinators told
    ALREADY = "already"  # this key was notified before: nothing new
    NOT_ALLOWED = "not_allowed"  # the actor may not give this notice (audited)
    NO_COMMUNE = "no_commune"  # the unit is a province or does not exist


@dataclass(frozen=True)
class Committee:
    """What the responder needs to reach the commune People's Committee;
    empty strings where the coordinators have not set it yet."""

    commune_id: int
    commune_name: str
    name: str
    phone: str
    email: str
    address: str

    @property
    def known(self) -> bool:
        return bool(self.phone or self.email or self.address)


@dataclass(frozen=True)
class Art36Outcome:
    result: Art36Result
    committee: Committee | None = None
    notice_id: int | None = None
    informed: int = 0  # commune coordinators told in the bot
    at: datetime | None = None  # when the notice was given (also for ALREADY)


async def _commune_of(session: AsyncSession, unit_id: int) -> Unit | None:
    unit = await session.get(Unit, unit_id)
    if unit is not None and unit.level is UnitLevel.VILLAGE and unit.parent_id is not None:
        unit = await session.get(Unit, unit.parent_id)
    return unit if unit is not None and unit.level is UnitLevel.COMMUNE else None


async def committee_of(session: AsyncSession, commune: Unit) -> Committee:
    row = await session.get(CommuneCommittee, commune.id)
    return Committee(
        commune_id=commune.id,
        commune_name=commune.name,
        name=row.name if row and row.name else "",
        phone=row.phone if row else "",
        email=row.email if row else "",
        address=row.address if row else "",
    )


async def may_notify(session: AsyncSession, actor: Profile, commune: Unit) -> bool:
    """Trusted-address staff and coordinators who are, now, responders of the
    commune (or above it), and administrators."""
    place = await place_of(session, commune.id)
    for level in (EscalationLevel.COMMUNE, EscalationLevel.PROVINCE, EscalationLevel.NATIONAL):
        who = await eligible(session, place, level)
        if who is not None and await session.scalar(
            select(User.id).where(User.id == actor.id, who)
        ):
            return True
    return False


async def notify_commune_committee(
    session: AsyncSession,
    actor: Profile,
    unit_id: int,
    key: str,
    now: datetime,
    texts: Texts,
    *,
    incident_id: int | None = None,
) -> Art36Outcome:
    """Record that ``actor``'s trusted address took in a victim at ``unit_id``
    (a commune or one of its villages) and notify that commune's People's
    Committee. ``key`` (at most 64 characters) makes a retry land once: use
    ``incident:<id>`` for a report, your own for a shelter intake. With
    ``incident_id`` the actor must be allowed to act on that report now."""
    commune = await _commune_of(session, unit_id)
    incident = await session.get(Incident, incident_id) if incident_id is not None else None
    if incident_id is not None and incident is None:
        return Art36Outcome(Art36Result.NOT_ALLOWED)
    if commune is None:
        # Said only to someone who may act on the report: a stranger learns nothing.
        if incident is not None and not await may_open(session, actor, incident):
            await refuse(session, actor, incident, "art36", now)
            return Art36Outcome(Art36Result.NOT_ALLOWED)
        return Art36Outcome(Art36Result.NO_COMMUNE)
    allowed = (
        await may_open(session, actor, incident)
        if incident is not None
        else await may_notify(session, actor, commune)
    )
    if not allowed:
        if incident is not None:
            await refuse(session, actor, incident, "art36", now)
        else:
            await audit.record(
                session, actor.id, ENTITY, commune.id, "denied", {"key": key[:64]}, now
            )
        return Art36Outcome(Art36Result.NOT_ALLOWED)
    committee = await committee_of(session, commune)
    existing = await session.scalar(select(Art36Notice).where(Art36Notice.key == key[:64]))
    if existing is not None:
        return Art36Outcome(
            Art36Result.ALREADY, committee, existing.id, existing.informed, existing.created_at
        )
    notice = Art36Notice(
        key=key[:64],
        commune_id=commune.id,
        incident_id=incident.id if incident else None,
        actor_id=actor.id,
        informed=0,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(notice)
            await session.flush()
    except IntegrityError:  # the same key, at the same moment, from another update
        existing = await session.scalar(select(Art36Notice).where(Art36Notice.key == key[:64]))
        assert existing is not None
        return Art36Outcome(
            Art36Result.ALREADY, committee, existing.id, existing.informed, existing.created_at
        )
    notice.informed = await _inform(session, notice, commune, actor, incident, texts)
    details = {"notice": notice.id, "commune": commune.id, "informed": notice.informed}
    await audit.record(session, actor.id, ENTITY, notice.id, "notify", details, now)
    if incident is not None:
        await audit.record(session, actor.id, "incident", incident.id, "art36", details, now)
    return Art36Outcome(Art36Result.SENT, committee, notice.id, notice.informed, now)


ART36_TEXT = N_(
    "📨 <b>Notice under Art. 36 of the Law on Domestic Violence Prevention</b>\n"
    "A trusted address has taken in a victim of domestic violence in {commune}.\n"
    "Given by: {actor}{reference}"
)


async def _inform(
    session: AsyncSession,
    notice: Art36Notice,
    commune: Unit,
    actor: Profile,
    incident: Incident | None,
    texts: Texts,
) -> int:
    """Tell the commune's coordinators (except the actor)."""
    people = (
        await session.scalars(
            select(User)
            .where(
                User.role == Role.COMMUNE_COORDINATOR,
                User.unit_id == commune.id,
                User.status == UserStatus.ACTIVE,
                User.bot_blocked.is_(False),
                User.id != actor.id,
            )
            .order_by(User.id)
        )
    ).all()
    sent = 0
    for person in people:
        t = texts(person.language)
        reference = "\n" + t("Report: {code}").format(code=esc(incident.code)) if incident else ""
        queued = await outbox.enqueue(
            session,
            kind=KIND,
            chat_id=person.telegram_id,
            user_id=person.id,
            message=outbox.Message(
                text=t(ART36_TEXT).format(
                    commune=esc(commune.name),
                    actor=esc(actor.display_name),
                    reference=reference,
                ),
                protect_content=True,
            ),
            priority=Priority.URGENT,
            dedupe_key=f"art36:{notice.id}:{person.id}",
        )
        sent += int(queued.created)
    return sent


_PHONE = re.compile(r"\+?[0-9 .()\-]+")  # +84 255 3822 000: a number, not a formula


def refused_as_formula(field: str, value: str) -> bool:
    """Whether a committee field would start a spreadsheet formula; a phone
    number in international form (``+84 …``) is data (exports defuse it)."""
    value = value.strip()
    if field == "phone" and _PHONE.fullmatch(value):
        return False
    return starts_like_formula(value)


@dataclass(frozen=True)
class CommitteeData:
    name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


class CommitteeError(ValueError):
    """``code``: ``not_allowed``, ``not_commune``, ``too_long`` or ``formula``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def set_committee(
    session: AsyncSession,
    actor: Profile | None,
    commune_id: int,
    data: CommitteeData,
    now: datetime,
) -> Committee:
    """Keep a commune's People's Committee contact. Coordinators of the commune
    or above it may set it; ``actor`` ``None`` is the command line."""
    commune = await session.get(Unit, commune_id)
    if commune is None or commune.level is not UnitLevel.COMMUNE:
        raise CommitteeError("not_commune")
    if actor is not None and not (actor.is_coordinator and actor.covers(commune.path)):
        await audit.record(session, actor.id, ENTITY, commune.id, "denied", {"set": True}, now)
        raise CommitteeError("not_allowed")
    limits = (
        ("name", data.name, MAX_NAME),
        ("phone", data.phone, MAX_PHONE),
        ("email", data.email, MAX_EMAIL),
        ("address", data.address, MAX_ADDRESS),
    )
    if any(len(value) > limit for _, value, limit in limits):
        raise CommitteeError("too_long")
    if any(refused_as_formula(field, value) for field, value, _ in limits):
        raise CommitteeError("formula")  # it would be a formula in a spreadsheet
    row = await session.get(CommuneCommittee, commune.id)
    if row is None:
        row = CommuneCommittee(unit_id=commune.id)
        session.add(row)
    row.name, row.phone = data.name.strip(), data.phone.strip()
    row.email, row.address = data.email.strip(), data.address.strip()
    row.updated_by_id, row.updated_at = (actor.id if actor else None), now
    await session.flush()
    await audit.record(
        session, actor.id if actor else None, ENTITY, commune.id, "set_committee", {}, now
    )
    return await committee_of(session, commune)


async def notify_for_incident(
    session: AsyncSession, actor: Profile, incident_id: int, now: datetime, texts: Texts
) -> tuple[Art36Outcome, str | None]:
    """The notice as a step of "I take it" or "Referred to…": for the report's
    place, once per report. Also returns the report's code (``None`` when
    refused: nothing is said about a report one may not act on)."""
    incident = await session.get(Incident, incident_id)
    if incident is None:
        return Art36Outcome(Art36Result.NOT_ALLOWED), None
    outcome = await notify_commune_committee(
        session,
        actor,
        incident.unit_id,
        f"incident:{incident.id}",
        now,
        texts,
        incident_id=incident.id,
    )
    return outcome, incident.code if outcome.result is not Art36Result.NOT_ALLOWED else None

"""Broadcasts: who is in an audience, the schedule of runs, starting a run
(its messages go into the outbox in the same transaction), progress and
cancelling."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, outbox
from storage.calendar import MEMBER_ROLES
from storage.models import OutboxStatus, Priority, Role, Unit, UnitLevel, User, UserStatus
from storage.models.broadcasts import (
    Broadcast,
    BroadcastRun,
    BroadcastStatus,
    Repeat,
    RunStatus,
)
from storage.users import Profile

KIND = "broadcast"
MAX_PLACES = 20
MAX_RUNS = 366  # a repeat covers at most a year of days


def N_(message: str) -> str:
    """Mark a message id for extraction; handlers translate the error."""
    return message


class BroadcastError(ValueError):
    """Not allowed; the message is a message id naming the reason."""


@dataclass(frozen=True)
class Audience:
    """Everyone active under ``root`` (a unit path; None: the whole country),
    narrowed to ``places`` and ``roles`` when they are given."""

    root: str | None
    places: tuple[str, ...] = ()  # unit paths under root
    roles: tuple[Role, ...] = ()
    exclude_user_id: int | None = None


@dataclass(frozen=True)
class Member:
    user_id: int
    telegram_id: int
    language: str | None


def _members_query(audience: Audience) -> Select[int, int, str | None]:
    roles = audience.roles or MEMBER_ROLES
    query = (
        select(User.id, User.telegram_id, User.language)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            User.status == UserStatus.ACTIVE,
            User.bot_blocked.is_(False),
            User.role.in_(roles),
        )
    )
    if audience.root is not None:
        query = query.where(Unit.path.startswith(audience.root, autoescape=True))
    if audience.places:
        query = query.where(
            or_(*(Unit.path.startswith(p, autoescape=True) for p in audience.places))
        )
    if audience.exclude_user_id is not None:
        query = query.where(User.id != audience.exclude_user_id)
    return query


async def count_audience(session: AsyncSession, audience: Audience) -> int:
    query = _members_query(audience)
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def members(session: AsyncSession, audience: Audience) -> list[Member]:
    rows = await session.execute(_members_query(audience).order_by(User.id))
    return [Member(int(i), int(t), lang) for i, t, lang in rows.all()]


async def audience_of(session: AsyncSession, broadcast: Broadcast) -> Audience:
    paths = await _paths(session, [broadcast.unit_id] if broadcast.unit_id else [])
    places = await _paths(session, list(broadcast.places or []))
    return Audience(
        root=paths[0] if paths else None,
        places=tuple(places),
        roles=tuple(Role(r) for r in broadcast.roles or []),
        exclude_user_id=broadcast.author_id,
    )


async def _paths(session: AsyncSession, unit_ids: Sequence[int]) -> list[str]:
    if not unit_ids:
        return []
    rows = await session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(unit_ids)))
    by_id = {int(i): str(p) for i, p in rows.all()}
    return [by_id[i] for i in unit_ids if i in by_id]


async def narrowing_places(
    session: AsyncSession, root: str | None, unit_ids: Sequence[int]
) -> list[Unit]:
    """The units among ``unit_ids`` that are communes or villages under ``root``."""
    if not unit_ids:
        return []
    query = select(Unit).where(
        Unit.id.in_(unit_ids), Unit.level.in_([UnitLevel.COMMUNE, UnitLevel.VILLAGE])
    )
    if root is not None:
        query = query.where(Unit.path.startswith(root, autoescape=True))
    found = {u.id: u for u in (await session.scalars(query)).all()}
    return [found[i] for i in unit_ids if i in found]


# The schedule.
@dataclass(frozen=True)
class Schedule:
    first_at: datetime  # aware UTC
    repeat: Repeat = Repeat.NONE
    weekdays: tuple[int, ...] = ()  # 0 = Monday
    until: date | None = None  # local day

    def check(self, now: datetime, zone: ZoneInfo) -> None:
        if self.first_at < now - timedelta(minutes=1):
            raise BroadcastError(N_("That time has already passed."))
        if self.repeat is Repeat.NONE:
            return
        if self.until is None:
            raise BroadcastError(N_("A repeated broadcast needs a last day."))
        first_day = self.first_at.astimezone(zone).date()
        if self.until < first_day:
            raise BroadcastError(N_("The last day is before the first one."))
        if (self.until - first_day).days >= MAX_RUNS:
            raise BroadcastError(N_("A broadcast can repeat for one year at most."))
        if self.repeat is Repeat.WEEKLY and not self.weekdays:
            raise BroadcastError(N_("Choose at least one day of the week."))
        if next_run(self, self.first_at - timedelta(seconds=1), zone) is None:
            raise BroadcastError(N_("None of the chosen days falls before the last day."))


MAX_AHEAD = timedelta(days=366)


def check_first_at(moment: datetime, now: datetime) -> None:
    """The first sending of a scheduled broadcast: later than now, at most a year ahead."""
    if moment <= now:
        raise BroadcastError(N_("That time has already passed. Type a later one."))
    if moment > now + MAX_AHEAD:
        raise BroadcastError(N_("A broadcast can be scheduled at most one year ahead."))


def next_run(schedule: Schedule, after: datetime, zone: ZoneInfo) -> datetime | None:
    """The first run strictly after ``after`` (UTC), or None."""
    if schedule.repeat is Repeat.NONE:
        return schedule.first_at if schedule.first_at > after else None
    local_first = schedule.first_at.astimezone(zone)
    clock = local_first.timetz().replace(tzinfo=None)
    day = max(local_first.date(), after.astimezone(zone).date())
    assert schedule.until is not None
    while day <= schedule.until:
        moment = datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
        if moment > after and moment >= schedule.first_at:
            weekly = schedule.repeat is Repeat.WEEKLY
            if not weekly or day.weekday() in schedule.weekdays:
                return moment
        day += timedelta(days=1)
    return None


def schedule_of(broadcast: Broadcast) -> Schedule:
    return Schedule(
        first_at=broadcast.first_at,
        repeat=broadcast.repeat,
        weekdays=tuple(broadcast.weekdays or ()),
        until=broadcast.until,
    )


def runs_of(schedule: Schedule, zone: ZoneInfo, limit: int = MAX_RUNS) -> list[datetime]:
    """Every run of a schedule (for the preview)."""
    found: list[datetime] = []
    moment = next_run(schedule, schedule.first_at - timedelta(seconds=1), zone)
    while moment is not None and len(found) < limit:
        found.append(moment)
        moment = next_run(schedule, moment, zone)
    return found


# Creating, starting, cancelling.
@dataclass(frozen=True)
class Content:
    text: str  # HTML
    photo: str | None = None
    document: str | None = None


async def create(
    session: AsyncSession,
    author: Profile,
    content: Content,
    unit_id: int | None,
    places: Sequence[int],
    roles: Sequence[Role],
    schedule: Schedule,
    now: datetime,
    zone: ZoneInfo,
) -> Broadcast:
    """Save a broadcast; its first run starts when it is due (at once for
    "now", see :func:`start_run`)."""
    if not author.is_coordinator:
        raise BroadcastError(N_("Only coordinators can send broadcasts."))
    if not author.is_admin and unit_id != author.unit_id:
        raise BroadcastError(N_("You can only send to your own area."))
    if len(places) > MAX_PLACES:
        raise BroadcastError(N_("Too many places; choose at most 20."))
    schedule.check(now, zone)
    first = next_run(schedule, schedule.first_at - timedelta(seconds=1), zone)
    broadcast = Broadcast(
        author_id=author.id,
        unit_id=unit_id,
        places=list(places),
        roles=[r.value for r in roles],
        text=content.text,
        photo=content.photo,
        document=content.document,
        first_at=schedule.first_at,
        repeat=schedule.repeat,
        weekdays=list(schedule.weekdays),
        until=schedule.until,
        next_at=first,
        status=BroadcastStatus.ACTIVE,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    await audit.record(
        session,
        author.id,
        "broadcast",
        broadcast.id,
        "create",
        {"repeat": schedule.repeat.value, "places": list(places), "roles": broadcast.roles},
        at=now,
    )
    return broadcast


Render = Callable[[str | None], outbox.Message]
"""A recipient's language (None: the default) → the message in it."""


@dataclass
class Started:
    run: BroadcastRun
    recipients: int
    skipped: bool = False


async def due_broadcasts(session: AsyncSession, now: datetime) -> list[Broadcast]:
    return list(
        (
            await session.scalars(
                select(Broadcast)
                .where(
                    Broadcast.status == BroadcastStatus.ACTIVE,
                    Broadcast.next_at.is_not(None),
                    Broadcast.next_at <= now,
                )
                .order_by(Broadcast.next_at, Broadcast.id)
            )
        ).all()
    )


async def start_run(
    session: AsyncSession,
    broadcast: Broadcast,
    now: datetime,
    zone: ZoneInfo,
    render: Render,
    max_late: timedelta,
) -> Started | None:
    """Start the run due at ``broadcast.next_at``: record it and queue one
    outbox entry per recipient, in this transaction, and move ``next_at`` on.
    A run more than ``max_late`` late is recorded as skipped."""
    due = broadcast.next_at
    if broadcast.status is not BroadcastStatus.ACTIVE or due is None or due > now:
        return None
    existing = await session.scalar(
        select(BroadcastRun).where(
            BroadcastRun.broadcast_id == broadcast.id, BroadcastRun.scheduled_for == due
        )
    )
    broadcast.next_at = next_run(schedule_of(broadcast), max(due, now - max_late), zone)
    if existing is not None:
        return None
    late = now - due > max_late
    run = BroadcastRun(
        broadcast_id=broadcast.id,
        scheduled_for=due,
        status=RunStatus.SKIPPED if late else RunStatus.SENDING,
        recipients=0,
        started_at=now,
        finished_at=now if late else None,
    )
    session.add(run)
    await session.flush()
    if late:
        await _close_if_over(session, broadcast)
        return Started(run, 0, skipped=True)
    people = await members(session, await audience_of(session, broadcast))
    by_language: dict[str | None, list[Member]] = {}
    for person in people:
        by_language.setdefault(person.language, []).append(person)
    for language, group in by_language.items():
        await outbox.enqueue_many(
            session,
            kind=KIND,
            recipients=[
                outbox.Recipient(p.telegram_id, p.user_id, f"bc:{run.id}:{p.user_id}")
                for p in group
            ],
            message=render(language),
            priority=Priority.BULK,
            ref=ref_of(run.id),
        )
    run.recipients = len(people)
    await session.flush()
    return Started(run, len(people))


def ref_of(run_id: int) -> str:
    return f"bcr:{run_id}"


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    blocked: int
    failed: int
    waiting: int  # pending or being sent
    cancelled: int

    @property
    def over(self) -> bool:
        return self.waiting == 0

    @property
    def key(self) -> str:
        return f"{self.sent}/{self.blocked}/{self.failed}/{self.waiting}/{self.cancelled}"


async def progress(session: AsyncSession, run: BroadcastRun) -> Progress:
    counts = await outbox.counts(session, ref_of(run.id))
    return Progress(
        total=run.recipients,
        sent=counts[OutboxStatus.SENT],
        blocked=counts[OutboxStatus.BLOCKED],
        failed=counts[OutboxStatus.FAILED] + counts[OutboxStatus.EXPIRED],
        waiting=counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING],
        cancelled=counts[OutboxStatus.CANCELLED],
    )


async def running(session: AsyncSession) -> list[tuple[BroadcastRun, Broadcast]]:
    rows = await session.execute(
        select(BroadcastRun, Broadcast)
        .join(Broadcast, Broadcast.id == BroadcastRun.broadcast_id)
        .where(BroadcastRun.status == RunStatus.SENDING)
        .order_by(BroadcastRun.id)
    )
    return [(r, b) for r, b in rows.all()]


async def finish_run(
    session: AsyncSession, run: BroadcastRun, broadcast: Broadcast, now: datetime
) -> None:
    """Every message of the run has its outcome."""
    run.status = (
        RunStatus.CANCELLED if broadcast.status is BroadcastStatus.CANCELLED else RunStatus.DONE
    )
    run.finished_at = now
    await _close_if_over(session, broadcast)


async def _close_if_over(session: AsyncSession, broadcast: Broadcast) -> None:
    if broadcast.status is not BroadcastStatus.ACTIVE or broadcast.next_at is not None:
        return
    still = await session.scalar(
        select(func.count())
        .select_from(BroadcastRun)
        .where(BroadcastRun.broadcast_id == broadcast.id, BroadcastRun.status == RunStatus.SENDING)
    )
    if not still:
        broadcast.status = BroadcastStatus.DONE
    await session.flush()


@dataclass
class Cancelled:
    broadcast: Broadcast | None  # None: no such broadcast, or not the actor's to stop
    stopped: bool = False  # False: it was over already
    withdrawn: int = 0
    runs: list[int] = field(default_factory=list)


async def cancel(
    session: AsyncSession, actor: Profile, broadcast_id: int, now: datetime
) -> Cancelled:
    """Stop a broadcast: no more runs, and the messages of a running one that
    are not sent yet are withdrawn. Its author, or a coordinator above the
    author's area, may do it."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or not await may_manage(session, actor, broadcast):
        return Cancelled(None)
    # First one wins on every engine (FOR UPDATE does nothing on SQLite).
    stopped = await session.execute(
        sql_update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status == BroadcastStatus.ACTIVE)
        .values(
            status=BroadcastStatus.CANCELLED,
            next_at=None,
            cancelled_at=now,
            cancelled_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(broadcast)
    if not getattr(stopped, "rowcount", 0):
        return Cancelled(broadcast)
    result = Cancelled(broadcast, stopped=True)
    runs = (
        await session.scalars(
            select(BroadcastRun).where(
                BroadcastRun.broadcast_id == broadcast.id,
                BroadcastRun.status == RunStatus.SENDING,
            )
        )
    ).all()
    for run in runs:
        result.withdrawn += await outbox.cancel(session, ref_of(run.id))
        result.runs.append(run.id)
    await audit.record(
        session,
        actor.id,
        "broadcast",
        broadcast.id,
        "cancel",
        {"withdrawn": result.withdrawn},
        at=now,
    )
    await session.flush()
    return result


async def may_manage(session: AsyncSession, actor: Profile, broadcast: Broadcast) -> bool:
    if not actor.is_coordinator:
        return False
    if actor.id == broadcast.author_id or actor.is_admin:
        return True
    paths = await _paths(session, [broadcast.unit_id] if broadcast.unit_id else [])
    return bool(paths) and actor.covers(paths[0])


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def get_run(session: AsyncSession, run_id: int) -> BroadcastRun | None:
    return await session.get(BroadcastRun, run_id)


async def active_of(session: AsyncSession, author_id: int) -> list[Broadcast]:
    """A coordinator's broadcasts that are still to run or running."""
    return list(
        (
            await session.scalars(
                select(Broadcast)
                .where(Broadcast.author_id == author_id, Broadcast.status == BroadcastStatus.ACTIVE)
                .order_by(Broadcast.id)
            )
        ).all()
    )


async def set_progress_message(
    session: AsyncSession, run_id: int, chat_id: int, message_id: int | None
) -> None:
    run = await session.get(BroadcastRun, run_id)
    if run is not None:
        run.progress_chat_id, run.progress_message_id = chat_id, message_id
        run.progress_shown = None

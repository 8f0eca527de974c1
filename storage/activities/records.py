"""Stored activities (hoạt động đã ghi): saving a draft once, who may log
where, who may correct what, and the lists of /mine and /activities."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import audit
from storage.activities.rules import COUNT_FIELDS, ActivityInput, ActivityProblem, Problem
from storage.models import (
    Activity,
    ActivityKind,
    ActivityProduct,
    ActivityTopic,
    ProductKind,
    RegisterEntry,
    RegisterKind,
    RegisterStatus,
    Unit,
    UnitLevel,
    User,
)
from storage.units import in_subtree
from storage.users import Profile

ENTITY = "activity"
DEFAULT_EDIT_DAYS = 7
PAGE_SIZE = 5
PLACE_LEVELS = (UnitLevel.VILLAGE, UnitLevel.COMMUNE)
HOLDER_KINDS = (RegisterKind.TEAM, RegisterKind.CLUB, RegisterKind.LIVELIHOOD_GROUP)
_SCALAR_FIELDS = (
    "kind",
    "kind_other",
    "held_on",
    "unit_id",
    "language",
    "ethnic_language",
    "audience",
    "cost",
    "funding_source",
    "held_by_id",
    "note",
    "photo_file_ids",
    "voice_file_id",
)


def reference(activity_id: int) -> str:
    """The short reference users quote (mã hoạt động)."""
    return f"HD-{activity_id}"


# Places.
async def place_scope(session: AsyncSession, profile: Profile) -> Unit | None:
    """The unit under which ``profile`` may log: a coordinator's own unit, a
    member's commune. ``None`` for an administrator (anywhere) or no one."""
    if not profile.is_active or profile.unit_id is None:
        return None
    unit = await session.get(Unit, profile.unit_id)
    if unit is None or profile.is_coordinator or unit.level is not UnitLevel.VILLAGE:
        return unit
    return await session.get(Unit, unit.parent_id) if unit.parent_id else unit


async def may_log_at(session: AsyncSession, profile: Profile, unit: Unit) -> bool:
    if not profile.is_active or unit.level not in PLACE_LEVELS or not unit.active:
        return False
    if profile.is_admin:
        return True
    scope = await place_scope(session, profile)
    return scope is not None and unit.path.startswith(scope.path)


async def default_place(session: AsyncSession, profile: Profile) -> Unit | None:
    """The user's own village or commune, where most of their sessions happen."""
    if profile.unit_id is None:
        return None
    unit = await session.get(Unit, profile.unit_id)
    return unit if unit is not None and unit.level in PLACE_LEVELS else None


# Saving.
@dataclass(frozen=True)
class Saved:
    activity_id: int
    created: bool  # False: this draft had been stored already (a double tap, a retry)


async def find_by_key(session: AsyncSession, key: str) -> Activity | None:
    return await session.scalar(select(Activity).where(Activity.idempotency_key == key))


# What "🔁 Like last time" copies: what the session was, not when, how many or its media.
LIKE_LAST_FIELDS = ("kind", "kind_other", "unit_id", "topics", "language", "ethnic_language")


async def like_last_time(session: AsyncSession, reporter: Profile) -> dict[str, Any] | None:
    """The draft values of the reporter's latest activity that can be logged
    again as it was (its place still allowed): kind, place, topics, language."""
    last = await session.scalar(
        select(Activity)
        .where(Activity.reporter_id == reporter.id, Activity.deleted.is_(False))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(1)
    )
    if last is None:
        return None
    unit = await session.get(Unit, last.unit_id)
    if unit is None or not await may_log_at(session, reporter, unit):
        return None
    values = draft_values(last)
    return {f: values[f] for f in LIKE_LAST_FIELDS if values.get(f) is not None}


async def find_own_by_key_prefix(
    session: AsyncSession, reporter_id: int, prefix: str
) -> int | None:
    """The id of the reporter's activity whose draft key starts with ``prefix``
    (a Confirm button carries the first characters of the key)."""
    return await session.scalar(
        select(Activity.id).where(
            Activity.reporter_id == reporter_id,
            Activity.idempotency_key.startswith(prefix, autoescape=True),
        )
    )


async def create(
    session: AsyncSession, reporter: Profile, data: ActivityInput, key: str, now: datetime
) -> Saved:
    """Store a confirmed draft once: the same ``key`` returns the stored row."""
    existing = await find_by_key(session, key)
    if existing is not None:
        return Saved(existing.id, False)
    unit = await session.get(Unit, data.unit_id)
    if unit is None or not await may_log_at(session, reporter, unit):
        raise ActivityProblem(Problem.PLACE_NOT_ALLOWED)
    await check_held_by(session, data, unit)
    activity = Activity(
        reporter_id=reporter.id,
        idempotency_key=key,
        deleted=False,
        created_at=now,
        updated_at=now,
        **_columns(data),
    )
    activity.topic_links = [ActivityTopic(topic=t) for t in data.topics]
    activity.product_links = _product_links(data.products)
    session.add(activity)
    await session.flush()
    created = {f: _json(v) for f, v in _columns(data).items()}
    created["topics"] = [t.value for t in data.topics]
    if data.products:
        created["products"] = _products_json(data.products)
    await audit.record(session, reporter.id, ENTITY, activity.id, "create", created, at=now)
    return Saved(activity.id, True)


async def save_new(
    sessions: async_sessionmaker[AsyncSession],
    reporter: Profile,
    data: ActivityInput,
    key: str,
    now: datetime,
) -> Saved:
    """:func:`create` in a transaction of its own; if another process stored
    the same draft in between, its row is returned."""
    try:
        async with sessions.begin() as session:
            return await create(session, reporter, data, key, now)
    except IntegrityError:
        async with sessions() as session:
            existing = await find_by_key(session, key)
        if existing is None:
            raise
        return Saved(existing.id, False)


def _columns(data: ActivityInput) -> dict[str, Any]:
    values = {f: getattr(data, f) for f in _SCALAR_FIELDS}
    values["photo_file_ids"] = list(data.photo_file_ids)
    values.update(data.participants.model_dump())
    return values


async def commune_of(session: AsyncSession, unit: Unit) -> Unit:
    if unit.level is UnitLevel.VILLAGE and unit.parent_id is not None:
        parent = await session.get(Unit, unit.parent_id)
        if parent is not None:
            return parent
    return unit


async def holders(session: AsyncSession, unit_id: int) -> list[RegisterEntry]:
    """Active teams, clubs and groups of the commune of ``unit_id`` that can
    have held an activity there (tổ, CLB, nhóm tổ chức), by name."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return []
    commune = await commune_of(session, unit)
    found = await session.scalars(
        select(RegisterEntry)
        .join(Unit, Unit.id == RegisterEntry.unit_id)
        .where(
            (Unit.id == commune.id) | (Unit.parent_id == commune.id),
            RegisterEntry.kind.in_(HOLDER_KINDS),
            RegisterEntry.status == RegisterStatus.ACTIVE,
        )
        .order_by(RegisterEntry.name, RegisterEntry.id)
    )
    return list(found.all())


async def check_held_by(session: AsyncSession, data: ActivityInput, unit: Unit) -> None:
    """The team, club or group named belongs to the activity's commune."""
    if data.held_by_id is None:
        return
    entry = await session.get(RegisterEntry, data.held_by_id)
    holder = await session.get(Unit, entry.unit_id) if entry is not None else None
    commune = await commune_of(session, unit)
    if holder is None or commune.id not in (holder.id, holder.parent_id):
        raise ActivityProblem(Problem.HELD_BY_ELSEWHERE)


def _product_links(products: dict[ProductKind, int]) -> list[ActivityProduct]:
    return [ActivityProduct(product=p, quantity=n) for p, n in products.items()]


def _products_json(products: dict[ProductKind, int]) -> dict[str, int]:
    return {p.value: n for p, n in products.items()}


def draft_values(activity: Activity) -> dict[str, Any]:
    """A stored activity as the JSON values of a draft, to edit it."""
    return {
        "kind": activity.kind.value,
        "kind_other": activity.kind_other,
        "held_on": activity.held_on.isoformat(),
        "unit_id": activity.unit_id,
        "participants": {f: getattr(activity, f) for f in COUNT_FIELDS},
        "topics": [t.value for t in activity.topics],
        "language": activity.language.value,
        "ethnic_language": activity.ethnic_language,
        "audience": activity.audience.value if activity.audience else None,
        "products": _products_json(activity.products),
        "cost": activity.cost,
        "funding_source": activity.funding_source.value if activity.funding_source else None,
        "held_by_id": activity.held_by_id,
        "note": activity.note,
        "photo_file_ids": list(activity.photo_file_ids or []),
        "voice_file_id": activity.voice_file_id,
    }


# Corrections.
class Access(enum.Enum):
    EDIT = "edit"
    READ = "read"  # the reporter, after the edit window
    NONE = "none"


def access(
    actor: Profile, activity: Activity, unit_path: str, now: datetime, edit_days: int
) -> Access:
    """The reporter corrects for ``edit_days`` after logging; a coordinator
    whose unit holds the place, at any time."""
    if actor.is_coordinator and actor.covers(unit_path):
        return Access.EDIT
    if activity.reporter_id == actor.id:
        fresh = now - activity.created_at <= timedelta(days=edit_days)
        return Access.EDIT if fresh else Access.READ
    return Access.NONE


async def load(
    session: AsyncSession,
    actor: Profile,
    activity_id: int,
    now: datetime,
    edit_days: int = DEFAULT_EDIT_DAYS,
    *,
    for_edit: bool = False,
) -> tuple[Activity, Access]:
    """An activity ``actor`` may see (or change, with ``for_edit``)."""
    activity = await session.get(Activity, activity_id)
    if activity is None or activity.deleted:
        raise ActivityProblem(Problem.NOT_FOUND)
    path = await session.scalar(select(Unit.path).where(Unit.id == activity.unit_id))
    granted = access(actor, activity, path or "", now, edit_days)
    if granted is Access.NONE:
        raise ActivityProblem(Problem.NOT_YOURS)
    if for_edit and granted is not Access.EDIT:
        raise ActivityProblem(Problem.EDIT_WINDOW_CLOSED, days=edit_days)
    return activity, granted


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


async def update(
    session: AsyncSession,
    actor: Profile,
    activity_id: int,
    data: ActivityInput,
    now: datetime,
    edit_days: int = DEFAULT_EDIT_DAYS,
) -> dict[str, list[Any]]:
    """Apply a corrected draft; returns what changed (also kept in the audit trail)."""
    activity, _ = await load(session, actor, activity_id, now, edit_days, for_edit=True)
    if data.unit_id != activity.unit_id:
        unit = await session.get(Unit, data.unit_id)
        if unit is None or not await may_log_at(session, actor, unit):
            raise ActivityProblem(Problem.PLACE_NOT_ALLOWED)
    if data.held_by_id is not None:
        place = await session.get(Unit, data.unit_id)
        assert place is not None
        await check_held_by(session, data, place)
    changes: dict[str, list[Any]] = {}
    for field, value in _columns(data).items():
        old = getattr(activity, field)
        if old != value:
            changes[field] = [_json(old), _json(value)]
            setattr(activity, field, value)
    old_topics = activity.topics
    if old_topics != list(data.topics):
        changes["topics"] = [[t.value for t in old_topics], [t.value for t in data.topics]]
        activity.topic_links = [ActivityTopic(topic=t) for t in data.topics]
    old_products = activity.products
    if old_products != data.products:
        changes["products"] = [_products_json(old_products), _products_json(data.products)]
        activity.product_links = _product_links(data.products)
    if changes:
        activity.updated_at = now
        await session.flush()
        await audit.record(session, actor.id, ENTITY, activity.id, "update", changes, at=now)
    return changes


async def delete(
    session: AsyncSession,
    actor: Profile,
    activity_id: int,
    now: datetime,
    edit_days: int = DEFAULT_EDIT_DAYS,
) -> None:
    """Hide an activity from lists and reports; the row and its trail stay."""
    activity, _ = await load(session, actor, activity_id, now, edit_days, for_edit=True)
    activity.deleted = True
    activity.updated_at = now
    await audit.record(
        session, actor.id, ENTITY, activity.id, "delete", {"deleted": [False, True]}, at=now
    )


# Lists.
@dataclass(frozen=True)
class ActivityLine:
    id: int
    held_on: date
    kind: ActivityKind
    kind_other: str | None
    place: str
    total: int
    reporter: str


@dataclass(frozen=True)
class Page:
    lines: list[ActivityLine]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.lines) < self.total


def _lines_query() -> Select[int, date, ActivityKind, str | None, str, int, str]:
    return (
        select(
            Activity.id,
            Activity.held_on,
            Activity.kind,
            Activity.kind_other,
            Unit.name,
            Activity.total,
            User.display_name,
        )
        .join(Unit, Unit.id == Activity.unit_id)
        .join(User, User.id == Activity.reporter_id)
        .where(Activity.deleted.is_(False))
    )


async def _page(
    session: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
    offset: int,
    limit: int,
) -> Page:
    offset = max(0, offset)
    count = select(func.count(Activity.id)).join(Unit, Unit.id == Activity.unit_id)
    count = count.where(Activity.deleted.is_(False), *conditions)
    total = int(await session.scalar(count) or 0)
    if offset >= total:
        offset = max(0, (total - 1) // limit * limit)
    rows = await session.execute(
        _lines_query().where(*conditions).order_by(*order).offset(offset).limit(limit)
    )
    lines = [ActivityLine(*row) for row in rows]
    return Page(lines=lines, total=total, offset=offset, limit=limit)


async def page_of_reporter(
    session: AsyncSession, reporter_id: int, offset: int = 0, limit: int = PAGE_SIZE
) -> Page:
    """/mine: the reporter's activities, most recently logged first."""
    return await _page(
        session,
        [Activity.reporter_id == reporter_id],
        [Activity.created_at.desc(), Activity.id.desc()],
        offset,
        limit,
    )


class Period(enum.Enum):
    """Khoảng thời gian of the /activities filter."""

    LAST_30_DAYS = "30d"
    THIS_MONTH = "m0"
    LAST_MONTH = "m1"
    THIS_YEAR = "y0"
    ALL = "all"


def period_bounds(period: Period, today: date) -> tuple[date | None, date | None]:
    first_of_month = today.replace(day=1)
    if period is Period.LAST_30_DAYS:
        return today - timedelta(days=29), today
    if period is Period.THIS_MONTH:
        return first_of_month, today
    if period is Period.LAST_MONTH:
        end = first_of_month - timedelta(days=1)
        return end.replace(day=1), end
    if period is Period.THIS_YEAR:
        return today.replace(month=1, day=1), today
    return None, None


@dataclass(frozen=True)
class Filters:
    period: Period = Period.LAST_30_DAYS
    commune_id: int | None = None
    kind: ActivityKind | None = None


async def _scope_conditions(
    session: AsyncSession, actor: Profile, filters: Filters, today: date
) -> list[ColumnElement[bool]]:
    if not actor.is_coordinator:
        raise ActivityProblem(Problem.NOT_YOURS)
    conditions: list[ColumnElement[bool]] = []
    if not actor.is_admin:
        assert actor.unit_path is not None
        conditions.append(in_subtree(actor.unit_path))  # type: ignore[arg-type]
    if filters.commune_id is not None:
        commune = await session.get(Unit, filters.commune_id)
        if commune is None or commune.level is not UnitLevel.COMMUNE:
            raise ActivityProblem(Problem.NOT_FOUND)
        if not actor.covers(commune.path):
            raise ActivityProblem(Problem.NOT_YOURS)
        conditions.append(in_subtree(commune.path))  # type: ignore[arg-type]
    start, end = period_bounds(filters.period, today)
    if start is not None:
        conditions.append(Activity.held_on >= start)
    if end is not None:
        conditions.append(Activity.held_on <= end)
    if filters.kind is not None:
        conditions.append(Activity.kind == filters.kind)
    return conditions


async def page_under(
    session: AsyncSession,
    actor: Profile,
    filters: Filters,
    today: date,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> Page:
    """/activities: what was logged under a coordinator's unit, latest sessions first."""
    conditions = await _scope_conditions(session, actor, filters, today)
    order = [Activity.held_on.desc(), Activity.id.desc()]
    return await _page(session, conditions, order, offset, limit)


async def communes_with_activities(
    session: AsyncSession, actor: Profile, filters: Filters, today: date, limit: int = 24
) -> list[tuple[int, str]]:
    """The communes under ``actor`` that have activities matching ``filters``
    (whatever their commune filter), for the commune filter's buttons."""
    conditions = await _scope_conditions(
        session, actor, Filters(filters.period, None, filters.kind), today
    )
    paths = await session.scalars(
        select(Unit.path)
        .join(Activity, Activity.unit_id == Unit.id)
        .where(Activity.deleted.is_(False), *conditions)
        .distinct()
    )
    codes = {p.strip("/").split("/")[1] for p in paths if p.count("/") >= 3}
    if not codes:
        return []
    rows = await session.execute(
        select(Unit.id, Unit.name)
        .where(Unit.code.in_(codes), Unit.level == UnitLevel.COMMUNE)
        .order_by(Unit.search_key)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]

"""The activities behind a summary's figures (bằng chứng hoạt động), for the
dashboard: a filtered page of an area's activities with their photos and
voice note, and the check that a given medium may be shown to a given user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity, ActivityKind, ActivityTopic, Topic, Unit, User
from storage.reports import areas
from storage.reports.areas import Area
from storage.reports.periods import Period
from storage.reports.tally import activity_rows
from storage.users import Profile

PAGE_SIZE = 20


@dataclass(frozen=True)
class Filters:
    kind: ActivityKind | None = None
    topic: Topic | None = None
    reporter_id: int | None = None


@dataclass(frozen=True)
class Entry:
    id: int
    held_on: date
    place_code: str
    place_name: str
    kind: ActivityKind
    kind_other: str | None
    topics: tuple[Topic, ...]
    total: int
    women: int
    men: int
    girls: int
    boys: int
    reporter_id: int
    reporter_name: str
    note: str | None
    photos: int
    voice: bool


@dataclass
class Page:
    entries: list[Entry] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = PAGE_SIZE
    reporters: list[tuple[int, str]] = field(default_factory=list)  # who logged in the area


async def activities(
    session: AsyncSession,
    area: Area,
    period: Period,
    filters: Filters = Filters(),
    *,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> Page:
    """The area's live activities of the period, newest first."""
    query, place, _child = activity_rows(area, period)
    if filters.kind is not None:
        query = query.where(Activity.kind == filters.kind)
    if filters.topic is not None:
        query = query.where(
            exists().where(
                ActivityTopic.activity_id == Activity.id, ActivityTopic.topic == filters.topic
            )
        )
    reporters_query = query.add_columns(User.id, User.display_name).join(
        User, User.id == Activity.reporter_id
    )
    if filters.reporter_id is not None:
        query = query.where(Activity.reporter_id == filters.reporter_id)
    total = int(await session.scalar(query.add_columns(func.count(Activity.id))) or 0)
    rows = (
        await session.execute(
            query.add_columns(Activity, place.code, place.name, User.display_name)
            .join(User, User.id == Activity.reporter_id)
            .order_by(Activity.held_on.desc(), Activity.id.desc())
            .offset(max(offset, 0))
            .limit(limit)
        )
    ).all()
    ids = [row[0].id for row in rows]
    topics: dict[int, list[Topic]] = {}
    if ids:
        for activity_id, topic in (
            await session.execute(
                select(ActivityTopic.activity_id, ActivityTopic.topic).where(
                    ActivityTopic.activity_id.in_(ids)
                )
            )
        ).all():
            topics.setdefault(activity_id, []).append(topic)
    page = Page(total=total, offset=offset, limit=limit)
    for activity, code, name, reporter in rows:
        page.entries.append(
            Entry(
                activity.id,
                activity.held_on,
                code,
                name,
                activity.kind,
                activity.kind_other,
                tuple(sorted(topics.get(activity.id, []), key=lambda t: t.value)),
                activity.total,
                activity.women,
                activity.men,
                activity.girls,
                activity.boys,
                activity.reporter_id,
                reporter,
                activity.note,
                len(activity.photo_file_ids or []),
                activity.voice_file_id is not None,
            )
        )
    found = (
        await session.execute(reporters_query.distinct().order_by(User.display_name, User.id))
    ).all()
    page.reporters = [(int(i), str(n)) for i, n in found]
    return page


async def media_file_id(
    session: AsyncSession, viewer: Profile, activity_id: int, which: str
) -> str | None:
    """The Telegram file id of an activity's photo ``"0"``, ``"1"``… or its
    ``"voice"``, if ``viewer`` may see the activity's area; else ``None``."""
    found = (
        await session.execute(
            select(Activity, Unit)
            .join(Unit, Unit.id == Activity.unit_id)
            .where(Activity.id == activity_id, Activity.deleted.is_(False))
        )
    ).first()
    if found is None:
        return None
    activity, unit = found
    if not await areas.may_see(session, viewer, areas.unit_area(unit)):
        return None
    if which == "voice":
        return activity.voice_file_id
    photos = list(activity.photo_file_ids or [])
    if not which.isdigit() or int(which) >= len(photos):
        return None
    return str(photos[int(which)])

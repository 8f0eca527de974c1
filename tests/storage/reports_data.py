"""Builders for the report tests: villages, members and activities at real
places of the official tree, written straight to the tables."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import units
from storage.models import (
    Activity,
    ActivityKind,
    ActivityTopic,
    Role,
    SessionLanguage,
    Topic,
    Unit,
    User,
)
from tests.storage.helpers import person

_keys = itertools.count(1)
_people = itertools.count(50_000)


async def villages(session: AsyncSession, commune: Unit, n: int) -> list[Unit]:
    return [await units.add_village(session, commune, f"Thôn {i}") for i in range(1, n + 1)]


JOINED = datetime(2024, 1, 1, tzinfo=UTC)


async def member(
    session: AsyncSession,
    unit: Unit,
    role: Role = Role.COLLABORATOR,
    telegram_id: int | None = None,
    joined: datetime = JOINED,
) -> User:
    """An active member who joined on ``joined`` (1 January 2024 by default)."""
    user = await person(session, telegram_id or next(_people), role, unit)
    user.created_at = joined
    await session.flush()
    return user


def activity(
    unit: Unit,
    reporter: User,
    held_on: date,
    kind: ActivityKind = ActivityKind.DIRECT,
    women: int = 10,
    men: int = 5,
    girls: int = 0,
    boys: int = 0,
    ethnic: int = 0,
    language: SessionLanguage = SessionLanguage.VIETNAMESE,
    topics: tuple[Topic, ...] = (Topic.GENDER_EQUALITY,),
    note: str | None = None,
    kind_other: str | None = None,
    deleted: bool = False,
) -> Activity:
    row = Activity(
        unit_id=unit.id,
        reporter_id=reporter.id,
        kind=kind,
        kind_other=kind_other,
        held_on=held_on,
        total=women + men + girls + boys,
        women=women,
        men=men,
        girls=girls,
        boys=boys,
        ethnic_minority=ethnic,
        language=language,
        note=note,
        photo_file_ids=[],
        idempotency_key=f"test-{next(_keys)}",
        deleted=deleted,
    )
    row.topic_links = [ActivityTopic(topic=t) for t in topics]
    return row


async def log(session: AsyncSession, *rows: Activity) -> list[Activity]:
    session.add_all(rows)
    await session.flush()
    return list(rows)

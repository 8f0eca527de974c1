"""Property tests (hypothesis): random trees and activities, then edits and
deletions. The children of any unit add up to it; the rollups that the
triggers keep give exactly what counting the activities gives; a rebuild
gives what the triggers kept; period boundaries are exact in Hanoi time.

Hypothesis drives a synchronous test, so these tests run on an event loop
and a database of their own (a SQLite file, or a PostgreSQL schema), with a
small tree instead of the official one."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import migrate, units
from storage.db import is_sqlite, make_engine, make_sessionmaker
from storage.models import (
    Activity,
    ActivityKind,
    ActivityRollup,
    ActivityTopic,
    NoActivityReport,
    ReporterMonth,
    Role,
    SessionLanguage,
    Topic,
    TopicRollup,
    Unit,
    UnitGroup,
    UnitGroupMember,
    UnitLevel,
    User,
    UserStatus,
)
from storage.reports import areas, rollups
from storage.reports.aggregates import Counts, summarize
from storage.reports.completeness import Standing, completeness, everyone
from storage.reports.periods import Period, local_day, month_period
from tests.conftest import TEST_URL

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST = date(2024, 1, 1)
DAYS = 400  # activities from 1 January 2024 to early February 2025


@dataclass
class Db:
    loop: asyncio.AbstractEventLoop
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)


@pytest.fixture(scope="module")
def db() -> Iterator[Db]:
    loop = asyncio.new_event_loop()
    folder = tempfile.TemporaryDirectory(prefix="binhdang-props-")
    schema = f"p_{os.getpid()}_{secrets.token_hex(3)}"
    if is_sqlite(TEST_URL):
        engine = make_engine(f"sqlite+aiosqlite:///{folder.name}/props.db")
    else:
        admin = make_engine(TEST_URL)

        async def create() -> None:
            async with admin.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()

        loop.run_until_complete(create())
        engine = make_engine(TEST_URL, connect_args={"server_settings": {"search_path": schema}})
    loop.run_until_complete(migrate.upgrade(engine))
    yield Db(loop, engine, make_sessionmaker(engine))
    loop.run_until_complete(engine.dispose())
    if not is_sqlite(TEST_URL):
        admin = make_engine(TEST_URL)

        async def drop() -> None:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await admin.dispose()

        loop.run_until_complete(drop())
    loop.close()
    folder.cleanup()


# Strategies: a tree as [[villages per commune] per province], activities
# as tuples that pick a place by index, then edits and deletions.
trees = st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=3), min_size=1, max_size=2)
counts = st.tuples(*(st.integers(0, 30) for _ in range(4)))
activities = st.lists(
    st.tuples(
        st.integers(0, 1000),  # place
        st.integers(0, DAYS - 1),  # day
        st.sampled_from(list(ActivityKind)),
        st.sampled_from(list(SessionLanguage)),
        counts,
        st.sets(st.sampled_from(list(Topic)), min_size=1, max_size=3),
    ),
    max_size=25,
)
changes = st.lists(
    st.tuples(
        st.integers(0, 1000),  # which activity
        st.sampled_from(["delete", "hard_delete", "move", "recount", "redate", "retopic"]),
        st.integers(0, 1000),
        counts,
    ),
    max_size=8,
)


async def _reset(session: AsyncSession) -> None:
    for table in (
        UnitGroupMember,
        UnitGroup,
        ActivityTopic,
        Activity,
        ActivityRollup,
        TopicRollup,
        ReporterMonth,
        User,
    ):
        await session.execute(delete(table))
    await session.execute(delete(Unit).where(Unit.level == UnitLevel.VILLAGE))
    await session.execute(delete(Unit).where(Unit.level == UnitLevel.COMMUNE))
    await session.execute(delete(Unit))


async def _tree(session: AsyncSession, shape: list[list[int]]) -> list[Unit]:
    places: list[Unit] = []
    for p, communes in enumerate(shape):
        province = Unit(
            code=f"P{p}",
            name=f"Tỉnh {p}",
            level=UnitLevel.PROVINCE,
            kind="province",
            path=f"/P{p}/",
            search_key=f"tinh {p}",
            active=True,
        )
        session.add(province)
        await session.flush()
        for c, villages in enumerate(communes):
            code = f"P{p}C{c}"
            commune = Unit(
                code=code,
                name=f"Xã {p}.{c}",
                level=UnitLevel.COMMUNE,
                kind="commune",
                parent_id=province.id,
                path=f"{province.path}{code}/",
                search_key=code.lower(),
                active=True,
            )
            session.add(commune)
            await session.flush()
            places.append(commune)
            for v in range(villages):
                vcode = f"{code}-{v:03d}"
                village = Unit(
                    code=vcode,
                    name=f"Thôn {v}",
                    level=UnitLevel.VILLAGE,
                    kind="village",
                    parent_id=commune.id,
                    path=f"{commune.path}{vcode}/",
                    search_key=vcode.lower(),
                    active=True,
                )
                session.add(village)
                await session.flush()
                places.append(village)
    return places


def _counts(values: tuple[int, int, int, int]) -> dict[str, int]:
    women, men, girls, boys = values
    total = women + men + girls + boys
    return dict(
        total=total, women=women, men=men, girls=girls, boys=boys, ethnic_minority=total // 2
    )


async def _scenario(db: Db, shape, made, edits):
    """Build, change, and return the live activities as plain tuples."""
    async with db.sessions.begin() as session:
        await _reset(session)
        places = await _tree(session, shape)
        reporter = User(
            telegram_id=1,
            display_name="CTV",
            role=Role.COLLABORATOR,
            unit_id=places[0].id,
            status=UserStatus.ACTIVE,
            bot_blocked=False,
            created_at=datetime(2023, 1, 1, tzinfo=UTC),
        )
        session.add(reporter)
        await session.flush()
        rows = []
        for n, (where, day, kind, language, people, topics) in enumerate(made):
            row = Activity(
                unit_id=places[where % len(places)].id,
                reporter_id=reporter.id,
                kind=kind,
                held_on=FIRST + timedelta(days=day),
                language=language,
                photo_file_ids=[],
                idempotency_key=f"prop-{n}",
                deleted=False,
                **_counts(people),
            )
            row.topic_links = [
                ActivityTopic(topic=t) for t in sorted(topics, key=lambda t: t.value)
            ]
            session.add(row)
            rows.append(row)
        await session.flush()
        for which, change, value, people in edits:
            if not rows:
                break
            row = rows[which % len(rows)]
            if change == "delete":
                row.deleted = True
            elif change == "hard_delete":
                await session.delete(row)
                rows.remove(row)
            elif change == "move":
                row.unit_id = places[value % len(places)].id
            elif change == "recount":
                for name, number in _counts(people).items():
                    setattr(row, name, number)
            elif change == "redate":
                row.held_on = FIRST + timedelta(days=value % DAYS)
            else:
                row.topic_links = [ActivityTopic(topic=list(Topic)[value % len(Topic)])]
            await session.flush()
    async with db.sessions() as session:
        found = (
            await session.execute(
                select(Unit.path, Activity.held_on, Activity.total, Activity.women, Activity.id)
                .join(Unit, Unit.id == Activity.unit_id)
                .where(Activity.deleted.is_(False))
            )
        ).all()
        units = (await session.scalars(select(Unit))).all()
    return [tuple(r) for r in found], units


PERIODS = [
    Period(date(2024, 1, 1), date(2024, 6, 5)),  # H1 to the six-month deadline: an edge
    month_period(2024, 5),
    Period(date(2024, 2, 10), date(2024, 4, 20)),  # edges at both ends
    Period(date(2024, 1, 1), date(2024, 12, 31)),
    Period(date(2024, 12, 15), date(2025, 1, 15)),
]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=trees, made=activities, edits=changes, which=st.sampled_from(PERIODS))
def test_children_add_up_and_rollups_equal_counting(db, shape, made, edits, which):
    live, units = db.run(_scenario(db, shape, made, edits))

    async def check() -> None:
        async with db.sessions() as session:
            everything = [areas.COUNTRY, *(areas.unit_area(u) for u in units)]
            for area in everything:
                fast = await summarize(session, area, which, ZONE)
                slow = await summarize(session, area, which, ZONE, rollups=False)
                assert fast == slow, area
                # Every activity of the subtree and period, counted by hand.
                expected = [
                    r
                    for r in live
                    if r[0].startswith(area.path) and which.start <= r[1] <= which.end
                ]
                assert fast.counts.sessions == len(expected)
                assert fast.counts.total == sum(r[2] for r in expected)
                assert fast.counts.women == sum(r[3] for r in expected)
                parts = sum(c.counts.total for c in fast.children) + fast.own.total
                assert parts == fast.counts.total
                assert sum(m.sessions for m in fast.by_month.values()) == fast.counts.sessions
                assert sum(k.sessions for k in fast.by_kind.values()) == fast.counts.sessions
                for child in fast.children if area.level is not UnitLevel.COMMUNE else []:
                    alone = await summarize(
                        session,
                        areas.unit_area(next(u for u in units if u.id == child.place.id)),
                        which,
                        ZONE,
                    )
                    assert alone.counts == child.counts

    db.run(check())

    async def snapshot() -> list[list[tuple[object, ...]]]:
        async with db.sessions() as session:
            return [
                sorted(
                    ((tuple(r)) for r in (await session.execute(select(t.__table__))).all()),
                    key=str,
                )
                for t in (ActivityRollup, TopicRollup, ReporterMonth)
            ]

    kept = db.run(snapshot())

    async def rebuild() -> None:
        async with db.sessions.begin() as session:
            await rollups.rebuild(session)

    db.run(rebuild())
    assert db.run(snapshot()) == kept


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shape=trees,
    made=activities,
    edits=changes,
    which=st.sampled_from(PERIODS),
    members=st.sets(st.integers(0, 1000), min_size=1, max_size=4),
)
def test_a_group_of_communes_adds_up_to_its_communes(db, shape, made, edits, which, members):
    """A group (any communes, even of different provinces) sums to the sum of
    its member communes, each counted alone, with the rollups or without."""
    live, found = db.run(_scenario(db, shape, made, edits))
    communes = [u for u in found if u.level is UnitLevel.COMMUNE]
    chosen = sorted({communes[m % len(communes)].id for m in members})
    picked = [u for u in communes if u.id in chosen]

    async def check() -> None:
        async with db.sessions.begin() as session:
            group = areas.group_area(await units.create_group(session, "Cụm xã", None, picked))
        async with db.sessions() as session:
            summary = await summarize(session, group, which, ZONE)
            assert summary == await summarize(session, group, which, ZONE, rollups=False)
            alone = [await summarize(session, areas.unit_area(u), which, ZONE) for u in picked]
        assert summary.counts == Counts.total_of(a.counts for a in alone)
        assert {c.place.id: c.counts for c in summary.children} == {
            u.id: a.counts for u, a in zip(picked, alone, strict=True)
        }
        # And by hand: the live activities of those communes and their villages.
        expected = [
            r
            for r in live
            if any(r[0].startswith(u.path) for u in picked) and which.start <= r[1] <= which.end
        ]
        assert summary.counts.sessions == len(expected)
        assert summary.counts.total == sum(r[2] for r in expected)
        assert set(summary.by_kind) == {kind for a in alone for kind in a.by_kind}
        for kind, counts in summary.by_kind.items():
            assert counts == Counts.total_of(a.by_kind[kind] for a in alone if kind in a.by_kind)

    db.run(check())


@given(
    instant=st.datetimes(
        min_value=datetime(2024, 5, 31, 0, 0), max_value=datetime(2024, 6, 1, 23, 59)
    ).map(lambda d: d.replace(tzinfo=UTC))
)
def test_a_moment_belongs_to_its_local_month(instant):
    """An instant is in May exactly when it is before midnight of 1 June in Hanoi."""
    day = local_day(instant, ZONE)
    may = month_period(2024, 5)
    begin, finish = may.utc_bounds(ZONE)
    in_may = instant < datetime(2024, 5, 31, 17, 0, tzinfo=UTC)
    assert (day in may) is in_may
    assert (begin <= instant < finish) is in_may


# Completeness: what a report computes (the reporters counted, not listed;
# communes from the rollups) against a straightforward count by hand.
people = st.lists(
    st.tuples(
        st.integers(0, 1000),  # place
        st.sampled_from([Role.COLLABORATOR, Role.TEAM_MEMBER, Role.COMMUNE_COORDINATOR]),
        st.sampled_from([UserStatus.ACTIVE, UserStatus.ACTIVE, UserStatus.DEACTIVATED]),
        st.integers(-60, DAYS),  # the day they joined, from FIRST
        st.sets(st.integers(0, 13), max_size=4),  # months declared "no activity"
    ),
    min_size=1,
    max_size=8,
)
# Days at the edges of PERIODS (read from the activities, not the rollups) often.
EDGE_DAYS = [
    (d - FIRST).days
    for d in (date(2024, 6, 3), date(2024, 2, 12), date(2024, 4, 19), date(2024, 12, 20))
]
logged = st.lists(
    st.tuples(
        st.integers(0, 1000),  # place
        st.integers(0, 1000),  # reporter
        st.one_of(st.integers(0, DAYS - 1), st.sampled_from(EDGE_DAYS)),  # day
        st.booleans(),  # deleted afterwards
    ),
    max_size=20,
)


async def _people_scenario(db: Db, shape, who, made):
    async with db.sessions.begin() as session:
        await session.execute(delete(NoActivityReport))
        await _reset(session)
        places = await _tree(session, shape)
        users = []
        for n, (where, role, status, joined, months) in enumerate(who):
            user = User(
                telegram_id=100 + n,
                display_name=f"Người {n}",
                role=role,
                unit_id=places[where % len(places)].id,
                status=status,
                bot_blocked=False,
                created_at=datetime.combine(FIRST, datetime.min.time(), UTC)
                + timedelta(days=joined),
            )
            session.add(user)
            await session.flush()
            users.append(user)
            for m in sorted(months):
                month = date(2024 + m // 12, m % 12 + 1, 1)
                session.add(NoActivityReport(user_id=user.id, unit_id=user.unit_id, month=month))
        rows = []
        for n, (where, by, day, _gone) in enumerate(made):
            row = Activity(
                unit_id=places[where % len(places)].id,
                reporter_id=users[by % len(users)].id,
                kind=ActivityKind.DIRECT,
                held_on=FIRST + timedelta(days=day),
                language=SessionLanguage.VIETNAMESE,
                photo_file_ids=[],
                idempotency_key=f"people-{n}",
                deleted=False,
                **_counts((1, 1, 0, 0)),
            )
            row.topic_links = [ActivityTopic(topic=next(iter(Topic)))]
            session.add(row)
            rows.append(row)
        await session.flush()
        for row, (_w, _b, _d, gone) in zip(rows, made, strict=True):
            row.deleted = gone  # the triggers take it off the rollups
        await session.flush()
    async with db.sessions() as session:
        live = (
            await session.execute(
                select(Unit.path, Activity.unit_id, Activity.reporter_id, Activity.held_on)
                .join(Unit, Unit.id == Activity.unit_id)
                .where(Activity.deleted.is_(False))
            )
        ).all()
        units = (await session.scalars(select(Unit).order_by(Unit.path))).all()
    return live, units


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=trees, who=people, made=logged, which=st.sampled_from(PERIODS))
# Logged at a commune itself, then at a village, on a day at the period's
# edge; and a session in a whole month, deleted (off the rollups again).
@example(
    shape=[[1], [0]],
    who=[(0, Role.COLLABORATOR, UserStatus.ACTIVE, -30, {1})],
    made=[(0, 0, EDGE_DAYS[0], False), (2, 0, 100, True)],
    which=PERIODS[0],
)
@example(
    shape=[[1, 2]],
    who=[(1, Role.TEAM_MEMBER, UserStatus.ACTIVE, 10, {0, 1, 2})],
    made=[(1, 0, EDGE_DAYS[1], False), (3, 0, 70, True)],
    which=PERIODS[2],
)
def test_completeness_of_a_report_equals_counting_by_hand(db, shape, who, made, which):
    live, units = db.run(_people_scenario(db, shape, who, made))
    today = date(2025, 3, 1)
    inside = [r for r in live if which.start <= r[3] <= which.end]

    async def check() -> None:
        async with db.sessions() as session:
            for area in [areas.COUNTRY, *(areas.unit_area(u) for u in units)]:
                full = await completeness(session, area, which, today, ZONE)
                fast = await completeness(session, area, which, today, ZONE, reporters=False)
                summary = await summarize(session, area, which, ZONE)
                counted = await completeness(
                    session,
                    area,
                    which,
                    today,
                    ZONE,
                    reporters=False,
                    counted=(summary.collaborators, summary.reporting),
                )
                # Places by hand: a commune is silent if nothing was logged at
                # it or its villages; a village, if nothing at it. The country
                # lists communes only.
                levels = (
                    (UnitLevel.COMMUNE,)
                    if area is areas.COUNTRY
                    else (UnitLevel.COMMUNE, UnitLevel.VILLAGE)
                )
                places = [u for u in units if u.path.startswith(area.path) and u.level in levels]
                silent = [
                    u.code for u in places if not any(r[0].startswith(u.path) for r in inside)
                ]
                for found in (full, fast, counted):
                    named = [p.code for p in found.silent_communes + found.silent_villages]
                    assert sorted(named) == sorted(silent)
                    assert found.silent_communes == full.silent_communes
                    assert found.silent_villages == full.silent_villages
                    assert found.communes == sum(u.level is UnitLevel.COMMUNE for u in places)
                    assert found.villages == sum(u.level is UnitLevel.VILLAGE for u in places)
                # People: the full list is the reference for standings; who
                # reported is also counted by hand.
                reporters = {r[2] for r in inside}
                assert sum(c.user_id in reporters for c in full.collaborators) == full.count(
                    Standing.REPORTED
                )
                for found in (fast, counted):
                    assert found.total == full.total == len(full.collaborators)
                    assert found.total == summary.collaborators
                    for standing in Standing:
                        assert found.count(standing) == full.count(standing), standing
                    assert found.silent == full.silent
                    assert found.with_standing(Standing.DECLARED_NONE) == full.with_standing(
                        Standing.DECLARED_NONE
                    )
                    assert found.unlisted == full.count(Standing.REPORTED)
                    assert (await everyone(session, found)).collaborators == full.collaborators
                    if found.unlisted:
                        with pytest.raises(ValueError, match="reporters=False"):
                            found.with_standing(Standing.REPORTED)

    db.run(check())

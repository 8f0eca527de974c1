"""Benchmark of the reports (issue 6): summaries, XLSX export and completeness
over a synthetic but realistic country.

    .venv/bin/python bench/aggregate.py                      # SQLite file in a temp dir
    .venv/bin/python bench/aggregate.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/aggregate.py --rows 100000        # a smaller data set

The data set: the 34 provinces and 3,321 communes of vietnam-provinces, 10
villages per commune, ``--rows`` activities (default 1,000,000) over 2024 and
2025 with one to three topics each, 50,000 users per million activities,
targets shaped like seed 004's for the largest province and each of its
communes, and "no activity" declarations. Incidents (100,000 at full scale)
are generated only when an ``incidents`` table exists (the incidents issue);
otherwise the summary's incident section is the empty one and the generator
says so.

Generation runs in a child process and is not timed: bulk inserts over one
connection (executemany in one transaction, journal in memory, no fsync or
foreign-key checks on SQLite; COPY without foreign-key checks on PostgreSQL,
whose data goes to the schema ``bench_aggregate``), secondary indexes built at
the end, and the monthly rollups summed with numpy as the rows are made rather
than by the triggers; summaries from them are then checked against counting
the activities (and tests/bench checks, on a small scale, that they equal a
rebuild). Each stage's time goes to stderr.

The parent then times, three times each, the median printed: a province
summary for a half-year, the national summary for a year, the XLSX export of
a province for a year, the completeness query for a province (half-year) and
for the whole country (a year: what a national administrator's /summary
computes). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from bot.i18n import translator  # noqa: E402
from storage import migrate, units  # noqa: E402
from storage.db import is_sqlite, make_engine, make_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    ActivityKind,
    Base,
    Role,
    Topic,
    Unit,
    UnitLevel,
)
from storage.reports import areas, periods, rollups  # noqa: E402
from storage.reports.aggregates import summarize  # noqa: E402
from storage.reports.completeness import completeness  # noqa: E402
from storage.reports.exports import write_xlsx  # noqa: E402
from storage.reports.incidents import incident_figures  # noqa: E402
from storage.reports.report import build_report  # noqa: E402
from storage.reports.targets import progress  # noqa: E402

SCHEMA = "bench_aggregate"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 1, 10)
USERS = 50_000
VILLAGES_PER_COMMUNE = 10
INCIDENTS_PER_MILLION = 100_000
BATCH = 50_000
KIND_WEIGHTS = {
    ActivityKind.DIRECT: 40,
    ActivityKind.STAGED: 6,
    ActivityKind.BROADCAST: 14,
    ActivityKind.DIGITAL: 12,
    ActivityKind.TRAINING: 4,
    ActivityKind.POLICY_DIALOGUE: 2,
    ActivityKind.CHILDREN_CLUB: 6,
    ActivityKind.CONTEST: 2,
    ActivityKind.HOME_VISIT: 10,
    ActivityKind.LIVELIHOOD: 2,
    ActivityKind.OTHER: 2,
}
TOPICS = list(Topic)
ACTIVITY_COLUMNS = (
    "id",
    "unit_id",
    "reporter_id",
    "kind",
    "kind_other",
    "held_on",
    "total",
    "women",
    "men",
    "girls",
    "boys",
    "ethnic_minority",
    "language",
    "ethnic_language",
    "note",
    "photo_file_ids",
    "voice_file_id",
    "idempotency_key",
    "deleted",
    "created_at",
    "updated_at",
)


def engine_for(url: str) -> AsyncEngine:
    if is_sqlite(url):
        return make_engine(url)
    return make_engine(url, connect_args={"server_settings": {"search_path": SCHEMA}})


# Generation (child process).
class Loader:
    """Bulk inserts over one driver connection. PostgreSQL: COPY, with the
    foreign-key checks off (the generator's rows are consistent by
    construction). SQLite: executemany in one transaction, the journal in
    memory, no fsync and no foreign-key checks (a benchmark file need not
    survive a crash); the inserts run in aiosqlite's thread while the next
    batch is made (at most two in flight, in order)."""

    def __init__(self, driver: Any, sqlite: bool, schema: str) -> None:
        self.driver, self.sqlite, self.schema = driver, sqlite, schema
        self.pending: deque[asyncio.Future[Any]] = deque()

    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        if not self.sqlite:
            await self.driver.copy_records_to_table(
                table, records=rows, columns=list(columns), schema_name=self.schema
            )
            return
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        self.pending.append(asyncio.ensure_future(self.driver.executemany(sql, rows)))
        while len(self.pending) > 2:
            await self.pending.popleft()

    async def flush(self) -> None:
        while self.pending:
            await self.pending.popleft()


@asynccontextmanager
async def bulk_loader(engine: AsyncEngine, schema: str) -> AsyncIterator[Loader]:
    """One connection and one transaction for the whole load. On SQLite the
    engine must have no other connection open (the journal mode changes)."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if is_sqlite(str(engine.url)):
            pragmas = ("journal_mode=MEMORY", "synchronous=OFF", "cache_size=-262144")
            for pragma in (*pragmas, "foreign_keys=OFF"):
                await driver.execute(f"PRAGMA {pragma}")
            load = Loader(driver, True, schema)
            try:
                yield load
            finally:
                await load.flush()
            await driver.commit()
            await driver.execute("PRAGMA journal_mode=WAL")
            await driver.execute("PRAGMA foreign_keys=ON")
            return
        await driver.execute("SET session_replication_role = replica")
        try:
            async with driver.transaction():
                yield Loader(driver, False, schema)
        finally:
            await driver.execute("RESET session_replication_role")


def _value(value: Any, sqlite: bool) -> Any:
    if not sqlite:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Laps:
    """Prints how long each stage of the generation took."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()

    def lap(self, label: str) -> None:
        now = time.perf_counter()
        print(f"  {label:<44} {now - self.last:6.1f} s", file=sys.stderr)
        self.last = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.started


def generator_engine(url: str, schema: str) -> AsyncEngine:
    if is_sqlite(url):
        # No idle pooled connection: the loader switches the journal mode.
        return make_engine(url, poolclass=NullPool)
    return make_engine(url, connect_args={"server_settings": {"search_path": schema}})


async def generate(url: str, rows: int, seed: int, schema: str = SCHEMA) -> None:
    """The data set. The rollups are summed here with numpy from the rows as
    they are made, then checked against counting the activities
    (:func:`check_rollups`); ``tests/bench`` checks at a small scale that
    they equal what ``rollups.rebuild`` (and so the triggers) gives."""
    laps = Laps()
    rng = random.Random(seed)
    sqlite = is_sqlite(url)
    if not sqlite:
        admin = make_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
    engine = generator_engine(url, schema)
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        await conn.run_sync(rollups.drop_triggers)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await units.import_official_tree(session)
    async with sessions() as session:
        communes = (
            await session.execute(
                select(Unit.id, Unit.code, Unit.path, Unit.parent_id)
                .where(Unit.level == UnitLevel.COMMUNE)
                .order_by(Unit.id)
            )
        ).all()
        provinces = (
            await session.scalars(select(Unit.id).where(Unit.level == UnitLevel.PROVINCE))
        ).all()
        next_id = int(await session.scalar(select(func.max(Unit.id))) or 0) + 1
    province = await largest_province(sessions)
    laps.lap("schema and official tree")
    # Secondary indexes are built once at the end: faster than keeping them
    # up to date row by row.
    tables = Base.metadata.tables
    deferred = [*tables["activities"].indexes, *tables["activity_topics"].indexes]
    async with engine.begin() as conn:
        for index in deferred:
            await conn.run_sync(index.drop)
    async with bulk_loader(engine, schema) as load:
        villages = await _villages(load, communes, next_id, sqlite)
        people = await _users(load, rng, rows, communes, provinces, villages, sqlite)
        laps.lap(f"{len(villages):,} villages, {len(people):,} users")
        topics = await _activities(load, rows, seed, people, villages, communes, sqlite)
        laps.lap(f"{rows:,} activities, {topics:,} topics, rollups")
        mine = [c[0] for c in communes if c[3] == province.id]
        await _targets_and_declarations(load, rng, province.id, mine, people, sqlite)
        incidents = await _incidents(load, rng, rows, villages, sqlite)
        laps.lap(f"targets, declarations, {incidents:,} incidents")
    async with engine.begin() as conn:
        if not sqlite:
            await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for index in deferred:
            await conn.run_sync(index.create)
        await conn.run_sync(rollups.install_triggers)
        if not sqlite:
            for table in ("units", "users", "activities"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    laps.lap("indexes and triggers")
    if sqlite:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    else:
        # As autovacuum would leave a live database: statistics, and the
        # visibility map that lets PostgreSQL answer from an index alone.
        names = ", ".join(f'"{schema}"."{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text(f"VACUUM (ANALYZE) {names}"))
    laps.lap("statistics")
    await check_rollups(sessions, province)
    laps.lap("rollups checked against the activities")
    await engine.dispose()
    print(
        f"generated {rows:,} activities, {topics:,} topics, {len(people):,} users, "
        f"{len(villages):,} villages, {incidents:,} incidents in {laps.total:.1f} s",
        file=sys.stderr,
    )


async def _villages(
    load: Loader, communes: Sequence[Any], next_id: int, sqlite: bool
) -> list[tuple[int, int]]:
    """Ten villages per commune; returns (village id, commune id)."""
    now = _value(datetime(2026, 1, 1), sqlite)
    yes = _value(True, sqlite)
    found: list[tuple[int, int]] = []
    rows = []
    for commune_id, code, path, _province in communes:
        for i in range(1, VILLAGES_PER_COMMUNE + 1):
            vcode = f"{code}-{i:03d}"
            village_id = next_id + len(found)
            found.append((village_id, commune_id))
            rows.append(
                (
                    village_id,
                    vcode,
                    f"Thôn {i}",
                    "village",
                    "village",
                    commune_id,
                    f"{path}{vcode}/",
                    f"thon {i}",
                    yes,
                    now,
                )
            )
    columns = ("id", "code", "name", "level", "kind", "parent_id", "path", "search_key")
    await load.insert("units", (*columns, "active", "created_at"), rows)
    return found


async def _users(
    load: Loader,
    rng: random.Random,
    rows: int,
    communes: Sequence[Any],
    provinces: Sequence[int],
    villages: list[tuple[int, int]],
    sqlite: bool,
) -> list[tuple[int, str, int]]:
    """Village collaborators and team members, one trusted address per
    commune, commune and province coordinators: 50,000 people for a million
    activities. Returns (user id, role, unit id)."""
    people: list[tuple[int, str, int]] = []
    for i, (commune_id, *_rest) in enumerate(communes):
        people.append((len(people) + 1, Role.TRUSTED_ADDRESS_STAFF.value, commune_id))
        if i % 5 == 0:
            people.append((len(people) + 1, Role.COMMUNE_COORDINATOR.value, commune_id))
    for province_id in provinces:
        people.append((len(people) + 1, Role.PROVINCE_COORDINATOR.value, province_id))
    wanted = max(USERS * rows // 1_000_000, len(people) + 1000)
    while len(people) < wanted:
        village_id, _parent = villages[rng.randrange(len(villages))]
        role = Role.TEAM_MEMBER if rng.random() < 0.15 else Role.COLLABORATOR
        people.append((len(people) + 1, role.value, village_id))
    stamp = _value(datetime(2023, 12, 1), sqlite)
    no = _value(False, sqlite)
    await load.insert(
        "users",
        (
            "id",
            "telegram_id",
            "display_name",
            "language",
            "role",
            "unit_id",
            "status",
            "bot_blocked",
            "created_at",
            "updated_at",
        ),
        [
            (uid, 10_000_000 + uid, f"CTV {uid}", "vi", role, unit, "active", no, stamp, stamp)
            for uid, role, unit in people
        ],
    )
    return people


def _sum_by(
    keys: Sequence[np.ndarray], sizes: Sequence[int], values: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Group the rows by ``keys`` (each column in ``range(size)``) and sum the
    columns of ``values``; returns the distinct keys' columns and the sums."""
    flat = np.ravel_multi_index([np.asarray(k, dtype=np.intp) for k in keys], sizes)
    unique, inverse = np.unique(flat, return_inverse=True)
    sums = np.column_stack(
        [np.bincount(inverse, weights=column, minlength=len(unique)) for column in values.T]
    )
    # Float sums of integers below 2**53 are exact.
    return list(np.unravel_index(unique, sizes)), np.rint(sums).astype(np.int64)


async def _activities(
    load: Loader,
    rows: int,
    seed: int,
    people: list[tuple[int, str, int]],
    villages: list[tuple[int, int]],
    communes: Sequence[Any],
    sqlite: bool,
) -> int:
    """``rows`` activities over 2024 and 2025, made with numpy a batch at a
    time, their topics, and the monthly rollups that the triggers would have
    kept; returns the number of topic rows."""
    nrng = np.random.default_rng(seed)
    parent_of = dict(villages)
    reporters = [
        (uid, unit) for uid, role, unit in people if role in ("collaborator", "team_member")
    ]
    reporter_ids = np.array([r[0] for r in reporters])
    reporter_units = np.array([r[1] for r in reporters])
    reporter_communes = np.array([parent_of[r[1]] for r in reporters])
    kinds = [k.value for k in KIND_WEIGHTS]
    weights = np.array(list(KIND_WEIGHTS.values()), dtype=float)
    uncounted = np.array(
        [k in (ActivityKind.BROADCAST, ActivityKind.DIGITAL) for k in KIND_WEIGHTS]
    )
    training = kinds.index(ActivityKind.TRAINING.value)
    other = kinds.index(ActivityKind.OTHER.value)
    first = date(2024, 1, 1)
    span = (date(2025, 12, 31) - first).days + 1
    days = [first + timedelta(days=d) for d in range(span)]
    noon = [datetime.combine(d, datetime.min.time()) + timedelta(hours=12) for d in days]
    day_values = [_value(d, sqlite) for d in days]
    noon_values = [_value(d, sqlite) for d in noon]
    month_of_day = np.array([(d.year - first.year) * 12 + d.month - 1 for d in days])
    months = 24
    month_values = [_value(date(2024 + m // 12, m % 12 + 1, 1), sqlite) for m in range(months)]
    languages = ["vi", "ethnic", "both"]
    topic_values = [t.value for t in TOPICS]
    yes, no = _value(True, sqlite), _value(False, sqlite)
    # Where a unit's sessions are rolled up: its commune and that commune's province.
    size = max(v for v, _c in villages) + 1
    commune_of = np.zeros(size, dtype=np.intp)
    province_of = np.zeros(size, dtype=np.intp)
    for commune_id, _code, _path, province_id in communes:
        commune_of[commune_id], province_of[commune_id] = commune_id, province_id
    for village_id, commune_id in villages:
        commune_of[village_id], province_of[village_id] = commune_id, province_of[commune_id]
    live_activities: list[np.ndarray] = []  # unit, month, kind, language, people...
    live_topics: list[np.ndarray] = []  # unit, month, kind, topic, people...
    live_reporters: list[np.ndarray] = []  # reporter, month
    topic_count = 0
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        ids = np.arange(start + 1, start + n + 1)
        who = nrng.integers(0, len(reporters), n)
        at_commune = nrng.random(n) >= 0.9
        unit = np.where(at_commune, reporter_communes[who], reporter_units[who])
        kind = nrng.choice(len(kinds), n, p=weights / weights.sum())
        day = nrng.integers(0, span, n)
        total = nrng.integers(5, 81, n)
        total[uncounted[kind] & (nrng.random(n) < 0.7)] = 0
        women = np.floor(total * nrng.random(n)).astype(int)
        men = np.floor((total - women) * nrng.random(n)).astype(int)
        girls = np.floor((total - women - men) * nrng.random(n)).astype(int)
        boys = total - women - men - girls
        ethnic = np.floor(total * nrng.random(n)).astype(int)
        language = nrng.choice(3, n, p=[0.7, 0.15, 0.15])
        columns = [
            c.tolist()
            for c in (
                ids,
                unit,
                reporter_ids[who],
                kind,
                day,
                total,
                women,
                men,
                girls,
                boys,
                ethnic,
                language,
            )
        ]
        batch = [
            (
                i,
                u,
                r,
                kinds[k],
                "Khác" if k == other else None,
                day_values[d],
                t,
                w,
                m,
                g,
                b,
                e,
                languages[lang],
                "Cor" if lang else None,
                "Chương trình 3" if k == training and i % 3 == 0 else None,
                "[]",
                None,
                f"bench-{i:08d}",
                yes if i % 97 == 0 else no,
                noon_values[d],
                noon_values[d],
            )
            for i, u, r, k, d, t, w, m, g, b, e, lang in zip(*columns, strict=True)
        ]
        await load.insert("activities", ACTIVITY_COLUMNS, batch)
        # One to three distinct topics each, in primary key order.
        how_many = nrng.choice([1, 1, 2, 3], n)
        first_topic = nrng.integers(0, 13, n)
        second = nrng.integers(1, 13, n)
        third = nrng.integers(1, 13, n)
        third = np.where(third == second, second % 12 + 1, third)
        two, three = np.nonzero(how_many > 1)[0], np.nonzero(how_many > 2)[0]
        owner = np.concatenate([np.arange(n), two, three])
        topic = np.concatenate(
            [first_topic, (first_topic + second)[two] % 13, (first_topic + third)[three] % 13]
        )
        order = np.lexsort((topic, owner))
        owner, topic = owner[order], topic[order]
        await load.insert(
            "activity_topics",
            ("activity_id", "topic"),
            list(zip(ids[owner].tolist(), [topic_values[t] for t in topic.tolist()], strict=True)),
        )
        topic_count += len(owner)
        month = month_of_day[day]
        figures = np.column_stack([total, women, men, girls, boys, ethnic])
        live = ids % 97 != 0
        live_activities.append(np.column_stack([unit, month, kind, language, figures])[live])
        live_topics.append(
            np.column_stack([unit[owner], month[owner], kind[owner], topic, figures[owner]])[
                live[owner]
            ]
        )
        live_reporters.append(np.column_stack([reporter_ids[who], month])[live])
    shapes = {"activity_rollups": len(languages), "activity_topic_rollups": len(topic_values)}
    names = {"activity_rollups": languages, "activity_topic_rollups": topic_values}
    for table, parts in (
        ("activity_rollups", live_activities),
        ("activity_topic_rollups", live_topics),
    ):
        found = np.concatenate(parts)
        values = np.column_stack([np.ones(len(found), dtype=np.int64), found[:, 4:]])
        sizes = (size, months, len(kinds), shapes[table])
        by_commune = _sum_by(
            [commune_of[found[:, 0]], found[:, 1], found[:, 2], found[:, 3]], sizes, values
        )
        by_province = _sum_by(
            [province_of[by_commune[0][0]], *by_commune[0][1:]], sizes, by_commune[1]
        )
        last = "language" if table == "activity_rollups" else "topic"
        for (scope, month, kind, other_key), sums in (by_commune, by_province):
            await load.insert(
                table,
                ("scope_id", "month", "kind", last, *rollups.SUMS),
                list(
                    zip(
                        scope.tolist(),
                        [month_values[m] for m in month.tolist()],
                        [kinds[k] for k in kind.tolist()],
                        [names[table][x] for x in other_key.tolist()],
                        *(sums[:, c].tolist() for c in range(sums.shape[1])),
                        strict=True,
                    )
                ),
            )
    found = np.concatenate(live_reporters)
    (user, month), counts = _sum_by(
        [found[:, 0], found[:, 1]], (len(people) + 1, months), np.ones((len(found), 1))
    )
    await load.insert(
        "reporter_months",
        ("user_id", "month", "sessions"),
        list(
            zip(
                user.tolist(),
                [month_values[m] for m in month.tolist()],
                counts[:, 0].tolist(),
                strict=True,
            )
        ),
    )
    return topic_count


async def check_rollups(sessions: Any, province: Unit) -> None:
    """The generated rollups give the same summaries as counting the
    activities (every figure, collaborators who reported included): the
    largest province's communes for one month, the provinces for another.
    Months, because counting who reported over a longer period from the
    activities is slow on PostgreSQL (a subquery too large to hash)."""
    for area, period in (
        (areas.unit_area(province), periods.month_period(2025, 3)),
        (areas.COUNTRY, periods.month_period(2024, 2)),
    ):
        async with sessions() as session:
            rolled = await summarize(session, area, period, ZONE)
            counted = await summarize(session, area, period, ZONE, rollups=False)
        if rolled != counted:
            raise SystemExit(f"rollups differ from the activities for {area.name} {period.token}")


async def _targets_and_declarations(
    load: Loader,
    rng: random.Random,
    province_id: int,
    communes: list[int],
    people: list[tuple[int, str, int]],
    sqlite: bool,
) -> None:
    stamp = _value(datetime(2024, 1, 2), sqlite)
    rows = []
    for year in (2024, 2025):
        for owner, scale in [(province_id, 20), *((c, 1) for c in communes)]:
            for position, (indicator, kind, value) in enumerate(
                (
                    ("sessions", "policy_dialogue", 2 * scale),
                    ("places", "children_club", 1 * scale),
                    ("trusted_addresses", None, 1 * scale),
                    ("sessions", "training", 2 * scale),
                    ("participants", None, 2000 * scale),
                )
            ):
                rows.append((owner, year, indicator, kind, value, position, stamp, stamp))
    await load.insert(
        "targets",
        (
            "unit_id",
            "year",
            "indicator",
            "activity_kind",
            "value",
            "position",
            "created_at",
            "updated_at",
        ),
        rows,
    )
    declarations = []
    for uid, role, unit in rng.sample(people, min(5000, len(people))):
        if role in ("collaborator", "team_member"):
            month = date(2025, rng.randint(1, 12), 1)
            declarations.append((uid, unit, _value(month, sqlite), stamp))
    await load.insert(
        "no_activity_reports", ("user_id", "unit_id", "month", "created_at"), declarations
    )


async def _incidents(
    load: Loader, rng: random.Random, rows: int, villages: Any, sqlite: bool
) -> int:
    """Incidents in the columns that ``storage.reports.incidents`` reads, plus
    whatever else the incidents table requires (codes, contact mode...), if
    that table exists; else none."""
    from storage.reports.incidents import incidents_table

    table = incidents_table()
    if table is None:
        print("no incidents table yet: the incident section is empty", file=sys.stderr)
        return 0
    count = rows * INCIDENTS_PER_MILLION // 1_000_000
    makers: dict[str, Callable[[int, datetime], Any]] = {
        "code": lambda i, _r: f"BD-{i:07d}",
        "submission_key": lambda i, _r: f"bench-incident-{i}",
        "kind": lambda _i, _r: rng.choice(("domestic_violence", "child_abuse", "trafficking")),
        "status": lambda _i, _r: rng.choice(("new", "taken", "referred", "closed")),
        "danger_now": lambda _i, _r: False,
        "affected": lambda _i, _r: '["woman"]',
        "occurred": lambda _i, _r: "today",
        "unit_id": lambda _i, _r: villages[rng.randrange(len(villages))][0],
        "contact": lambda _i, _r: "anonymous",
        "consent": lambda _i, _r: False,
        "level": lambda _i, _r: 0,
        "escalated": lambda _i, _r: rng.random() < 0.2,
        "reported_at": lambda _i, r: r,
        "acknowledged_at": lambda _i, r: (
            r + timedelta(minutes=rng.randint(1, 48 * 60)) if rng.random() < 0.8 else None
        ),
        "updated_at": lambda _i, r: r,
    }
    required = {c.name for c in table.c if not c.nullable and not c.primary_key}
    unknown = required - set(makers)
    if unknown:
        print(f"incidents table needs {sorted(unknown)}: none generated", file=sys.stderr)
        return 0
    columns = tuple(makers)
    batch = []
    for i in range(1, count + 1):
        reported = datetime(2024, 1, 1) + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        batch.append(tuple(_value(makers[c](i, reported), sqlite) for c in columns))
    await load.insert("incidents", columns, batch)
    return count


async def largest_province(sessions: Any) -> Unit:
    async with sessions() as session:
        parent = (
            await session.execute(
                select(Unit.parent_id, func.count())
                .where(Unit.level == UnitLevel.COMMUNE)
                .group_by(Unit.parent_id)
                .order_by(func.count().desc(), Unit.parent_id)
                .limit(1)
            )
        ).first()
        assert parent is not None
        unit: Unit | None = await session.get(Unit, parent[0])
        assert unit is not None
        return unit


# Measurement (parent process).
async def _timed(label: str, action: Callable[[], Awaitable[Any]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"{label:<34} " + "  ".join(f"{s:.3f}" for s in times) + f"   median {median:.3f} s")
    return median


async def measure(url: str, rows: int, repeat: int, out_dir: Path) -> dict[str, Any]:
    engine = engine_for(url)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        count = int(await session.scalar(text("SELECT count(*) FROM activities")) or 0)
    province = await largest_province(sessions)
    area = areas.unit_area(province)
    half = periods.half_period(2025, 1)
    year = periods.year_period(2025)
    t = translator("vi")
    print(
        f"{count:,} activities; province {province.name} ({province.code}); {url.split('://')[0]}"
    )

    async def province_summary() -> None:
        async with sessions() as session:
            summary = await summarize(session, area, half, ZONE)
            await progress(
                session, area, 2025, half.end, children=[r.place for r in summary.children]
            )

    async def national_summary() -> None:
        async with sessions() as session:
            summary = await summarize(session, areas.COUNTRY, year, ZONE)
            await progress(
                session, areas.COUNTRY, 2025, year.end, children=[r.place for r in summary.children]
            )

    async def province_xlsx() -> None:
        async with sessions() as session:
            report = await build_report(
                session, area, year, today=TODAY, zone=ZONE, with_children=True
            )
            with (out_dir / "province.xlsx").open("wb") as fp:
                await write_xlsx(session, report, fp, t)

    async def province_completeness() -> None:
        async with sessions() as session:
            await completeness(session, area, half, TODAY, ZONE)

    async def national_completeness() -> None:
        async with sessions() as session:
            await completeness(session, areas.COUNTRY, year, TODAY, ZONE)

    async def national_incidents() -> None:
        async with sessions() as session:
            await incident_figures(session, areas.COUNTRY, year, ZONE)

    async def province_incidents() -> None:
        async with sessions() as session:
            await incident_figures(session, area, half, ZONE)

    result = {
        "rows": count,
        "province_summary_s": await _timed("province summary, half-year", province_summary, repeat),
        "national_summary_s": await _timed("national summary, year", national_summary, repeat),
        "province_xlsx_s": await _timed("province XLSX export, year", province_xlsx, repeat),
        "completeness_s": await _timed(
            "province completeness, half-year", province_completeness, repeat
        ),
        "national_completeness_s": await _timed(
            "national completeness, year", national_completeness, repeat
        ),
    }
    # How much of each summary is the incident section (storage.incidents.stats).
    await _timed("  of which incidents, province", province_incidents, repeat)
    await _timed("  of which incidents, national", national_incidents, repeat)
    size = (out_dir / "province.xlsx").stat().st_size
    print(f"province XLSX: {size / 1e6:.1f} MB")
    await engine.dispose()
    result = {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="activities to generate")
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temp dir)")
    parser.add_argument(
        "--data", type=Path, help="keep the SQLite file in this directory and reuse it"
    )
    parser.add_argument("--reuse", action="store_true", help="do not regenerate if data is there")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binhdang-bench-") as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        url = args.db or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        if args.generate_only:
            asyncio.run(generate(url, args.rows, args.seed))
            return 0
        database = folder / "bench.db"
        if not (args.reuse and (args.db or database.exists())):
            if args.db is None and database.exists():
                database.unlink()
            started = time.perf_counter()
            command = [
                sys.executable,
                __file__,
                "--generate-only",
                "--rows",
                str(args.rows),
                "--seed",
                str(args.seed),
            ]
            command += ["--db", url]
            subprocess.run(command, check=True)
            print(f"generation took {time.perf_counter() - started:.1f} s (not timed below)")
        result = asyncio.run(measure(url, args.rows, args.repeat, Path(tmp)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the reports (issue 6): summaries, XLSX export and completeness
over a synthetic but realistic country.

    .venv/bin/python bench/aggregate.py                      # SQLite file in a temp dir
    .venv/bin/python bench/aggregate.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/aggregate.py --rows 100000        # a smaller data set

The data set: the 34 provinces and 3,321 communes of vietnam-provinces, 10
villages per commune, 50,000 users, ``--rows`` activities (default 1,000,000)
over 2024 and 2025 with one to three topics each, targets shaped like seed
004's for the largest province and each of its communes, and "no activity"
declarations. Incidents (100,000 at full scale) are generated only when an
``incidents`` table exists (the incidents issue); otherwise the summary's
incident section is the empty one and the generator says so.

Generation runs in a child process with bulk inserts (executemany on SQLite,
COPY on PostgreSQL, whose data goes to the schema ``bench_aggregate``) and is
not timed. The parent then times, three times each, the median printed:
a province summary for a half-year, the national summary for a year, the XLSX
export of a province for a year, and the completeness query for a province.
The last line is one JSON object.
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
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.i18n import translator  # noqa: E402
from storage import migrate, units  # noqa: E402
from storage.db import is_sqlite, make_engine, make_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    Activity,
    ActivityKind,
    ActivityTopic,
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
async def _bulk(
    engine: AsyncEngine, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows at once: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if is_sqlite(str(engine.url)):
            # A benchmark load: no need to survive a power cut halfway.
            await driver.execute("PRAGMA synchronous=OFF")
            await driver.execute("PRAGMA cache_size=-262144")
            marks = ", ".join("?" for _ in columns)
            await driver.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )
            await driver.commit()
        else:
            await driver.copy_records_to_table(
                table, records=rows, columns=list(columns), schema_name=SCHEMA
            )


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


async def generate(url: str, rows: int, seed: int) -> None:
    started = time.perf_counter()
    rng = random.Random(seed)
    if not is_sqlite(url):
        admin = make_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        await admin.dispose()
    engine = engine_for(url)
    sqlite = is_sqlite(url)
    await migrate.upgrade(engine)
    async with engine.begin() as conn:  # bulk load first, then rebuild the rollups once
        await conn.run_sync(rollups.drop_triggers)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await units.import_official_tree(session)
        communes = (
            await session.execute(
                select(Unit.id, Unit.code, Unit.path).where(Unit.level == UnitLevel.COMMUNE)
            )
        ).all()
        provinces = (
            await session.execute(
                select(Unit.id, Unit.code, Unit.path).where(Unit.level == UnitLevel.PROVINCE)
            )
        ).all()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    village_rows = []
    for _id, code, path in communes:
        for i in range(1, VILLAGES_PER_COMMUNE + 1):
            vcode = f"{code}-{i:03d}"
            village_rows.append(
                tuple(
                    _value(v, sqlite)
                    for v in (
                        vcode,
                        f"Thôn {i}",
                        "village",
                        "village",
                        _id,
                        f"{path}{vcode}/",
                        f"thon {i}",
                        True,
                        now.replace(tzinfo=None),
                    )
                )
            )
    await _bulk(
        engine,
        "units",
        (
            "code",
            "name",
            "level",
            "kind",
            "parent_id",
            "path",
            "search_key",
            "active",
            "created_at",
        ),
        village_rows,
    )
    async with sessions() as session:
        villages = (
            await session.execute(
                select(Unit.id, Unit.parent_id).where(Unit.level == UnitLevel.VILLAGE)
            )
        ).all()
    commune_ids = [c[0] for c in communes]
    # People: village collaborators and team members, one trusted address per
    # commune, commune and province coordinators.
    people: list[tuple[int, str, int]] = []  # (user id, role, unit id)
    for i, commune_id in enumerate(commune_ids):
        people.append((len(people) + 1, Role.TRUSTED_ADDRESS_STAFF.value, commune_id))
        if i % 5 == 0:
            people.append((len(people) + 1, Role.COMMUNE_COORDINATOR.value, commune_id))
    for province_id, _code, _path in provinces:
        people.append((len(people) + 1, Role.PROVINCE_COORDINATOR.value, province_id))
    while len(people) < USERS:
        village_id, _parent = villages[rng.randrange(len(villages))]
        role = Role.TEAM_MEMBER if rng.random() < 0.15 else Role.COLLABORATOR
        people.append((len(people) + 1, role.value, village_id))
    stamp = datetime(2023, 12, 1)
    await _bulk(
        engine,
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
            tuple(
                _value(v, sqlite)
                for v in (
                    uid,
                    10_000_000 + uid,
                    f"CTV {uid}",
                    "vi",
                    role,
                    unit,
                    "active",
                    False,
                    stamp,
                    stamp,
                )
            )
            for uid, role, unit in people
        ],
    )
    stage = time.perf_counter()
    # Secondary indexes are built once at the end: faster than keeping them
    # up to date row by row.
    deferred = [*Activity.__table__.indexes, *ActivityTopic.__table__.indexes]
    async with engine.begin() as conn:
        for index in deferred:
            await conn.run_sync(index.drop)
    topics = await _activities(engine, rows, seed, people, villages, sqlite)
    async with engine.begin() as conn:
        for index in deferred:
            await conn.run_sync(index.create)
    print(f"activities and topics inserted in {time.perf_counter() - stage:.1f} s", file=sys.stderr)
    await _targets_and_declarations(engine, sessions, rng, people, sqlite)
    incidents = await _incidents(engine, rng, rows, villages, sqlite)
    rebuilt = time.perf_counter()
    async with engine.begin() as conn:  # statistics first: the rebuild's plans need them
        await conn.execute(text("ANALYZE"))
    async with sessions.begin() as session:
        await rollups.rebuild(session)
    async with engine.begin() as conn:
        await conn.run_sync(rollups.install_triggers)
    print(f"rollups rebuilt in {time.perf_counter() - rebuilt:.1f} s", file=sys.stderr)
    async with engine.begin() as conn:
        if not sqlite:
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('activities', 'id'), (SELECT max(id) FROM activities))"
                )
            )
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"
                )
            )
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    print(
        f"generated {rows:,} activities, {topics:,} topics, {len(people):,} users, "
        f"{len(village_rows):,} villages, {incidents:,} incidents in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


async def _activities(
    engine: AsyncEngine,
    rows: int,
    seed: int,
    people: list[tuple[int, str, int]],
    villages: Any,
    sqlite: bool,
) -> int:
    """``rows`` activities over 2024 and 2025, made with numpy a batch at a
    time; returns the number of topic rows."""
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
    languages = ["vi", "ethnic", "both"]
    topic_values = [t.value for t in TOPICS]
    yes, no = _value(True, sqlite), _value(False, sqlite)
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
        await _bulk(engine, "activities", ACTIVITY_COLUMNS, batch)
        how_many = nrng.choice([1, 1, 2, 3], n)
        first_topic = nrng.integers(0, 13, n)
        second = nrng.integers(1, 13, n)
        third = nrng.integers(1, 13, n)
        third = np.where(third == second, second % 12 + 1, third)
        topic_rows = []
        for i, k, a, b, c in zip(
            ids.tolist(),
            how_many.tolist(),
            first_topic.tolist(),
            second.tolist(),
            third.tolist(),
            strict=True,
        ):
            topic_rows.append((i, topic_values[a]))
            if k > 1:
                topic_rows.append((i, topic_values[(a + b) % 13]))
            if k > 2:
                topic_rows.append((i, topic_values[(a + c) % 13]))
        await _bulk(engine, "activity_topics", ("activity_id", "topic"), topic_rows)
        topic_count += len(topic_rows)
    return topic_count


async def _targets_and_declarations(
    engine: AsyncEngine,
    sessions: Any,
    rng: random.Random,
    people: list[tuple[int, str, int]],
    sqlite: bool,
) -> None:
    province = await largest_province(sessions)
    async with sessions() as session:
        communes = (
            await session.scalars(select(Unit.id).where(Unit.parent_id == province.id))
        ).all()
    stamp = datetime(2024, 1, 2)
    rows = []
    for year in (2024, 2025):
        for owner, scale in [(province.id, 20), *((c, 1) for c in communes)]:
            for position, (indicator, kind, value) in enumerate(
                (
                    ("sessions", "policy_dialogue", 2 * scale),
                    ("places", "children_club", 1 * scale),
                    ("trusted_addresses", None, 1 * scale),
                    ("sessions", "training", 2 * scale),
                    ("participants", None, 2000 * scale),
                )
            ):
                rows.append(
                    tuple(
                        _value(v, sqlite)
                        for v in (owner, year, indicator, kind, value, position, stamp, stamp)
                    )
                )
    await _bulk(
        engine,
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
    for uid, role, unit in rng.sample(people, 5000):
        if role in ("collaborator", "team_member"):
            month = date(2025, rng.randint(1, 12), 1)
            declarations.append(tuple(_value(v, sqlite) for v in (uid, unit, month, stamp)))
    await _bulk(
        engine, "no_activity_reports", ("user_id", "unit_id", "month", "created_at"), declarations
    )


async def _incidents(
    engine: AsyncEngine, rng: random.Random, rows: int, villages: Any, sqlite: bool
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
    await _bulk(engine, "incidents", columns, batch)
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
        unit = await session.get(Unit, parent[0])
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

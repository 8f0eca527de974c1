"""Benchmark: deciding access by who the user is now (issue 13).

Every open and action reads the user's row and the report's place again
(``storage.incidents.access.may_open``), and ``/incidents`` checks each
candidate that way. This measures, on a temporary SQLite file (or
``--db``): ``may_open`` per call, ``take`` per report (permission, the
conditional UPDATE, notices and alert edits), and ``/incidents`` for a
commune coordinator and for staff with ``--reports`` open reports in the
province.

    .venv/bin/python bench/incident_access.py
    .venv/bin/python bench/incident_access.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.i18n import translator  # noqa: E402
from storage import incidents, migrate, trusted_addresses, units  # noqa: E402
from storage.db import is_sqlite, make_engine, make_sessionmaker  # noqa: E402
from storage.incidents import listing  # noqa: E402
from storage.models import (  # noqa: E402
    Affected,
    ContactMode,
    Incident,
    IncidentKind,
    Occurred,
    Role,
    User,
    UserStatus,
)
from storage.users import profile_of  # noqa: E402

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


async def run(url: str, reports: int) -> dict[str, object]:
    engine = make_engine(url)
    schema = None
    if not is_sqlite(url):
        schema = f"bench_access_{int(time.time())}"
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await engine.dispose()
        engine = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    cipher = incidents.Cipher("a-benchmark-secret-key-long-enough")
    policy = incidents.EscalationPolicy()
    async with sessions.begin() as session:
        await units.import_official_tree(session)
        hits = await units.search(session, "tra bong", limit=10)
        commune = await units.get_unit(session, next(h.id for h in hits if h.name == "Xã Trà Bồng"))
        assert commune is not None
        others = [
            await units.get_unit(session, h.id)
            for h in await units.search(session, "son", limit=40)
        ]
        same_province = [u for u in others if u and u.path.startswith(commune.path[:4])][:5]

        def user(telegram_id: int, role: Role, unit_id: int) -> User:
            return User(
                telegram_id=telegram_id,
                display_name=f"U{telegram_id}",
                role=role,
                unit_id=unit_id,
                status=UserStatus.ACTIVE,
                bot_blocked=False,
            )

        staff = [user(500 + i, Role.TRUSTED_ADDRESS_STAFF, commune.id) for i in range(2)]
        coordinator = user(510, Role.COMMUNE_COORDINATOR, commune.id)
        session.add_all([*staff, coordinator])
        await session.flush()
        await trusted_addresses.create(
            session,
            None,
            trusted_addresses.AddressData(
                name="Trạm y tế",
                unit_ids=[commune.id],
                phones=["0905 123 456"],
                hours="24/7",
                staff_ids=[s.id for s in staff],
            ),
            NOW,
        )
        places = [commune, *same_province]
        ids = []
        for i in range(reports):
            where = places[i % len(places)]
            submitted = await incidents.submit(
                session,
                cipher,
                incidents.IncidentInput(
                    submission_key=f"b{i}",
                    kind=IncidentKind.DOMESTIC_VIOLENCE,
                    danger_now=i % 7 == 0,
                    affected=[Affected.WOMAN],
                    unit_id=where.id,
                    occurred=Occurred.TODAY,
                    contact=ContactMode.ANONYMOUS,
                    description="x" * 200,
                ),
                NOW,
                policy,
                translator,
            )
            if where.id == commune.id:
                ids.append(submitted.incident_id)
        staff_profile = await profile_of(session, staff[0])
        coordinator_profile = await profile_of(session, coordinator)
    checks: list[float] = []
    async with sessions() as session:
        for incident_id in ids:
            incident = await session.get(Incident, incident_id)
            started = time.perf_counter()
            await incidents.may_open(session, staff_profile, incident)
            checks.append(time.perf_counter() - started)
    lists: dict[str, float] = {}
    for name, who in (("staff", staff_profile), ("coordinator", coordinator_profile)):
        samples = []
        for _ in range(3):
            async with sessions() as session:
                started = time.perf_counter()
                shown = await listing.open_reports(session, who)
                samples.append(time.perf_counter() - started)
        lists[name] = _ms(samples)
        lists[f"{name}_shown"] = len(shown)
    takes = []
    for incident_id in ids[:20]:
        async with sessions.begin() as session:
            started = time.perf_counter()
            done = await incidents.take(
                session, staff_profile, incident_id, NOW, translator, cipher
            )
            takes.append(time.perf_counter() - started)
            assert done.result is incidents.Result.OK
    await engine.dispose()
    if schema is not None:
        admin = make_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
    return {
        "bench": "incident_access",
        "engine": "sqlite" if is_sqlite(url) else "postgresql",
        "open_reports_in_province": reports,
        "may_open_ms_median": _ms(checks),
        "take_ms_median": _ms(takes),
        "incidents_list_staff_ms": lists["staff"],
        "incidents_list_coordinator_ms": lists["coordinator"],
        "listed_staff": lists["staff_shown"],
        "listed_coordinator": lists["coordinator_shown"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    parser.add_argument("--reports", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        print(json.dumps(asyncio.run(run(url, args.reports))))


if __name__ == "__main__":
    main()

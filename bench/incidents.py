"""Benchmark: incident reports (issue 4).

Phases, in one process, against the local Bot API with Telegram's limits
(30 messages/s for the bot, 1/s per chat):

  1. alert latency under load: a bulk broadcast of ``--bulk`` messages is
     being sent when ``--reports`` reports are submitted, one every 0.4 s, each
     to a commune with two trusted-address staff and a coordinator. Latency:
     from the commit of the report to the sender recording its last alert as
     sent. The urgent priority should keep it well under a second while the
     broadcast takes tens of seconds;
  2. intake and escalation: ``--escalate`` reports submitted one after the
     other (reports/s), then all their timers expire at once and one check
     escalates them all (time, reports/s);
  3. figures: ``--rows`` incidents spread over a province, then
     ``storage.incidents.stats`` for the country, the province and a commune;
  4. encryption: AES-GCM encrypt + decrypt of a 500-character description.

    .venv/bin/python bench/incidents.py                      # SQLite (temporary file)
    .venv/bin/python bench/incidents.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from telegram import Bot  # noqa: E402

from bot.i18n import translator  # noqa: E402
from bot.localapi import Limits, LocalBotApi  # noqa: E402
from scheduler.sender import Sender  # noqa: E402
from scheduler.throttle import Throttle  # noqa: E402
from storage import incidents, migrate, outbox, trusted_addresses, units  # noqa: E402
from storage.db import is_sqlite, make_engine, make_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    Affected,
    ContactMode,
    Incident,
    IncidentKind,
    Occurred,
    OutboxEntry,
    OutboxStatus,
    Priority,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)

SCHEMA = "bench_incidents"
TOKEN = "123456:bench"
SECRET = "a-benchmark-secret-key-of-enough-length"
DESCRIPTION = "Chồng say rượu đánh vợ và con gái nhỏ, hàng xóm nghe tiếng kêu cứu. " * 7


def engine_for(url: str) -> AsyncEngine:
    if is_sqlite(url):
        return make_engine(url)
    return make_engine(url, connect_args={"server_settings": {"search_path": SCHEMA}})


async def prepare(url: str) -> AsyncEngine:
    if not is_sqlite(url):
        admin = make_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        await admin.dispose()
    engine = engine_for(url)
    await migrate.upgrade(engine)
    async with make_sessionmaker(engine).begin() as session:
        await units.import_official_tree(session)
    return engine


async def people(engine: AsyncEngine, api: LocalBotApi) -> tuple[list[Unit], Unit]:
    """Every commune of Quảng Ngãi with two staff at a trusted address and a
    coordinator; the province coordinator; an administrator."""
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        province = await session.scalar(select(Unit).where(Unit.name == "Quảng Ngãi"))
        assert province is not None
        communes = list(await units.children(session, province.id))
        telegram_id = 100_000

        def user(role: Role, unit: Unit | None) -> User:
            nonlocal telegram_id
            telegram_id += 1
            api.add_user(telegram_id, first_name=f"U{telegram_id}", language_code="vi")
            found = User(
                telegram_id=telegram_id,
                display_name=f"U{telegram_id}",
                language="vi",
                role=role,
                unit_id=unit.id if unit else None,
                status=UserStatus.ACTIVE,
                bot_blocked=False,
            )
            session.add(found)
            return found

        user(Role.ADMIN, None)
        user(Role.PROVINCE_COORDINATOR, province)
        for commune in communes:
            staff = [user(Role.TRUSTED_ADDRESS_STAFF, commune) for _ in range(2)]
            user(Role.COMMUNE_COORDINATOR, commune)
            await session.flush()
            await trusted_addresses.create(
                session,
                None,
                trusted_addresses.AddressData(
                    name=f"Trạm y tế {commune.name}",
                    unit_ids=[commune.id],
                    phones=["0255 3822 123"],
                    hours="24/7",
                    staff_ids=[s.id for s in staff],
                ),
                datetime.now(UTC),
            )
    return communes, province


def report(unit_id: int, key: str, danger: bool = False) -> incidents.IncidentInput:
    return incidents.IncidentInput(
        submission_key=key,
        kind=IncidentKind.DOMESTIC_VIOLENCE,
        danger_now=danger,
        affected=[Affected.WOMAN, Affected.GIRL],
        unit_id=unit_id,
        occurred=Occurred.TODAY,
        contact=ContactMode.ANONYMOUS,
        description=DESCRIPTION,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def alert_latency(
    engine: AsyncEngine, api: LocalBotApi, communes: list[Unit], reports: int, bulk: int
) -> dict[str, Any]:
    sessions = make_sessionmaker(engine)
    cipher = incidents.Cipher(SECRET)
    policy = incidents.EscalationPolicy()
    first_bulk_chat = 900_000
    for chat in range(first_bulk_chat, first_bulk_chat + bulk):
        api.add_user(chat, first_name="B", language_code="vi")
    async with sessions.begin() as session:
        await outbox.enqueue_many(
            session,
            kind="bench_broadcast",
            recipients=[
                outbox.Recipient(chat, None, f"bench:{chat}")
                for chat in range(first_bulk_chat, first_bulk_chat + bulk)
            ],
            message=outbox.Message(text="Thông báo: họp dân tối nay."),
            priority=Priority.BULK,
        )
    bot = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
    await bot.initialize()
    sender = Sender(bot, sessions, lambda: datetime.now(UTC), Throttle(30.0, 1.0))
    await sender.start()
    await asyncio.sleep(1.0)  # the broadcast is under way
    committed: dict[int, float] = {}
    rng = random.Random(4)
    for n in range(reports):
        async with sessions.begin() as session:
            done = await incidents.submit(
                session,
                cipher,
                report(rng.choice(communes).id, f"latency-{n}", danger=True),
                datetime.now(UTC),
                policy,
                translator,
            )
        committed[done.incident_id] = time.time()
        sender.wake()
        await asyncio.sleep(0.4)
    latencies: list[float] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(OutboxEntry.ref, func.max(OutboxEntry.finished_at), func.count())
                    .where(
                        OutboxEntry.kind == "incident_alert",
                        OutboxEntry.status == OutboxStatus.SENT,
                    )
                    .group_by(OutboxEntry.ref)
                )
            ).all()
        if len(rows) == reports and all(count == 3 for _, _, count in rows):
            for ref, finished, _ in rows:
                incident_id = int(str(ref).split(":")[1])
                latencies.append(finished.replace(tzinfo=UTC).timestamp() - committed[incident_id])
            break
        await asyncio.sleep(0.2)
    async with sessions() as session:
        bulk_left = await session.scalar(
            select(func.count())
            .select_from(OutboxEntry)
            .where(
                OutboxEntry.kind == "bench_broadcast", OutboxEntry.status == OutboxStatus.PENDING
            )
        )
    await sender.stop()
    await bot.shutdown()
    return {
        "reports": reports,
        "alerts_per_report": 3,
        "bulk_messages": bulk,
        "bulk_still_pending_when_done": int(bulk_left or 0),
        "alert_latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "alert_latency_max_s": round(max(latencies), 3) if latencies else None,
    }


async def intake_and_escalation(
    engine: AsyncEngine, communes: list[Unit], count: int
) -> dict[str, Any]:
    sessions = make_sessionmaker(engine)
    cipher = incidents.Cipher(SECRET)
    policy = incidents.EscalationPolicy()
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    started = time.perf_counter()
    for n in range(count):
        async with sessions.begin() as session:
            await incidents.submit(
                session,
                cipher,
                report(communes[n % len(communes)].id, f"escalate-{n}"),
                now,
                policy,
                translator,
            )
    submit_s = time.perf_counter() - started
    started = time.perf_counter()
    escalated = 0
    later = now + timedelta(hours=5)
    while True:
        async with sessions.begin() as session:
            done = await incidents.escalate_due(session, later, policy, translator, cipher)
        if not done:
            break
        escalated += len(done)
    escalate_s = time.perf_counter() - started
    return {
        "submitted": count,
        "submit_reports_per_s": round(count / submit_s, 1),
        "submit_ms_each": round(1000 * submit_s / count, 2),
        "escalated": escalated,
        "escalation_check_s": round(escalate_s, 3),
        "escalated_per_s": round(escalated / escalate_s, 1) if escalate_s else None,
    }


async def figures(engine: AsyncEngine, province: Unit, rows: int) -> dict[str, Any]:
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        places = list(
            (
                await session.scalars(
                    select(Unit).where(
                        Unit.path.startswith(province.path), Unit.level != UnitLevel.PROVINCE
                    )
                )
            ).all()
        )
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    batch = []
    for n in range(rows):
        reported = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        acknowledged = reported + timedelta(minutes=rng.randint(1, 600))
        batch.append(
            {
                "code": f"BX-{n:07d}",
                "submission_key": f"figures-{n}",
                "kind": rng.choice(list(IncidentKind)),
                "status": rng.choice(["new", "taken", "referred", "closed"]),
                "danger_now": False,
                "affected": ["woman"],
                "occurred": Occurred.TODAY,
                "unit_id": rng.choice(places).id,
                "contact": ContactMode.ANONYMOUS,
                "consent": False,
                "level": 0,
                "escalated": rng.random() < 0.2,
                "reported_at": reported,
                "acknowledged_at": acknowledged if rng.random() < 0.8 else None,
                "updated_at": reported,
            }
        )
    for chunk in range(0, len(batch), 5000):
        async with sessions.begin() as session:
            await session.execute(insert(Incident), batch[chunk : chunk + 5000])
    async with engine.begin() as conn:  # fresh planner statistics, as autovacuum would give
        await conn.execute(text("ANALYZE"))
    end = datetime(2026, 1, 1, tzinfo=UTC)
    timings: dict[str, Any] = {"incidents": rows}
    for name, path in (("country", "/"), ("province", province.path), ("commune", places[0].path)):
        async with sessions() as session:
            began = time.perf_counter()
            found = await incidents.stats(session, path, start, end)
            timings[f"stats_{name}_s"] = round(time.perf_counter() - began, 3)
            timings[f"stats_{name}_total"] = found.total
    return timings


def crypto(rounds: int = 10_000) -> dict[str, Any]:
    cipher = incidents.Cipher(SECRET)
    began = time.perf_counter()
    for _ in range(rounds):
        cipher.decrypt("incident.description", cipher.encrypt("incident.description", DESCRIPTION))
    elapsed = time.perf_counter() - began
    return {"encrypt_decrypt_per_s": round(rounds / elapsed), "description_chars": len(DESCRIPTION)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", default=None, help="database URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--bulk", type=int, default=600)
    parser.add_argument("--escalate", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite+aiosqlite:///{folder}/bench.db"
        engine = await prepare(url)
        async with LocalBotApi(Limits.telegram()) as api:
            communes, province = await people(engine, api)
            results: dict[str, Any] = {"db": url.split("://")[0], "communes": len(communes)}
            print("phase 1: alert latency under a broadcast", flush=True)
            results["alerts"] = await alert_latency(engine, api, communes, args.reports, args.bulk)
            print(json.dumps(results["alerts"]), flush=True)
        print("phase 2: intake and escalation", flush=True)
        results["escalation"] = await intake_and_escalation(engine, communes, args.escalate)
        print(json.dumps(results["escalation"]), flush=True)
        print("phase 3: figures", flush=True)
        results["figures"] = await figures(engine, province, args.rows)
        print(json.dumps(results["figures"]), flush=True)
        results["crypto"] = crypto()
        await engine.dispose()
        if not is_sqlite(url):
            admin = make_engine(url)
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            await admin.dispose()
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())

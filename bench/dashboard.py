"""Benchmark of the dashboard (issue 15): the summary API over HTTP on the
1,000,000-activity data set of bench/aggregate.py, and the bytes of the
summary page's first load.

    .venv/bin/python bench/dashboard.py                  # SQLite file in a temp dir
    .venv/bin/python bench/dashboard.py --data /tmp/bd --reuse   # keep and reuse the data
    .venv/bin/python bench/dashboard.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test

The data come from bench/aggregate.py's generator (run in a child process,
not timed). Then the real aiohttp server of ``web.mount`` listens on
loopback and an HTTP client asks ``GET /app/api/summary`` with a Telegram
``initData`` header, as the Mini App does:

- a province (the largest, for 2025H1) as its province coordinator, and the
  country (2025) as an administrator;
- cold: the first request after the server and its database engine are
  started afresh (no pooled connection, no SQLite page cache), ``--cold``
  times; warm: ``--warm`` requests in a row after that.

p50 and p95 of each are printed, with the CPU time per request (p50: the
server runs in this process, so it is the server's work on every thread,
which the machine's load hardly changes), and the load average before and
after; the first load of the summary page is the
shell, app.css, app.js and the province's summary fragment, as a browser
fetches them (uncompressed). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web as aioweb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete  # noqa: E402

import web  # noqa: E402
from bench import aggregate  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import make_sessionmaker  # noqa: E402
from storage.models import Role, User, UserStatus  # noqa: E402
from web import initdata  # noqa: E402

TOKEN = "123456:bench-token"
ADMIN_TG = 9_000_000_001
PROVINCE_TG = 9_000_000_002


async def _people(url: str) -> str:
    """An administrator and the largest province's coordinator; the province code."""
    engine = aggregate.engine_for(url)
    sessions = make_sessionmaker(engine)
    province = await aggregate.largest_province(sessions)
    async with sessions.begin() as session:
        await session.execute(delete(User).where(User.telegram_id.in_([ADMIN_TG, PROVINCE_TG])))
        for telegram_id, role, unit_id in (
            (ADMIN_TG, Role.ADMIN, None),
            (PROVINCE_TG, Role.PROVINCE_COORDINATOR, province.id),
        ):
            session.add(
                User(
                    telegram_id=telegram_id,
                    display_name="Bench",
                    language="vi",
                    role=role,
                    unit_id=unit_id,
                    status=UserStatus.ACTIVE,
                    bot_blocked=False,
                    created_at=datetime(2024, 1, 1, tzinfo=UTC),
                )
            )
    await engine.dispose()
    return province.code


class Server:
    """The dashboard as the bot process serves it, on a new engine."""

    def __init__(self, url: str) -> None:
        settings = Settings(_env_file=None, database_url=url, bot_token=TOKEN)  # type: ignore[call-arg]
        engine = aggregate.engine_for(url)
        self.services = Services(settings, engine, make_sessionmaker(engine))
        self.app = aioweb.Application()
        # The summary API needs only the bot's token (to check initData).
        web.mount(self.app, SimpleNamespace(bot=SimpleNamespace(token=TOKEN)), self.services)
        self.runner = aioweb.AppRunner(self.app, access_log=None)
        self.base = ""

    async def __aenter__(self) -> Server:
        await self.runner.setup()
        site = aioweb.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()
        await self.services.engine.dispose()


def _headers(telegram_id: int) -> dict[str, str]:
    return {"Authorization": "tma " + initdata.for_user(telegram_id, TOKEN, datetime.now(UTC))}


async def _get(client: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[float, bytes]:
    took, _cpu, body = await _timed_get(client, url, **kw)
    return took, body


async def _timed_get(
    client: aiohttp.ClientSession, url: str, **kw: Any
) -> tuple[float, float, bytes]:
    """Wall time and CPU time (ms) of one request, and the body. The server
    runs in this process, so the CPU time is the server's work (all threads:
    aiosqlite's too) plus the client's small share; unlike the wall time it
    does not grow with the machine's load."""
    started, cpu = time.perf_counter(), time.process_time()
    async with client.get(url, **kw) as response:
        body = await response.read()
        assert response.status == 200, (response.status, body[:200])
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, body


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


async def measure(url: str, province: str, cold: int, warm: int) -> dict[str, Any]:
    cases = {
        "province": (province, "2025H1", PROVINCE_TG),
        "national": ("VN", "2025", ADMIN_TG),
    }
    result: dict[str, Any] = {}
    async with aiohttp.ClientSession() as client:
        for name, (unit, period, who) in cases.items():
            colds, warms = [], []
            cpus: dict[str, list[float]] = {"cold": [], "warm": []}
            params = {"unit": unit, "period": period}
            for _ in range(cold):
                async with Server(url) as server:
                    api = f"{server.base}/app/api/summary"
                    took, cpu, _body = await _timed_get(
                        client, api, params=params, headers=_headers(who)
                    )
                    colds.append(took)
                    cpus["cold"].append(cpu)
            async with Server(url) as server:
                api = f"{server.base}/app/api/summary"
                await _get(client, api, params=params, headers=_headers(who))
                for _ in range(warm):
                    took, cpu, _body = await _timed_get(
                        client, api, params=params, headers=_headers(who)
                    )
                    warms.append(took)
                    cpus["warm"].append(cpu)
            for label, values in (("cold", colds), ("warm", warms)):
                p50, p95 = _p(values, 50), _p(values, 95)
                cpu50 = _p(cpus[label], 50)
                print(
                    f"{name:<8} {label}: n={len(values):<3} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms"
                    f"   CPU p50 {cpu50:8.1f} ms"
                )
                result[f"{name}_{label}_p50_ms"] = round(p50, 1)
                result[f"{name}_{label}_p95_ms"] = round(p95, 1)
                result[f"{name}_{label}_cpu_p50_ms"] = round(cpu50, 1)
            result[f"{name}_p95_ms"] = round(max(_p(colds, 95), _p(warms, 95)), 1)
        async with Server(url) as server:
            sizes = {}
            for path, kw in (
                ("/app/", {}),
                ("/app/static/app.css", {}),
                ("/app/static/app.js", {}),
                (
                    "/app/view/summary",
                    {
                        "params": {"unit": province, "period": "2025H1"},
                        "headers": _headers(PROVINCE_TG),
                    },
                ),
            ):
                _took, body = await _get(client, server.base + path, **kw)
                sizes[path] = len(body)
            for path, size in sizes.items():
                print(f"first load: {path:<22} {size / 1024:7.1f} kB")
            result["first_load_kb"] = round(sum(sizes.values()) / 1024, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temp dir)")
    parser.add_argument("--data", type=Path, help="keep the SQLite file here and reuse it")
    parser.add_argument("--reuse", action="store_true", help="do not regenerate if data is there")
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="binhdang-dash-") as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "bench.db"
        url = args.db or f"sqlite+aiosqlite:///{database}"
        if not (args.reuse and (args.db or database.exists())):
            if args.db is None and database.exists():
                database.unlink()
            started = time.perf_counter()
            command = [sys.executable, str(ROOT / "bench" / "aggregate.py"), "--generate-only"]
            command += ["--rows", str(args.rows), "--seed", str(args.seed), "--db", url]
            subprocess.run(command, check=True)
            print(f"generation took {time.perf_counter() - started:.1f} s (not timed below)")
        province = asyncio.run(_people(url))
        load_before = os.getloadavg()[0]
        result = asyncio.run(measure(url, province, args.cold, args.warm))
        # The machine's load (1-minute average) before and after: wall times
        # grow with it, CPU times hardly.
        result["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a province coordinator broadcasts to N collaborators at
Telegram's rate limit, through failures and, optionally, a ``kill -9``.

The local Bot API runs in this process with Telegram's limits (30 messages
per second overall, 1 per second per chat, 429 with retry_after beyond
them), 1 % of send requests answered 502, and 2 % of the recipients having
blocked the bot. The bot runs in a child process, as a deployment would, and
the coordinator drives /broadcast through the API like a person. With
``--crash-at 0.5`` the child is killed with SIGKILL once half the recipients
have the message (at a random instant of the following 1/30 s), and started
again on the same database.

Counted here, from what the API actually delivered: ``delivered`` recipients
with the message, ``duplicates`` extra copies, ``blocked`` recipients
refused with 403, ``lost`` the rest; ``seconds`` from pressing "Send now" to
the last recipient's outcome; ``rate_per_s`` delivered per second, against
``limit_per_s`` (``ratio``).

    .venv/bin/python bench/broadcast.py                       # 10,000 recipients, SQLite
    .venv/bin/python bench/broadcast.py --crash-at 0.5
    .venv/bin/python bench/broadcast.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text, update  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.localapi import Limits, LocalBotApi, SentMessage  # noqa: E402
from bot.localapi.limits import FaultInjector  # noqa: E402
from storage import migrate, units  # noqa: E402
from storage.db import is_sqlite, make_engine, make_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    OutboxEntry,
    OutboxStatus,
    ReminderRule,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)

TOKEN = "123456:bench-broadcast"
COORDINATOR = 1
FIRST = 1_000_000
LIMIT_PER_S = 30.0
HEADER = "📢 "
TEXT = "Tháng hành động vì bình đẳng giới: mời các thôn tổ chức sinh hoạt và ghi lại từng buổi."


# The bot (child process).
def _engine(url: str, schema: str | None) -> AsyncEngine:
    if schema:
        return make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    return make_engine(url)


async def serve_bot(api_url: str, db_url: str, schema: str | None, journal: str) -> None:
    from bot.app import build_application, prepare_database, startup
    from bot.services import Services
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=db_url,
        log_level="WARNING",
        send_rate_per_s=LIMIT_PER_S,
        background_jobs=True,
        outbox_journal=journal,
    )
    engine = _engine(db_url, schema)
    services = Services(settings, engine, make_sessionmaker(engine))
    app = build_application(
        services, token=TOKEN, base_url=f"{api_url}/bot", base_file_url=f"{api_url}/file/bot"
    )
    await prepare_database(services)
    await app.initialize()
    await startup(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    from scheduler import jobs

    stats = jobs.sender_of(app).stats
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await engine.dispose()
    print(json.dumps({"marks": stats.marks, "mean_mark_ms": stats.mean_mark_ms}), flush=True)


class Child:
    def __init__(self, api: LocalBotApi, db_url: str, schema: str | None, log: Path) -> None:
        self.api, self.db_url, self.schema, self.log = api, db_url, schema, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        args = [sys.executable, __file__, "--child", "--api", self.api.url, "--db", self.db_url]
        args += ["--journal", str(self.log.parent / "sent.journal")]
        if self.schema:
            args += ["--schema", self.schema]
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *args, stdout=out, stderr=out, cwd=str(ROOT)
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        assert self.process is not None
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()


# The database.
async def prepare(db_url: str, schema: str | None, recipients: int) -> list[int]:
    """The official tree, a province coordinator of Quảng Ngãi and
    ``recipients`` collaborators spread over its communes. Calendar reminders
    are switched off so that only the broadcast is sent."""
    from bot.services import Services
    from bot.settings import Settings

    if schema:
        admin = make_engine(db_url)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
    engine = _engine(db_url, schema)
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    from bot.app import prepare_database

    services = Services(
        Settings(_env_file=None, database_url=db_url),  # type: ignore[call-arg]
        engine,
        sessions,
    )
    await prepare_database(services)
    async with sessions.begin() as session:
        await session.execute(update(ReminderRule).values(active=False))
        hits = await units.search(session, "Quảng Ngãi", level=UnitLevel.PROVINCE)
        province = await units.get_unit(session, hits[0].id)
        assert province is not None
        communes = (
            await session.scalars(
                select(Unit.id).where(
                    Unit.parent_id == province.id, Unit.level == UnitLevel.COMMUNE
                )
            )
        ).all()
        session.add(
            User(
                telegram_id=COORDINATOR,
                display_name="Điều phối tỉnh",
                language="en",
                role=Role.PROVINCE_COORDINATOR,
                unit_id=province.id,
                status=UserStatus.ACTIVE,
                bot_blocked=False,
            )
        )
        ids = [FIRST + n for n in range(recipients)]
        rows = [
            {
                "telegram_id": telegram_id,
                "display_name": f"CTV {n}",
                "language": "vi" if n % 5 else "en",
                "role": Role.COLLABORATOR,
                "unit_id": communes[n % len(communes)],
                "status": UserStatus.ACTIVE,
                "bot_blocked": False,
            }
            for n, telegram_id in enumerate(ids)
        ]
        for start in range(0, len(rows), 2000):
            await session.execute(insert(User), rows[start : start + 2000])
    await engine.dispose()
    return ids


async def outbox_open(db_url: str, schema: str | None) -> int:
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine)() as session:
        found = len(
            (
                await session.scalars(
                    select(OutboxEntry.id).where(
                        OutboxEntry.kind == "broadcast",
                        OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    )
                )
            ).all()
        )
    await engine.dispose()
    return found


async def drop_schema(db_url: str, schema: str) -> None:
    admin = make_engine(db_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.dispose()


# The coordinator and the count.
class Count:
    def __init__(self, recipients: list[int]) -> None:
        self.recipients = set(recipients)
        self.copies: dict[int, int] = {}
        self.times: dict[int, list[float]] = {}
        self.blocked: set[int] = set()
        self.last_outcome = 0.0
        self.killed_at: float | None = None
        self.back_at: float | None = None
        self._seen_log = 0

    def hook(self, message: SentMessage) -> None:
        if message.chat_id in self.recipients and (message.text or "").startswith(HEADER):
            self.copies[message.chat_id] = self.copies.get(message.chat_id, 0) + 1
            self.last_outcome = time.monotonic()
            self.times.setdefault(message.chat_id, []).append(self.last_outcome)
            if self.killed_at is not None and self.back_at is None:
                self.back_at = self.last_outcome

    def scan(self, api: LocalBotApi) -> None:
        for record in api.log[self._seen_log :]:
            if record.status == 403 and record.chat_id in self.recipients:
                if record.chat_id not in self.blocked:
                    self.last_outcome = record.answered
                self.blocked.add(record.chat_id)
        self._seen_log = len(api.log)

    @property
    def reached(self) -> int:
        return len(self.copies) + len(self.blocked - set(self.copies))


async def say(api: LocalBotApi, text: str) -> None:
    before = api.bot_message_count(COORDINATOR)
    await api.send_text(COORDINATOR, text)
    await api.wait_for_bot_message(COORDINATOR, before, timeout=60)


async def press(api: LocalBotApi, label: str, expect_new: bool = True) -> None:
    before = api.bot_message_count(COORDINATOR)
    await api.wait_until(lambda: _has_button(api, label), timeout=60)
    await api.press_button(COORDINATOR, label=label)
    if expect_new:
        await api.wait_for_bot_message(COORDINATOR, before, timeout=60)


def _has_button(api: LocalBotApi, label: str) -> bool:
    for message in reversed(api.bot_messages(COORDINATOR)):
        if message.reply_markup:
            return any(b.get("text") == label for row in message.reply_markup for b in row)
    return False


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory(prefix="binhdang-broadcast-")
    db_url, schema = args.db, None
    if db_url is None:
        db_url = f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    elif not is_sqlite(db_url):
        schema = f"bench_bc_{os.getpid()}"
    print(f"database: {db_url.split('@')[-1]}; recipients: {args.recipients}", flush=True)
    recipients = await prepare(db_url, schema, args.recipients)
    count = Count(recipients)
    limits = Limits.telegram(seed=args.seed)  # errors are switched on when the broadcast starts
    api = LocalBotApi(limits, on_bot_message=count.hook, member_updates=False)
    await api.start()
    api.add_user(COORDINATOR, first_name="Điều phối", language_code="en")
    step = max(1, round(1 / args.blocked)) if args.blocked > 0 else 0
    for n, telegram_id in enumerate(recipients):
        api.add_user(telegram_id, first_name=f"CTV {n}")
        if step and n % step == step - 1:
            api.block(telegram_id)
    blocked_expected = sum(1 for u in recipients if api.world.users[u].blocked)
    child = Child(api, db_url, schema, Path(tmp.name) / "bot.log")
    restarts = 0
    try:
        await child.start()
        await say(api, "/broadcast")
        await say(api, TEXT)
        await press(api, "➡ Continue")
        await press(api, "📤 Now")
        await api.wait_until(lambda: _has_button(api, "📢 Send now"), timeout=60)
        with_errors = Limits.telegram(seed=args.seed, server_error_rate=args.errors)
        api.methods.faults = FaultInjector(with_errors)
        started = time.monotonic()
        await api.press_button(COORDINATOR, label="📢 Send now")
        crash_at = int(args.crash_at * len(recipients)) if args.crash_at else None
        deadline = started + args.timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            count.scan(api)
            if crash_at is not None and len(count.copies) >= crash_at:
                crash_at = None
                # At a random instant of the next send interval, so that the kill is
                # not tied to the delivery that crossed the mark (this loop and the
                # API share one event loop, and wake together on a busy machine).
                await asyncio.sleep(random.Random(args.seed).uniform(0, 1 / LIMIT_PER_S))
                child.kill()
                count.killed_at = time.monotonic()
                await child.wait()
                print(f"killed the bot with SIGKILL at {len(count.copies)} delivered", flush=True)
                restarts += 1
                await child.start()
            if count.reached >= len(recipients) and await outbox_open(db_url, schema) == 0:
                break
        await asyncio.sleep(2.0)  # anything sent twice late would show now
        count.scan(api)
    finally:
        await child.stop()
        await api.stop()
        if schema:
            await drop_schema(db_url, schema)
    seconds = max(count.last_outcome - started, 1e-9)
    delivered = len(count.copies)
    duplicates = sum(n - 1 for n in count.copies.values())
    blocked = len(count.blocked - set(count.copies))
    rate = delivered / seconds
    log = (Path(tmp.name) / "bot.log").read_text(errors="replace")
    recovered = [
        line.split(" outbox entries")[0].rsplit(" ", 1)[-1]
        for line in log.splitlines()
        if "outbox entries were being sent" in line
    ]
    journalled = [
        line.split(" messages found")[0].rsplit(" ", 1)[-1]
        for line in log.splitlines()
        if "found in the sent journal" in line
    ]
    marks = [json.loads(line) for line in log.splitlines() if line.startswith('{"marks"')]
    if marks:
        print(
            f"database mark: {marks[-1]['mean_mark_ms']:.2f} ms on average from Telegram's "
            f"answer to the commit, covered by the journal ({marks[-1]['marks']} marks "
            "after the last start)",
            flush=True,
        )
    if count.killed_at is not None and count.back_at is not None:
        print(
            f"restart: {count.back_at - count.killed_at:.1f} s from SIGKILL to the next delivery; "
            f"found claimed: {', '.join(recovered) or '0'} sent again, "
            f"{', '.join(journalled) or '0'} marked sent from the journal",
            flush=True,
        )
    errors_5xx = sum(1 for r in api.log if r.outcome == "5xx")
    too_many = sum(1 for r in api.log if r.outcome == "429" and r.chat_id != COORDINATOR)
    if os.environ.get("BENCH_DEBUG"):
        for r in api.log:
            if r.outcome == "429":
                print(
                    f"429 at {r.received - started:.3f}s chat {r.chat_id} {r.method} {r.description}"
                )
        if count.killed_at:
            print(f"killed at {count.killed_at - started:.3f}s")
            for chat, times in count.times.items():
                if len(times) > 1:
                    after = ", ".join(f"{1000 * (t - count.killed_at):+.1f} ms" for t in times)
                    print(f"duplicate to {chat}: delivered at {after} from the kill")
    print(
        f"blocked beforehand: {blocked_expected}; 502 answers: {errors_5xx}; "
        f"429 answers to recipients: {too_many}; restarts: {restarts}",
        flush=True,
    )
    return {
        "recipients": len(recipients),
        "delivered": delivered,
        "duplicates": duplicates,
        "lost": len(recipients) - delivered - blocked,
        "blocked": blocked,
        "seconds": round(seconds, 2),
        "rate_per_s": round(rate, 2),
        "limit_per_s": LIMIT_PER_S,
        "ratio": round(rate / LIMIT_PER_S, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--crash-at", type=float, default=None, help="share delivered, e.g. 0.5")
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--errors", type=float, default=0.01, help="share of 502 answers")
    parser.add_argument("--blocked", type=float, default=0.02, help="share of blocked users")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--journal", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(serve_bot(args.api, args.db, args.schema, args.journal))
        return
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()

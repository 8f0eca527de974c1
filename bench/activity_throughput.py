"""Benchmark: many users log activities (/log) at the same time.

The local Bot API and the simulated users run in this process; the bot runs in
a child process, as a real deployment would, and talks to the API over HTTP on
loopback. In the same run and harness a bare python-telegram-bot echo bot is
measured, and our updates/s are compared with its.

Phases:
  1. echo: every user sends as many texts as a /log conversation has updates,
     each one after the previous echo came back (closed loop, no pause);
  2. saturated: every user runs ``--rounds`` full guided /log conversations,
     each action right after the bot's answer (closed loop, no pause). This
     gives updates/s, activities/s and the ratio to the echo bot;
  3. paced: every user runs one more conversation pausing like a person
     (``--think`` seconds on average between an answer and the next action;
     each user starts within the first ``--think`` seconds, so that all are
     in their conversation at once without all pressing in the same
     millisecond). This gives the p50/p99 latency at that many concurrent
     users.
Latency: from pushing an update to the bot's answer (its next message, or the
edit of the ✓ topics keyboard) arriving at the API.

    .venv/bin/python bench/activity_throughput.py            # SQLite
    .venv/bin/python bench/activity_throughput.py --db postgresql+asyncpg://postgres@127.0.0.1:5432/test

The last line printed is one JSON object. Besides the keys asked for, it has
``activities_per_s``, the saturated latencies, and the CPU milliseconds each
bot spent per update (the figure least disturbed by other load on the machine).

The bot runs with its own send throttle lifted (``send_rate_per_s=1000``):
Telegram allows a bot about 30 messages/s, the local Bot API no limit.

Diagnostics (environment): ``BENCH_PROFILE=path`` writes a cProfile of each
child (of the main thread's CPU time with ``BENCH_PROFILE_CPU=1``, else of the
wall clock), ``BENCH_SQL_LOG=path`` counts the bot's SQL statements and new
connections, ``BENCH_STEPS=1`` prints the latency of each step and of each Bot
API method, ``BENCH_GC=1`` the garbage collector's pauses in the bot,
``BENCH_THREADS=1`` the bot's CPU per update in its main thread and in the
others.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.localapi import LocalBotApi, SentMessage  # noqa: E402
from storage import migrate, units  # noqa: E402
from storage.db import is_sqlite, make_engine, make_sessionmaker  # noqa: E402
from storage.models import Activity, Role, Unit, UnitLevel, User, UserStatus  # noqa: E402

TOKEN = "123456:bench"
FIRST_USER = 100_000
VILLAGES = 20
REFERENCE = re.compile(r"HD-(\d+)")


# The bot side (child processes).
def _engine(url: str, schema: str | None) -> AsyncEngine:
    if schema:
        return make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    return make_engine(url)


async def serve_bot(api_url: str, db_url: str, schema: str | None) -> None:
    from bot.app import build_application, prepare_database, settle_memory, startup
    from bot.services import Services
    from bot.settings import Settings

    # Telegram lets a bot send about 30 messages/s, and the bot's own throttle
    # keeps to that; the local Bot API has no such limit, so the benchmark
    # lifts it to measure what the bot itself can do.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=db_url,
        log_level="WARNING",
        send_rate_per_s=1000,
    )
    engine = _engine(db_url, schema)
    if os.environ.get("BENCH_SQL_LOG"):
        _count_statements(engine, os.environ["BENCH_SQL_LOG"])
    services = Services(settings, engine, make_sessionmaker(engine))
    app = build_application(
        services, token=TOKEN, base_url=f"{api_url}/bot", base_file_url=f"{api_url}/file/bot"
    )
    await prepare_database(services)
    await app.initialize()
    await startup(app)
    settle_memory()  # as `binhdang run` does
    if os.environ.get("BENCH_GC"):
        _time_collections()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10)
    await _until_terminated()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await engine.dispose()


def _count_statements(engine: AsyncEngine, path: str) -> None:
    """Diagnostics: how many SQL statements of each kind the bot runs."""
    import atexit
    from collections import Counter

    from sqlalchemy import event

    seen: Counter[str] = Counter()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen[" ".join(statement.split())[:90]] += 1

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(conn: Any) -> None:
        seen["COMMIT"] += 1

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(*args: Any) -> None:
        seen["(a new connection)"] += 1

    def _dump() -> None:
        Path(path).write_text("\n".join(f"{n:7d} {s}" for s, n in seen.most_common()))

    atexit.register(_dump)


def _time_collections() -> None:
    """Diagnostics: how long the garbage collector stops the bot, per generation."""
    import atexit
    import gc

    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def timing(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    gc.callbacks.append(timing)

    def report() -> None:
        for generation, values in pauses.items():
            if values:
                print(
                    f"  gc gen{generation}: {len(values)} collections, "
                    f"max {max(values) * 1000:.1f} ms, total {sum(values) * 1000:.0f} ms",
                    file=sys.stderr,
                    flush=True,
                )

    atexit.register(report)


async def serve_echo(api_url: str) -> None:
    """The python-telegram-bot echo example, as it comes."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    builder = ApplicationBuilder().token(TOKEN).base_url(f"{api_url}/bot")
    if os.environ.get("BENCH_ECHO_CONCURRENT"):
        builder = builder.concurrent_updates(True)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10)
    await _until_terminated()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    def parent_gone() -> None:  # stdin is a pipe from the parent: EOF when it dies
        if not os.read(0, 1024):
            loop.remove_reader(0)
            stop.set()

    loop.add_reader(0, parent_gone)
    await stop.wait()


def child_main(args: argparse.Namespace) -> None:
    profile_to = os.environ.get("BENCH_PROFILE")
    if profile_to:
        import cProfile

        # BENCH_PROFILE_CPU=1: the main thread's CPU time, not the wall clock
        # (which charges the waits, and other processes' turns, to whatever ran).
        cpu_clock = bool(os.environ.get("BENCH_PROFILE_CPU"))
        profiler = cProfile.Profile(time.thread_time) if cpu_clock else cProfile.Profile()
        profiler.enable()
    if args.serve == "bot":
        asyncio.run(serve_bot(args.api, args.db, args.schema))
    else:
        asyncio.run(serve_echo(args.api))
    if profile_to:
        profiler.disable()
        profiler.dump_stats(f"{profile_to}.{args.serve}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps({"rss_mb": round(usage.ru_maxrss / 1024, 1), "cpu_s": round(cpu, 2)}), flush=True
    )


# The user side (this process).
@dataclass
class Waiter:
    future: asyncio.Future[SentMessage]
    wants: Callable[[SentMessage], bool]


@dataclass
class Driver:
    api: LocalBotApi
    latencies: list[float] = field(default_factory=list)
    updates: int = 0
    confirmed: set[int] = field(default_factory=set)
    logs_started: dict[int, int] = field(default_factory=dict)
    waiters: dict[int, Waiter] = field(default_factory=dict)
    record: bool = True
    by_step: dict[str, list[float]] | None = None  # BENCH_STEPS=1: latency of each step

    def hook(self, message: SentMessage) -> None:
        waiter = self.waiters.get(message.chat_id)
        if waiter is not None and not waiter.future.done() and waiter.wants(message):
            del self.waiters[message.chat_id]
            waiter.future.set_result(message)

    async def act(
        self,
        user: int,
        push: Callable[[], Any],
        wants: Callable[[SentMessage], bool] = lambda m: m.edited_count == 0,
        step: str = "",
    ) -> SentMessage:
        future: asyncio.Future[SentMessage] = asyncio.get_running_loop().create_future()
        self.waiters[user] = Waiter(future, wants)
        started = time.perf_counter()
        await push()
        answer = await asyncio.wait_for(future, 60)
        if self.record:
            took = time.perf_counter() - started
            self.latencies.append(took)
            if self.by_step is not None:
                self.by_step.setdefault(step, []).append(took)
        self.updates += 1
        return answer

    def keyboard_message(self, user: int) -> SentMessage:
        for message in reversed(self.api.world.chats.get(user, [])):
            if message.from_bot and not message.deleted and message.reply_markup:
                return message
        raise LookupError(f"no keyboard for {user}")

    async def press(self, user: int, wants_data: Callable[[str], bool]) -> SentMessage:
        """Press a button of the newest keyboard; the answer is that message
        edited (the next question in its place) or a new message."""
        message = self.keyboard_message(user)
        data = next(
            str(b["callback_data"])
            for b in message.buttons()
            if "callback_data" in b and wants_data(str(b["callback_data"]))
        )
        edits = message.edited_count

        def answered(m: SentMessage) -> bool:
            if m.message_id == message.message_id:
                return m.edited_count > edits
            return m.edited_count == 0

        return await self.act(
            user, lambda: self.api.press(user, message.message_id, data), answered, data[:2]
        )

    async def say(self, user: int, text: str) -> SentMessage:
        step = text if text.startswith("/") else "text"
        return await self.act(user, lambda: self.api.send_text(user, text), step=step)

    async def log_activity(self, user: int, think: Callable[[], Any]) -> None:
        """One guided /log: 14 updates from the command to the reference."""
        # Each of a user's sessions has other figures: the same figures on the
        # same day and place would be asked about as a session logged twice.
        nth = self.logs_started.get(user, 0)
        self.logs_started[user] = nth + 1
        rng = random.Random(user * 1000 + nth)
        total = rng.randint(10, 80)
        women = rng.randint(0, total)
        topics = rng.sample(["lt:bdg", "lt:blgd", "lt:tao-hon", "lt:tap-tuc", "lt:kinh-te"], 2)
        await self.say(user, "/log")
        await think()
        await self.press(user, lambda d: d == "lk:tt")
        await think()
        await self.press(user, lambda d: d == "ld:today")
        await think()
        await self.press(user, lambda d: d.startswith("lp:"))
        await think()
        await self.say(user, str(total))
        await think()
        await self.say(user, str(women))
        await think()
        await self.say(user, str(total - women))  # adults only: children are skipped
        await think()
        await self.press(
            user, lambda d: d.startswith("ln:ethnic_minority:") and d != "ln:ethnic_minority:0"
        )
        await think()
        for topic in topics:
            await self.press(user, lambda d, topic=topic: d == topic)
            await think()
        await self.press(user, lambda d: d == "lt:done")
        await think()
        await self.press(user, lambda d: d == "ll:vi")
        await think()
        await self.press(user, lambda d: d == "lo:done")
        await think()
        saved = await self.press(user, lambda d: d.startswith("ls:ok:"))
        found = REFERENCE.search(saved.text or "")
        if found is None:
            raise RuntimeError(f"user {user}: no reference in {saved.text!r}")
        self.confirmed.add(int(found[1]))

    async def echo_round(self, user: int, count: int) -> None:
        for n in range(count):
            await self.say(user, f"xin chào {n}")


UPDATES_PER_LOG = 14


async def _no_pause() -> None:
    return None


def _pause(mean: float) -> Callable[[], Any]:
    async def pause() -> None:
        await asyncio.sleep(random.uniform(0.5 * mean, 1.5 * mean))

    return pause


async def _paced_user(driver: Driver, user: int, think: float) -> None:
    await asyncio.sleep(random.uniform(0, think))
    await driver.log_activity(user, _pause(think))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def print_threads(bot: Child, before: dict[int, float], updates: int) -> None:
    """Diagnostics: the CPU ms per update of the bot's main thread and of its
    other threads (aiosqlite runs each connection's statements in a thread)."""
    assert bot.process is not None
    after = bot.thread_cpu_seconds()
    main = after.get(bot.process.pid, 0.0) - before.get(bot.process.pid, 0.0)
    others = sum(v - before.get(t, 0.0) for t, v in after.items() if t != bot.process.pid)
    print(
        f"  threads: main {main / updates * 1000:.2f} ms, others {others / updates * 1000:.2f} ms"
        " CPU per update (ended threads not counted)",
        flush=True,
    )


def print_steps(driver: Driver, api: LocalBotApi) -> None:
    """BENCH_STEPS=1: the latency of each step, and of each Bot API method."""
    if driver.by_step is None:
        return
    for step, values in sorted(driver.by_step.items()):
        print(
            f"  step {step:8s} n={len(values):5d} p50 {percentile(values, 0.5) * 1000:7.1f} ms"
            f"  p99 {percentile(values, 0.99) * 1000:7.1f} ms",
            flush=True,
        )
    driver.by_step.clear()
    methods: dict[str, list[float]] = {}
    for r in api.log:
        methods.setdefault(r.method, []).append(r.latency)
    api.log.clear()
    for method, values in sorted(methods.items()):
        print(
            f"  api {method:22s} n={len(values):6d} p50 {percentile(values, 0.5) * 1000:7.1f} ms"
            f"  p99 {percentile(values, 0.99) * 1000:7.1f} ms",
            flush=True,
        )


# Database and processes.
async def prepare(db_url: str, schema: str | None, users: int) -> list[int]:
    """Migrate, load the official tree, and register ``users`` collaborators in
    the villages of one commune."""
    if schema:
        admin = make_engine(db_url)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
    engine = _engine(db_url, schema)
    await migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await units.import_official_tree(session)
        commune = (
            await session.scalars(
                select(Unit).where(Unit.level == UnitLevel.COMMUNE).order_by(Unit.code).limit(1)
            )
        ).one()
        villages = [
            await units.add_village(session, commune, f"Thôn {n}") for n in range(1, VILLAGES + 1)
        ]
        ids = [FIRST_USER + n for n in range(users)]
        session.add_all(
            User(
                telegram_id=telegram_id,
                display_name=f"Người dùng {telegram_id}",
                language="vi",
                role=Role.TEAM_MEMBER,
                unit_id=villages[n % VILLAGES].id,
                status=UserStatus.ACTIVE,
                bot_blocked=False,
            )
            for n, telegram_id in enumerate(ids)
        )
    await engine.dispose()
    return ids


async def count_activities(db_url: str, schema: str | None) -> set[int]:
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine)() as session:
        found = set(await session.scalars(select(Activity.id).where(Activity.deleted.is_(False))))
        assert await session.scalar(select(func.count(Activity.id))) == len(found)
    await engine.dispose()
    return found


async def drop_schema(db_url: str, schema: str) -> None:
    admin = make_engine(db_url)
    async with admin.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.dispose()


class Child:
    """A bot in a child process, polling the local Bot API."""

    def __init__(
        self, api: LocalBotApi, args: list[str], env: dict[str, str] | None = None
    ) -> None:
        self.api = api
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.process: asyncio.subprocess.Process | None = None
        self.ready_cpu = 0.0

    async def start(self) -> None:
        polls = sum(1 for r in self.api.log if r.method == "getUpdates")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            *self.args,
            "--api",
            self.api.url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=str(ROOT),
        )
        await self.api.wait_until(
            lambda: sum(1 for r in self.api.log if r.method == "getUpdates") > polls, timeout=120
        )
        self.ready_cpu = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        """CPU time the child has used so far (Linux)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def thread_cpu_seconds(self) -> dict[int, float]:
        """CPU time of each of the child's threads so far, by thread id (Linux)."""
        assert self.process is not None
        found: dict[int, float] = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                found[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf(
                    "SC_CLK_TCK"
                )
        return found

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self) -> dict[str, float]:
        """Stop it as a deployment would (SIGTERM); returns its peak RSS in MB
        and the CPU seconds it used."""
        assert self.process is not None and self.process.stdout is not None
        self.process.send_signal(signal.SIGTERM)
        output = await self.process.stdout.read()
        await self.process.wait()
        for line in reversed(output.decode().splitlines()):
            with contextlib.suppress(ValueError):
                found = json.loads(line)
                return {"rss_mb": float(found["rss_mb"]), "cpu_s": float(found["cpu_s"])}
        raise RuntimeError(f"child gave no usage: {output!r}")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    db_url = args.db
    tmp = None
    schema = None
    if db_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="binhdang-bench-")
        db_url = f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    elif not is_sqlite(db_url):
        schema = f"bench_{os.getpid()}"
    print(f"database: {db_url.split('@')[-1]}; users: {args.users}", flush=True)
    ids = await prepare(db_url, schema, args.users)
    driver: Driver
    api = LocalBotApi(on_bot_message=lambda m: driver.hook(m))
    driver = Driver(api)
    if os.environ.get("BENCH_STEPS"):
        driver.by_step = {}
    await api.start()
    for telegram_id in ids:
        api.add_user(telegram_id, first_name="Người dùng", language_code="vi")
    result: dict[str, Any] = {}
    children: list[Child] = []
    try:
        # 1. The echo bot.
        echo_env = {"BENCH_ECHO_CONCURRENT": "1"} if args.echo_concurrent else {}
        echo = Child(api, ["--serve", "echo"], echo_env)
        children.append(echo)
        await echo.start()
        await asyncio.gather(*(driver.echo_round(u, 2) for u in ids[:10]))  # warm-up
        driver.latencies.clear()
        driver.updates = 0
        cpu = echo.cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(driver.echo_round(u, UPDATES_PER_LOG * args.rounds) for u in ids))
        echo_seconds = time.perf_counter() - started
        echo_cpu_ms = (echo.cpu_seconds() - cpu) / driver.updates * 1000
        echo_rate = driver.updates / echo_seconds
        echo_p50, echo_p99 = percentile(driver.latencies, 0.5), percentile(driver.latencies, 0.99)
        echo_usage = await echo.stop()
        print(
            f"echo bot:   {driver.updates} updates in {echo_seconds:.2f} s = {echo_rate:.0f} updates/s; "
            f"p50 {echo_p50 * 1000:.1f} ms, p99 {echo_p99 * 1000:.1f} ms; "
            f"peak RSS {echo_usage['rss_mb']:.0f} MB; {echo_cpu_ms:.1f} ms CPU per update",
            flush=True,
        )

        # 2. Our bot, saturated.
        bot = Child(
            api, ["--serve", "bot", "--db", db_url, *(["--schema", schema] if schema else [])]
        )
        children.append(bot)
        await bot.start()
        driver.record = False
        await asyncio.gather(*(driver.log_activity(u, _no_pause) for u in ids[:10]))  # warm-up
        driver.record = True
        driver.latencies.clear()
        driver.updates = 0
        before = len(driver.confirmed)
        cpu = bot.cpu_seconds()
        threads = bot.thread_cpu_seconds()
        started = time.perf_counter()
        for _ in range(args.rounds):
            await asyncio.gather(*(driver.log_activity(u, _no_pause) for u in ids))
        seconds = time.perf_counter() - started
        cpu_ms = (bot.cpu_seconds() - cpu) / driver.updates * 1000
        if os.environ.get("BENCH_THREADS"):
            print_threads(bot, threads, driver.updates)
        rate = driver.updates / seconds
        logged = len(driver.confirmed) - before
        sat_p50, sat_p99 = percentile(driver.latencies, 0.5), percentile(driver.latencies, 0.99)
        print(
            f"our bot:    {driver.updates} updates in {seconds:.2f} s = {rate:.0f} updates/s; "
            f"{logged} activities = {logged / seconds:.1f} activities/s; "
            f"p50 {sat_p50 * 1000:.1f} ms, p99 {sat_p99 * 1000:.1f} ms (no pauses); "
            f"{cpu_ms:.1f} ms CPU per update",
            flush=True,
        )

        print_steps(driver, api)

        # 3. Our bot, users pausing like people.
        driver.latencies.clear()
        driver.updates = 0
        started = time.perf_counter()
        await asyncio.gather(*(_paced_user(driver, u, args.think) for u in ids))
        paced_seconds = time.perf_counter() - started
        p50, p99 = percentile(driver.latencies, 0.5), percentile(driver.latencies, 0.99)
        print(
            f"paced:      {driver.updates} updates in {paced_seconds:.2f} s "
            f"({args.users} users, {args.think:.1f} s mean pause) = "
            f"{driver.updates / paced_seconds:.0f} updates/s; p50 {p50 * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms",
            flush=True,
        )
        print_steps(driver, api)
        usage = await bot.stop()
        rss = usage["rss_mb"]
        stored = await count_activities(db_url, schema)
        lost = len(driver.confirmed - stored)
        print(
            f"stored: {len(stored)} activities, confirmed {len(driver.confirmed)}, lost {lost}; "
            f"bot peak RSS {rss:.0f} MB, CPU {usage['cpu_s']:.1f} s",
            flush=True,
        )
        result = {
            "updates_per_s": round(rate, 1),
            "echo_updates_per_s": round(echo_rate, 1),
            "ratio": round(rate / echo_rate, 3),
            "p50_ms": round(p50 * 1000, 1),
            "p99_ms": round(p99 * 1000, 1),
            "rss_mb": rss,
            "activities": len(stored),
            "lost": lost,
            "activities_per_s": round(logged / seconds, 1),
            "saturated_p50_ms": round(sat_p50 * 1000, 1),
            "saturated_p99_ms": round(sat_p99 * 1000, 1),
            "cpu_ms_per_update": round(cpu_ms, 2),
            "echo_cpu_ms_per_update": round(echo_cpu_ms, 2),
            "users": args.users,
            "db": "sqlite" if is_sqlite(db_url) else "postgresql",
        }
    finally:
        for child in children:
            child.kill()
        await api.stop()
        if schema:
            await drop_schema(db_url, schema)
        if tmp is not None:
            tmp.cleanup()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=1, help="saturated /log conversations per user"
    )
    parser.add_argument("--think", type=float, default=5.0, help="mean pause of the paced phase, s")
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument(
        "--echo-concurrent",
        action="store_true",
        help="let the echo bot process updates concurrently (PTB's default is one at a time)",
    )
    parser.add_argument("--serve", choices=["bot", "echo"], help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        child_main(args)
        return
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: several bot processes on one PostgreSQL behind the local Bot
API's webhook, which spreads the updates over them in turn (a load balancer
without sticky sessions), through a ``kill -9`` of the leader.

``--users`` people each run a guided /log (bench/activity_throughput.py's
script) while a province coordinator broadcasts to ``--recipients``
collaborators (bench/broadcast.py's flow). Once half the broadcast is
delivered (``--kill-at``), the leader (asked on its health route) is killed
with SIGKILL and started again 5 s later. 20 webhook requests with a missing
or wrong secret are sent to the processes, each carrying a real /start of a
user who exists nowhere else.

Counted from what the local API delivered and what the database holds:
``activities`` (and ``lost``: acknowledged references missing; ``duplicates``:
activities recorded twice for one user), ``conversation_errors`` (a user whose
next answer did not come, or came wrong), the broadcast's ``delivered``,
``duplicates`` and ``lost``, ``ambiguous`` (outbox entries the killed leader
held at the kill), ``failover_s`` (from the kill to the next broadcast
delivery), ``broadcast_ratio`` (its rate over the whole broadcast against
30/s), ``forged_accepted`` (forged requests answered 2xx, or answered at all
by the bot). The reports' alerts reach the province coordinator (the area has
no trusted address) through the same 30/s as the broadcast, and so do the
progress edits: ``budget_shared`` counts them during the broadcast, and
``budget_ratio`` is the rate of everything that budget carried.

    .venv/bin/python bench/instances.py --instances 2 --users 200 --kill-at 0.5 \\
        --db postgresql+asyncpg://postgres@127.0.0.1:5432/test

The last line printed is one JSON object. The line before it, ``per second``,
gives the broadcast's deliveries in each second (``|`` marks the kill's, and
``/n`` the coordinator's messages): where a rate under the limit was lost.
``BENCH_KEEP_LOGS=DIR`` keeps the processes' logs, at ``BENCH_LOG_LEVEL``
(default WARNING).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from bench.activity_throughput import (  # noqa: E402
    Driver,
    _engine,
    _pause,
    drop_schema,
)
from bench.activity_throughput import prepare as prepare_users  # noqa: E402
from bot.localapi import LocalBotApi, SentMessage  # noqa: E402
from storage.db import make_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    Activity,
    Incident,
    OutboxEntry,
    OutboxStatus,
    ReminderRule,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)

TOKEN = "123456:bench-instances"
SECRET = "bench-webhook-secret"
PUBLIC_URL = "https://bot.example.org/telegram"
COORDINATOR = 1
FIRST_RECIPIENT = 1_000_000
FORGED_FIRST = 9_000_000
FIRST_REPORTER = 2_000_000
REPORT_EVERY = 4  # one user in four files a /report, the others a /log
KEY = "bench-instances-secret-key"
CODE = re.compile(r"\b([A-Z]{2}-[0-9A-Z]{4,})\b")
LIMIT_PER_S = 30.0
HEADER = "📢 "
TEXT = "Tháng hành động vì bình đẳng giới: mời các thôn tổ chức sinh hoạt và ghi lại từng buổi."


# A bot process (child).
async def serve(api_url: str, db_url: str, schema: str, port: int) -> None:
    from bot.app import TrackedApplication, build_application
    from bot.runtime import ProcessRuntime
    from bot.services import Services
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=db_url,
        log_level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        send_rate_per_s=LIMIT_PER_S,
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        listen=f"127.0.0.1:{port}",
        outbox_journal="off",
        secret_key=KEY,
    )
    engine = _engine(db_url, schema)
    services = Services(settings, engine, make_sessionmaker(engine))
    app = build_application(
        services, token=TOKEN, base_url=f"{api_url}/bot", base_file_url=f"{api_url}/file/bot"
    )
    assert isinstance(app, TrackedApplication)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with ProcessRuntime(services, app):
        print(f"ready {os.getpid()}", flush=True)
        await stop.wait()
    await engine.dispose()


class Child:
    def __init__(self, api: LocalBotApi, db_url: str, schema: str, port: int, log: Path) -> None:
        self.api, self.db_url, self.schema, self.port, self.log = api, db_url, schema, port, log
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        args = [sys.executable, __file__, "--child", "--api", self.api.url, "--db", self.db_url]
        args += ["--schema", self.schema, "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *args, stdout=out, stderr=out, cwd=str(ROOT)
            )

    async def role(self, http: aiohttp.ClientSession) -> str | None:
        try:
            async with http.get(f"{self.url}/healthz") as response:
                return str((await response.json())["role"])
        except (aiohttp.ClientError, OSError, KeyError, ValueError):
            return None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The database: bench/activity_throughput.py's users, and a province of recipients.
async def prepare(
    db_url: str, schema: str, users: int, recipients: int
) -> tuple[list[int], list[int]]:
    ids = await prepare_users(db_url, schema, users)
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine).begin() as session:
        await session.execute(update(ReminderRule).values(active=False))
        province = await session.scalar(
            select(Unit).where(Unit.level == UnitLevel.PROVINCE, Unit.name.contains("Quảng Ngãi"))
        )
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
        reach = [FIRST_RECIPIENT + n for n in range(recipients)]
        rows = [
            {
                "telegram_id": telegram_id,
                "display_name": f"CTV {n}",
                "language": "vi",
                "role": Role.COLLABORATOR,
                "unit_id": communes[n % len(communes)],
                "status": UserStatus.ACTIVE,
                "bot_blocked": False,
            }
            for n, telegram_id in enumerate(reach)
        ]
        await session.execute(insert(User), rows)
    await engine.dispose()
    return ids, reach


async def held_by(db_url: str, schema: str, pid: int) -> int:
    """Outbox entries the process ``pid`` had claimed and not marked."""
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine)() as session:
        found = await session.scalar(
            select(func.count(OutboxEntry.id)).where(
                OutboxEntry.status == OutboxStatus.SENDING,
                OutboxEntry.claimed_by.like(f"%:{pid}:%"),
            )
        )
    await engine.dispose()
    return int(found or 0)


async def activities_by_user(db_url: str, schema: str) -> tuple[set[int], dict[int, int]]:
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine)() as session:
        ids = set(await session.scalars(select(Activity.id).where(Activity.deleted.is_(False))))
        per_user = dict(
            (
                await session.execute(
                    select(User.telegram_id, func.count(Activity.id))
                    .join(User, User.id == Activity.reporter_id)
                    .group_by(User.telegram_id)
                )
            ).all()
        )
    await engine.dispose()
    return ids, {int(k): int(v) for k, v in per_user.items()}


async def claimers(db_url: str, schema: str) -> dict[int, str]:
    """Who sent each broadcast entry (its last claim)."""
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine)() as session:
        rows = (
            await session.execute(
                select(OutboxEntry.chat_id, OutboxEntry.claimed_by).where(
                    OutboxEntry.kind == "broadcast"
                )
            )
        ).all()
    await engine.dispose()
    return {int(chat): str(by or "") for chat, by in rows}


async def outbox_open(db_url: str, schema: str) -> int:
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine)() as session:
        found = await session.scalar(
            select(func.count(OutboxEntry.id)).where(
                OutboxEntry.kind == "broadcast",
                OutboxEntry.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            )
        )
    await engine.dispose()
    return int(found or 0)


# The coordinator.
async def say(api: LocalBotApi, words: str) -> None:
    before = api.bot_message_count(COORDINATOR)
    await api.send_text(COORDINATOR, words)
    await api.wait_for_bot_message(COORDINATOR, before, timeout=60)


def has_button(api: LocalBotApi, label: str) -> bool:
    for message in reversed(api.bot_messages(COORDINATOR)):
        if message.reply_markup:
            return any(b.get("text") == label for row in message.reply_markup for b in row)
    return False


async def press(api: LocalBotApi, label: str) -> None:
    before = api.bot_message_count(COORDINATOR)
    await api.wait_until(lambda: has_button(api, label), timeout=60)
    await api.press_button(COORDINATOR, label=label)
    await api.wait_for_bot_message(COORDINATOR, before, timeout=60)


class Count:
    def __init__(self, recipients: list[int], forged: list[int], driver: Driver) -> None:
        self.recipients = set(recipients)
        self.forged = set(forged)
        self.driver = driver
        self.copies: dict[int, int] = {}
        self.times: dict[int, list[float]] = {}
        self.first_at: float | None = None
        self.last_at = 0.0
        self.killed_at: float | None = None
        self.back_at: float | None = None
        self.forged_answers = 0
        self.coordinator_at: list[float] = []  # alerts and progress edits: the same budget

    def hook(self, message: SentMessage) -> None:
        if message.chat_id in self.forged and message.from_bot:
            self.forged_answers += 1
        if message.chat_id == COORDINATOR and message.from_bot:
            self.coordinator_at.append(time.monotonic())
        if message.chat_id in self.recipients and (message.text or "").startswith(HEADER):
            now = time.monotonic()
            self.copies[message.chat_id] = self.copies.get(message.chat_id, 0) + 1
            self.times.setdefault(message.chat_id, []).append(now)
            self.first_at = self.first_at or now
            self.last_at = now
            if self.killed_at is not None and self.back_at is None:
                self.back_at = now
        self.driver.hook(message)


def timeline(count: Count, first: float) -> str:
    """Broadcast deliveries (and, after a slash, coordinator messages) in
    each second from the first delivery; ``|`` marks the kill."""
    cells: list[str] = []
    end = int(count.last_at - first) + 1
    every = [t for times in count.times.values() for t in times]
    for second in range(end):
        lo, hi = first + second, first + second + 1
        sent = sum(lo <= t < hi for t in every)
        shared = sum(lo <= t < hi for t in count.coordinator_at)
        mark = "|" if count.killed_at is not None and lo <= count.killed_at < hi else ""
        cells.append(f"{mark}{sent}" + (f"/{shared}" if shared else ""))
    return " ".join(cells)


async def user_session(driver: Driver, user: int, think: float, errors: list[int]) -> None:
    await asyncio.sleep(random.uniform(0, think * 4))
    try:
        await driver.log_activity(user, _pause(think))
    except Exception as exc:
        last = [
            (
                m.message_id,
                m.from_bot,
                m.text,
                m.edited_count,
                m.deleted,
                [b.get("callback_data") for b in m.buttons()],
            )
            for m in driver.api.messages(user, include_deleted=True)
        ][-5:]
        print(f"user {user}: {type(exc).__name__}: {exc}; chat ends with {last}", flush=True)
        errors.append(user)


def newest_keyboard(api: LocalBotApi, chat: int) -> SentMessage | None:
    for message in reversed(api.bot_messages(chat)):
        if message.reply_markup:
            return message
    return None


def has_label(api: LocalBotApi, chat: int, label: str) -> bool:
    message = newest_keyboard(api, chat)
    return message is not None and any(
        b.get("text") == label for row in message.reply_markup or [] for b in row
    )


def saying(api: LocalBotApi, chat: int, fragment: str) -> int:
    """How many of the bot's messages in the chat (deleted ones too) say it,
    as they read now (an answer may be an edit)."""
    return sum(fragment in (m.text or "") for m in api.bot_messages(chat, include_deleted=True))


async def report(api: LocalBotApi, user: int, think: Any) -> str:
    """bench/crash_points.py's /report in discreet mode, to the receipt's code."""
    api.add_user(user, first_name=f"Reporter {user}", language_code="en")

    async def step(act: Any, done: Any) -> None:
        before = done(None)
        await act()
        await api.wait_until(lambda: done(before), 60)
        await think()

    def say(words: str) -> Any:
        return lambda: api.send_text(user, words)

    def tap(label: str) -> Any:
        return lambda: api.press_button(user, label=label)

    def button(label: str) -> Any:
        return lambda before: before is not None and has_label(api, user, label)

    def shown(fragment: str) -> Any:
        def check(before: int | None) -> Any:
            now = saying(api, user, fragment)
            return now if before is None else now > before

        return check

    await step(say("/report"), button("No"))
    await step(tap("No"), button("Domestic violence"))
    await step(tap("Domestic violence"), button("Woman"))
    await step(tap("Woman"), button("✅ Woman"))
    await step(tap("Done ➜"), shown("Where did it happen"))
    await step(say("tra bong"), button("Xã Trà Bồng — Quảng Ngãi"))
    await step(tap("Xã Trà Bồng — Quảng Ngãi"), button("Today"))
    await step(tap("Today"), shown("What can you tell us"))
    await step(say(f"bench {user}: he hit her again"), shown("Received"))
    await step(tap("Done ➜"), button("🙈 Stay anonymous"))
    await step(tap("🙈 Stay anonymous"), button("✅ Send the report"))
    await api.press_button(user, label="✅ Send the report")
    # The receipt names the report's code ("Your code: BD-…").
    await api.wait_until(lambda: saying(api, user, "BD-") > 0, 60)
    receipt = next(
        m.text or ""
        for m in api.bot_messages(user, include_deleted=True)
        if "BD-" in (m.text or "")
    )
    found = CODE.search(receipt)
    if found is None:
        raise RuntimeError(f"no code in the receipt {receipt!r}")
    return found[1]


async def reporter_session(
    api: LocalBotApi, user: int, think: float, codes: list[str], errors: list[int]
) -> None:
    await asyncio.sleep(random.uniform(0, think * 4))
    try:
        codes.append(await report(api, user, _pause(think)))
    except Exception as exc:
        last = [m.text for m in api.messages(user, include_deleted=True)][-3:]
        print(f"reporter {user}: {type(exc).__name__}: {exc}; chat ends with {last}", flush=True)
        errors.append(user)


async def incident_codes(db_url: str, schema: str) -> list[str]:
    engine = _engine(db_url, schema)
    async with make_sessionmaker(engine)() as session:
        codes = list(await session.scalars(select(Incident.code)))
    await engine.dispose()
    return [str(c) for c in codes]


async def forge(children: list[Child], count: int, forged: list[int]) -> int:
    """``count`` requests without the secret; returns how many got a 2xx."""
    accepted = 0
    async with aiohttp.ClientSession() as http:
        for n in range(count):
            user = forged[n % len(forged)]
            body = {
                "update_id": 800_000_000 + n,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": user, "type": "private", "first_name": "X"},
                    "from": {"id": user, "is_bot": False, "first_name": "X"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
            headers = {} if n % 2 else {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "x"}
            child = children[n % len(children)]
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.post(
                    f"{child.url}/telegram", json=body, headers=headers
                ) as response:
                    accepted += 200 <= response.status < 300
    return accepted


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory(prefix="binhdang-instances-")
    db_url, schema = args.db, f"bench_inst_{os.getpid()}"
    print(f"database: {db_url.split('@')[-1]}; instances {args.instances}; users {args.users}")
    users, recipients = await prepare(db_url, schema, args.users, args.recipients)
    forged = [FORGED_FIRST + n for n in range(5)]
    driver: Driver
    count: Count
    api = LocalBotApi(on_bot_message=lambda m: count.hook(m), member_updates=False)
    driver = Driver(api)
    driver.record = False
    count = Count(recipients, forged, driver)
    await api.start()
    api.add_user(COORDINATOR, first_name="Điều phối", language_code="en")
    for telegram_id in [*users, *recipients, *forged]:
        api.add_user(telegram_id, first_name="Người dùng", language_code="vi")
    children = [
        Child(api, db_url, schema, free_port(), Path(tmp.name) / f"bot{n}.log")
        for n in range(args.instances)
    ]
    api.webhook.backends = [f"{c.url}/telegram" for c in children]
    errors: list[int] = []
    codes: list[str] = []
    loggers: list[int] = []
    reporters: list[int] = []
    ambiguous = 0
    killed_pid = -1
    forged_accepted = 0
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession() as http:
            for child in children:
                await child.start()
            await api.wait_until(lambda: api.world.webhook is not None, 60)
            deadline = time.monotonic() + 60
            while not any([await c.role(http) == "leader" for c in children]):
                if time.monotonic() > deadline:
                    raise RuntimeError("no leader after 60 s")
                await asyncio.sleep(0.2)

            await say(api, "/broadcast")
            await say(api, TEXT)
            await press(api, "➡ Continue")
            await press(api, "📤 Now")
            await api.wait_until(lambda: has_button(api, "📢 Send now"), timeout=60)
            await api.press_button(COORDINATOR, label="📢 Send now")
            started = time.monotonic()
            loggers = [u for n, u in enumerate(users) if n % REPORT_EVERY]
            reporters = [FIRST_REPORTER + n for n, _ in enumerate(users) if n % REPORT_EVERY == 0]
            sessions = [
                asyncio.create_task(user_session(driver, u, args.think, errors)) for u in loggers
            ] + [
                asyncio.create_task(reporter_session(api, u, args.think, codes, errors))
                for u in reporters
            ]
            forged_accepted = await forge(children, 20, forged)

            kill_at = int(args.kill_at * len(recipients))
            await api.wait_until(lambda: len(count.copies) >= kill_at, args.timeout)
            roles = [await c.role(http) for c in children]
            leader = children[roles.index("leader")]
            killed_pid = leader.pid
            leader.kill()
            count.killed_at = time.monotonic()
            await leader.process.wait()  # type: ignore[union-attr]
            ambiguous = await held_by(db_url, schema, leader.pid)
            print(
                f"killed the leader (pid {leader.pid}) at {len(count.copies)} delivered; "
                f"it held {ambiguous} outbox entries",
                flush=True,
            )
            await asyncio.sleep(5.0)
            await leader.start()

            await asyncio.gather(*sessions)
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                if len(count.copies) >= len(recipients) and await outbox_open(db_url, schema) == 0:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(2.0)  # a late second copy would show now
        activities, per_user = await activities_by_user(db_url, schema)
        claimed = await claimers(db_url, schema)
        stored = await incident_codes(db_url, schema)
    finally:
        for child in children:
            await child.stop()
        await api.stop()
        await drop_schema(db_url, schema)
    logs = "\n".join(c.log.read_text(errors="replace") for c in children)
    if os.environ.get("BENCH_KEEP_LOGS"):  # a folder to copy the processes' logs to
        shutil.copytree(tmp.name, os.environ["BENCH_KEEP_LOGS"], dirs_exist_ok=True)
    if os.environ.get("BENCH_DEBUG"):
        print(logs[-5000:])
    refused = logs.count("webhook: refused")
    print(
        f"webhook: {api.webhook.stats.delivered} updates delivered, "
        f"{api.webhook.stats.failed_attempts} attempts not answered 2xx; "
        f"{refused} forged requests refused; by process: {api.webhook.stats.by_url}",
        flush=True,
    )
    first = count.first_at or started
    seconds = max(count.last_at - first, 1e-9)
    delivered = len(count.copies)
    shared = sum(first <= t <= count.last_at for t in count.coordinator_at)
    lost = len(driver.confirmed - activities) + len(set(codes) - set(stored))
    # A report is anonymous: one stored beyond the receipts given is a duplicate.
    duplicates = sum(n - 1 for n in per_user.values() if n > 1)
    duplicates += max(0, len(stored) - len(set(codes)))
    # From the kill to the first message the standby sent (by the claim of
    # its entry): a request the dead leader wrote just before it died and
    # that arrived after does not count.
    killed = f":{killed_pid}:"
    standby = [
        t
        for chat, times in count.times.items()
        if killed not in claimed.get(chat, killed)
        for t in times
        if count.killed_at is not None and t > count.killed_at
    ]
    failover = min(standby) - count.killed_at if standby and count.killed_at else float("nan")
    print(f"per second: {timeline(count, first)}", flush=True)
    return {
        "instances": args.instances,
        "users": len(users),
        "activities_expected": len(loggers),
        "activities": len(activities),
        "reports_expected": len(reporters),
        "reports": len(stored),
        "lost": lost,
        "duplicates": duplicates,
        "conversation_errors": len(errors),
        "broadcast_delivered": delivered,
        "broadcast_duplicates": sum(n - 1 for n in count.copies.values()),
        "broadcast_lost": len(recipients) - delivered,
        "ambiguous": ambiguous,
        "failover_s": round(failover, 2),
        "broadcast_ratio": round(delivered / seconds / LIMIT_PER_S, 4),
        # The whole outbox budget in the same time: the broadcast, and the
        # alerts and progress edits sent to the coordinator meanwhile.
        "budget_ratio": round((delivered + shared) / seconds / LIMIT_PER_S, 4),
        "budget_shared": shared,
        "forged_accepted": forged_accepted + count.forged_answers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between steps, s")
    parser.add_argument("--db", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(serve(args.api, args.db, args.schema, args.port))
        return
    if args.db.startswith("sqlite"):
        parser.error("several processes need PostgreSQL (--db postgresql+asyncpg://...)")
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()

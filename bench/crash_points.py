"""Benchmark: ``kill -9`` at random moments of the conversations that matter,
and what survives.

One bot process (``binhdang run``, a child process) talks to a local Bot API
run here, over HTTP on loopback. Simulated users walk, one flow at a time:
registration (/start to "Your request has been sent"), a guided /log (to
the reference), /report in discreet mode (to the receipt, or /exit), and the
approval of a registration request by the commune coordinator. In each flow
the bot is killed with SIGKILL at a random moment (after a random step,
0–80 ms after the user acted: before, during or after the bot's work on it)
and started again; the user then does what a person would: waits for the
answer, and if none comes, repeats the last action.

    .venv/bin/python bench/crash_points.py [--points 60] [--db URL] [--seed 1]

The last line printed is one JSON object:

- ``points``: kills;
- ``acknowledged_lost``: something the user was told was received that is
  not there afterwards (the flow broke at a later step, or the record lacks
  what was acknowledged);
- ``duplicated``: a registration request, a report or an activity stored
  twice for one flow;
- ``discreet_traces``: messages of a finished or left discreet report
  still visible in the reporter's chat (the neutral receipt and "Nothing was
  saved" are kept on purpose);
- ``approvals_unnotified``: approved requests whose applicant never got the
  answer; ``notice_copies``: extra copies of a request sent to the coordinator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.localapi import LocalBotApi, SentMessage  # noqa: E402
from storage import units  # noqa: E402
from storage.db import is_sqlite, make_engine, make_sessionmaker  # noqa: E402
from storage.incidents.crypto import Cipher  # noqa: E402
from storage.models import (  # noqa: E402
    Activity,
    Incident,
    RegistrationRequest,
    RequestStatus,
    Role,
    UnitLevel,
    User,
    UserStatus,
)

TOKEN = "123456:bench-crash"
SECRET = "bench-crash-points-secret-key"
ADMIN = 1
COORDINATOR = 10
FIRST_USER = 200_000
ANSWER_S = 20.0  # an answer slower than this counts as lost
RETRY_AFTER_S = 6.0  # after a restart, the user repeats an action left unanswered
REFERENCE = re.compile(r"HD-(\d+)")
TOKEN_RE = re.compile(r"flow-(\d+)")


class Broken(Exception):
    """The bot did not answer an acknowledged step as it should."""


# The bot.
class Bot:
    def __init__(self, api: LocalBotApi, db_url: str, log: Path) -> None:
        self.api, self.db_url, self.log = api, db_url, log
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0

    async def start(self) -> None:
        env = {
            **os.environ,
            "BINHDANG_BOT_TOKEN": TOKEN,
            "BINHDANG_DATABASE_URL": self.db_url,
            "BINHDANG_API_BASE_URL": self.api.url,
            "BINHDANG_SECRET_KEY": SECRET,
            "BINHDANG_ADMIN_IDS": str(ADMIN),
            "BINHDANG_LOG_LEVEL": "WARNING",
            "BINHDANG_LISTEN": "127.0.0.1:0",  # the HTTP server, where there is one
        }
        polls = sum(1 for r in self.api.log if r.method.lower() == "getupdates")
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                # ``binhdang run``, from this tree
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                stdout=out,
                stderr=out,
                env=env,
                cwd=str(ROOT),
            )
        self.started += 1
        # Up once it asks for updates.
        await self.api.wait_until(
            lambda: sum(1 for r in self.api.log if r.method.lower() == "getupdates") > polls,
            timeout=120,
        )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                await self.kill()


# The users.
def keyboard(api: LocalBotApi, chat: int) -> SentMessage | None:
    for message in reversed(api.world.chats.get(chat, [])):
        if message.from_bot and not message.deleted and message.reply_markup:
            return message
    return None


Expect = Callable[[int], bool]  # given the chat's length before the action


@dataclass
class Step:
    """One action of a user, and what the bot's answer must make possible."""

    name: str
    act: Callable[[], Awaitable[Any]]
    chat: int
    expect: Expect


def norm(value: str) -> str:
    return unicodedata.normalize("NFC", value)


@dataclass
class Tally:
    points: int = 0
    acknowledged_lost: int = 0
    duplicated: int = 0
    discreet_traces: int = 0
    approvals_unnotified: int = 0
    notice_copies: int = 0
    flows: dict[str, int] = field(default_factory=dict)
    retried: int = 0
    notes: list[str] = field(default_factory=list)


class Run:
    def __init__(self, api: LocalBotApi, bot: Bot, rng: random.Random, tally: Tally) -> None:
        self.api, self.bot, self.rng, self.tally = api, bot, rng, tally
        self.pressed: dict[int, int] = {}  # chat -> the message whose button was pressed last

    async def answered(self, step: Step, before: int, limit: float) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if step.expect(before):
                return True
            await asyncio.sleep(0.01)
        return False

    def length(self, chat: int) -> int:
        return len(self.api.world.chats.get(chat, []))

    async def walk(self, flow: str, steps: list[Step]) -> None:
        """Run the steps; kill the bot once, at a random step."""
        kill_at = self.rng.randrange(len(steps))
        for index, step in enumerate(steps):
            before = self.length(step.chat)
            await step.act()
            if index != kill_at:
                if not await self.answered(step, before, ANSWER_S):
                    raise Broken(f"{flow}: no answer to {step.name}")
                continue
            await asyncio.sleep(self.rng.uniform(0, 0.08))
            seen = step.expect(before)
            await self.bot.kill()
            self.tally.points += 1
            await self.bot.start()
            if seen or await self.answered(step, before, RETRY_AFTER_S):
                continue
            # Not answered before the kill, and not after it: the user acts again.
            self.tally.retried += 1
            before = self.length(step.chat)
            gone = ""
            try:
                await step.act()
            except Broken as exc:
                # Nothing left to press: the first press took the buttons off
                # before the kill (an approval's notice). A person waits for
                # the answer then; it must still come.
                gone = f" ({exc})"
            if not await self.answered(step, before, ANSWER_S):
                raise Broken(f"{flow}: no answer to {step.name} after a retry{gone}")

    # Actions.
    def say(self, user: int, words: str) -> Callable[[], Awaitable[Any]]:
        async def act() -> None:
            await self.api.send_text(user, words)

        return act

    def press(self, user: int, wanted: Callable[[str, str], bool]) -> Callable[[], Awaitable[Any]]:
        """Press the first button of the newest keyboard whose (label, data) fits."""

        async def act() -> None:
            message = keyboard(self.api, user)
            if message is None:
                raise Broken(f"no keyboard in chat {user}")
            for button in message.buttons():
                data = str(button.get("callback_data", ""))
                if data and wanted(str(button.get("text", "")), data):
                    self.pressed[user] = message.message_id
                    await self.api.press(user, message.message_id, data)
                    return
            labels = [b.get("text") for b in message.buttons()]
            raise Broken(f"no such button in chat {user}: {labels}")

        return act

    def label(self, user: int, text: str) -> Callable[[], Awaitable[Any]]:
        return self.press(user, lambda label, _data: norm(label) == norm(text))

    def data(self, user: int, test: Callable[[str], bool]) -> Callable[[], Awaitable[Any]]:
        return self.press(user, lambda _label, data: test(data))

    # What an answer must make possible.
    def button(self, chat: int, wanted: Callable[[str, str], bool]) -> Expect:
        """The newest keyboard, or the one just pressed, has a button whose
        (label, data) fits. The pressed one counts: after a crash the bot
        may ask the same question twice (the update runs again), the user
        may press the first copy, and the bot answers by editing that one
        (a multiple choice's ✅)."""

        def fits(message: SentMessage | None) -> bool:
            return message is not None and any(
                wanted(norm(str(b.get("text", ""))), str(b.get("callback_data", "")))
                for b in message.buttons()
            )

        def ready(_before: int) -> bool:
            pressed = self.pressed.get(chat)
            same = [
                m
                for m in self.api.world.chats.get(chat, [])
                if m.message_id == pressed and m.from_bot and not m.deleted
            ]
            return fits(keyboard(self.api, chat)) or any(fits(m) for m in same)

        return ready

    def labelled(self, chat: int, text: str) -> Expect:
        return self.button(chat, lambda label, _data: label == norm(text))

    def data_fits(self, chat: int, test: Callable[[str], bool]) -> Expect:
        return self.button(chat, lambda _label, data: test(data))

    def shown(self, chat: int, fragment: str) -> Expect:
        """A bot message in the chat, not deleted, says ``fragment``."""
        return lambda _before: any(
            m.from_bot and not m.deleted and fragment in (m.text or "")
            for m in self.api.world.chats.get(chat, [])
        )

    def new(self, chat: int, fragment: str = "") -> Expect:
        """A bot message since the action (saying ``fragment``)."""
        return lambda before: any(
            m.from_bot and fragment in (m.text or "")
            for m in self.api.world.chats.get(chat, [])[before:]
        )


# The flows.
async def registration(run: Run, user: int) -> None:
    run.api.add_user(user, first_name=f"Applicant {user}", language_code="en")
    s, lab, b = run.say, run.label, run.labelled
    steps = [
        Step("/start", s(user, "/start"), user, b(user, "English")),
        Step("language", lab(user, "English"), user, b(user, "Village collaborator")),
        Step("role", lab(user, "Village collaborator"), user, run.new(user, "province")),
        # The full province name typed is chosen at once (no list of one to press).
        Step("province typed", s(user, "quang ngai"), user, run.new(user, "commune")),
        Step("commune typed", s(user, "tra bong"), user, b(user, "Xã Trà Bồng")),
        Step("commune", lab(user, "Xã Trà Bồng"), user, b(user, "Thôn Bench")),
        Step("village", lab(user, "Thôn Bench"), user, b(user, "✅ Send request")),
        Step("send", lab(user, "✅ Send request"), user, run.shown(user, "has been sent")),
    ]
    await run.walk("registration", steps)


async def approval(run: Run, request_id: int, public_id: str) -> None:
    data = f"ap:{public_id}:y"

    async def act() -> None:
        for message in reversed(run.api.world.chats.get(COORDINATOR, [])):
            if any(b.get("callback_data") == data for b in message.buttons()):
                await run.api.press(COORDINATOR, message.message_id, data)
                return
        raise Broken(f"no notice for request {request_id}")

    await run.walk(
        "approval", [Step("approve", act, COORDINATOR, run.new(COORDINATOR, "Approved by"))]
    )


async def log_activity(run: Run, user: int, total: int, women: int) -> None:
    s, d, fits = run.say, run.data, run.data_fits
    ethnic = lambda x: x.startswith("ln:ethnic_minority:") and x != "ln:ethnic_minority:0"  # noqa: E731
    steps = [
        Step("/log", s(user, "/log"), user, fits(user, lambda x: x == "lk:tt")),
        Step("kind", d(user, lambda x: x == "lk:tt"), user, fits(user, lambda x: x == "ld:today")),
        Step(
            "date",
            d(user, lambda x: x == "ld:today"),
            user,
            fits(user, lambda x: x.startswith("lp:")),
        ),
        Step(
            "place",
            d(user, lambda x: x.startswith("lp:")),
            user,
            run.shown(user, "How many people"),
        ),
        Step("total", s(user, str(total)), user, run.shown(user, "How many of them were women")),
        Step("women", s(user, str(women)), user, run.shown(user, "How many men")),
        Step("men", s(user, str(total - women)), user, fits(user, ethnic)),
        Step("ethnic", d(user, ethnic), user, fits(user, lambda x: x == "lt:bdg")),
        Step(
            "topic",
            d(user, lambda x: x == "lt:bdg"),
            user,
            run.button(user, lambda label, _d: "✓" in label),
        ),
        Step(
            "topics done",
            d(user, lambda x: x == "lt:done"),
            user,
            fits(user, lambda x: x == "ll:vi"),
        ),
        Step(
            "language", d(user, lambda x: x == "ll:vi"), user, fits(user, lambda x: x == "lo:done")
        ),
        Step(
            "optional",
            d(user, lambda x: x == "lo:done"),
            user,
            fits(user, lambda x: x.startswith("ls:ok:")),
        ),
        Step("confirm", d(user, lambda x: x.startswith("ls:ok:")), user, run.shown(user, "HD-")),
    ]
    await run.walk("log", steps)


async def report(run: Run, user: int, flow: int, leave_at: int | None) -> None:
    run.api.add_user(user, first_name=f"Reporter {user}", language_code="en")
    s, lab, b = run.say, run.label, run.labelled
    steps = [
        Step("/report", s(user, "/report"), user, b(user, "No")),
        Step("danger", lab(user, "No"), user, b(user, "Domestic violence")),
        Step("kind", lab(user, "Domestic violence"), user, b(user, "Woman")),
        Step("affected", lab(user, "Woman"), user, b(user, "✅ Woman")),
        Step("affected done", lab(user, "Done ➜"), user, run.shown(user, "Where did it happen")),
        Step("place typed", s(user, "tra bong"), user, b(user, "Xã Trà Bồng — Quảng Ngãi")),
        Step("place", lab(user, "Xã Trà Bồng — Quảng Ngãi"), user, b(user, "Today")),
        Step("when", lab(user, "Today"), user, run.shown(user, "What can you tell us")),
        Step(
            "details", s(user, f"flow-{flow}: he hit her again"), user, run.shown(user, "Received")
        ),
        Step("details done", lab(user, "Done ➜"), user, b(user, "🙈 Stay anonymous")),
        Step("contact", lab(user, "🙈 Stay anonymous"), user, b(user, "✅ Send the report")),
        Step("send", lab(user, "✅ Send the report"), user, run.shown(user, "Your code: ")),
    ]
    if leave_at is not None:
        steps = steps[:leave_at]
        steps.append(Step("/exit", s(user, "/exit"), user, run.shown(user, "Nothing was saved")))
    await run.walk("report", steps)


# Setting up and checking.
async def prepare(db_url: str) -> tuple[int, int]:
    """The official tree, the village "Thôn Bench" in Xã Trà Bồng, its commune
    coordinator, an administrator. Returns the commune's and village's ids."""
    from bot.app import prepare_database
    from bot.services import Services
    from bot.settings import Settings

    engine = make_engine(db_url)
    settings = Settings(_env_file=None, database_url=db_url, admin_ids=[ADMIN])  # type: ignore[call-arg]
    services = Services(settings, engine, make_sessionmaker(engine))
    await prepare_database(services)
    async with services.sessions.begin() as session:
        hits = await units.search(session, "Xã Trà Bồng", level=UnitLevel.COMMUNE)
        commune = next(h for h in hits if h.name == "Xã Trà Bồng")
        unit = await units.get_unit(session, commune.id)
        assert unit is not None
        village = await units.add_village(session, unit, "Thôn Bench")
        session.add(
            User(
                telegram_id=COORDINATOR,
                display_name="Hoa",
                language="en",
                role=Role.COMMUNE_COORDINATOR,
                unit_id=unit.id,
                status=UserStatus.ACTIVE,
                bot_blocked=False,
            )
        )
        ids = (unit.id, village.id)
    await engine.dispose()
    return ids


async def add_collaborator(engine: AsyncEngine, telegram_id: int, village_id: int) -> None:
    async with make_sessionmaker(engine).begin() as session:
        session.add(
            User(
                telegram_id=telegram_id,
                display_name=f"CTV {telegram_id}",
                language="en",
                role=Role.COLLABORATOR,
                unit_id=village_id,
                status=UserStatus.ACTIVE,
                bot_blocked=False,
            )
        )


async def check(
    engine: AsyncEngine,
    api: LocalBotApi,
    tally: Tally,
    registrations: dict[int, bool],
    approvals: dict[int, int],
    logs: dict[int, tuple[int, int, bool]],
    reports: dict[int, tuple[int, bool, bool]],
) -> None:
    cipher = Cipher(SECRET)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        for user, acknowledged in registrations.items():
            found = list(
                await session.scalars(
                    select(RegistrationRequest)
                    .join(User, User.id == RegistrationRequest.user_id)
                    .where(User.telegram_id == user)
                )
            )
            if len(found) > 1:
                tally.duplicated += len(found) - 1
                tally.notes.append(f"registration {user}: {len(found)} requests")
            if acknowledged and not found:
                tally.acknowledged_lost += 1
                tally.notes.append(f"registration {user}: sent, but no request")
            for request in found:
                copies = sum(
                    1
                    for m in api.bot_messages(COORDINATOR)
                    if any(
                        b.get("callback_data") == f"ap:{request.public_id}:y" for b in m.buttons()
                    )
                )
                tally.notice_copies += max(0, copies - 1)
        for request_id, applicant in approvals.items():
            request = await session.get(RegistrationRequest, request_id)
            if request is None or request.status is not RequestStatus.APPROVED:
                tally.acknowledged_lost += 1
                tally.notes.append(f"approval {request_id}: told approved, not approved")
            if not any("approved" in (m.text or "") for m in api.bot_messages(applicant)):
                tally.approvals_unnotified += 1
        for user, (total, women, acknowledged) in logs.items():
            found = list(
                await session.scalars(
                    select(Activity)
                    .join(User, User.id == Activity.reporter_id)
                    .where(User.telegram_id == user)
                )
            )
            if len(found) > 1:
                tally.duplicated += len(found) - 1
                tally.notes.append(f"log {user}: {len(found)} activities")
            if acknowledged and not found:
                tally.acknowledged_lost += 1
                tally.notes.append(f"log {user}: confirmed, not stored")
            for activity in found:
                if (activity.total, activity.women) != (total, women):
                    tally.acknowledged_lost += 1
                    tally.notes.append(
                        f"log {user}: stored {activity.total}/{activity.women}, entered {total}/{women}"
                    )
        by_flow: dict[int, int] = {}
        for incident in await session.scalars(select(Incident)):
            if incident.description_enc is None:
                continue
            found = TOKEN_RE.search(
                cipher.decrypt("incident.description", incident.description_enc)
            )
            if found:
                by_flow[int(found[1])] = by_flow.get(int(found[1]), 0) + 1
        for user, (flow, sent, acknowledged) in reports.items():
            stored = by_flow.get(flow, 0)
            if stored > 1:
                tally.duplicated += stored - 1
                tally.notes.append(f"report flow {flow}: {stored} incidents")
            if acknowledged and sent and stored == 0:
                tally.acknowledged_lost += 1
                tally.notes.append(f"report flow {flow}: receipt, no incident")
            if not sent and stored:
                tally.duplicated += stored
                tally.notes.append(f"report flow {flow}: left, yet stored")
            kept = ("Your code: ", "Nothing was saved")
            traces = [
                m
                for m in api.messages(user)
                if not (m.from_bot and any(k in (m.text or "") for k in kept))
            ]
            if traces:
                tally.discreet_traces += len(traces)
                tally.notes.append(
                    f"report flow {flow}: left in the chat: {[(m.text or m.kind)[:30] for m in traces]}"
                )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory(prefix="binhdang-crash-")
    db_url, admin_url, database = args.db, None, None
    if db_url is None:
        db_url = f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    elif not is_sqlite(db_url):
        database = f"bench_crash_{os.getpid()}"
        admin_url = db_url
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{database}"'))
        await admin.dispose()
        db_url = db_url.rsplit("/", 1)[0] + "/" + database
    print(f"database: {db_url.split('@')[-1]}; points: {args.points}", flush=True)
    _commune_id, village_id = await prepare(db_url)
    engine = make_engine(db_url)
    rng = random.Random(args.seed)
    tally = Tally()
    api = LocalBotApi()
    await api.start()
    api.add_user(ADMIN, first_name="Admin", language_code="en")
    api.add_user(COORDINATOR, first_name="Hoa", language_code="en")
    log = Path(tmp.name) / "bot.log"
    bot = Bot(api, db_url, log)
    registrations: dict[int, bool] = {}
    approvals: dict[int, int] = {}
    logs: dict[int, tuple[int, int, bool]] = {}
    reports: dict[int, tuple[int, bool, bool]] = {}
    pending: list[int] = []  # applicants whose request may be approved
    started = time.monotonic()
    try:
        await bot.start()
        flow = 0
        while tally.points < args.points:
            flow += 1
            user = FIRST_USER + flow
            kind = ["registration", "log", "report", "approval"][flow % 4]
            if kind == "approval" and not pending:
                kind = "registration"
            tally.flows[kind] = tally.flows.get(kind, 0) + 1
            try:
                if kind == "registration":
                    registrations[user] = False
                    await registration(Run(api, bot, rng, tally), user)
                    registrations[user] = True
                    pending.append(user)
                elif kind == "approval":
                    applicant = pending.pop(0)
                    async with make_sessionmaker(engine)() as session:
                        request_id = await session.scalar(
                            select(func.max(RegistrationRequest.id))
                            .join(User, User.id == RegistrationRequest.user_id)
                            .where(User.telegram_id == applicant)
                        )
                        assert request_id is not None
                        request = await session.get(RegistrationRequest, request_id)
                        assert request is not None
                        public_id = request.public_id
                    await approval(Run(api, bot, rng, tally), request_id, public_id)
                    approvals[request_id] = applicant
                elif kind == "log":
                    await add_collaborator(engine, user, village_id)
                    api.add_user(user, first_name=f"CTV {user}", language_code="en")
                    total = rng.randint(10, 80)
                    women = rng.randint(0, total)
                    logs[user] = (total, women, False)
                    await log_activity(Run(api, bot, rng, tally), user, total, women)
                    logs[user] = (total, women, True)
                else:
                    leave_at = rng.randrange(1, 11) if rng.random() < 0.3 else None
                    reports[user] = (flow, leave_at is None, False)
                    await report(Run(api, bot, rng, tally), user, flow, leave_at)
                    reports[user] = (flow, leave_at is None, True)
            except Broken as exc:
                tally.acknowledged_lost += 1
                tally.notes.append(str(exc))
                print(f"broken: {exc}", flush=True)
        await asyncio.sleep(2.0)  # let the last answers land
        await check(engine, api, tally, registrations, approvals, logs, reports)
    finally:
        await bot.stop()
        await api.stop()
        await engine.dispose()
        if database is not None and admin_url is not None:
            admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            await admin.dispose()
        if args.keep_log:
            print(log.read_text(errors="replace")[-20000:])
        tmp.cleanup()
    for note in tally.notes:
        print(f"note: {note}")
    print(
        f"{tally.points} kills over {sum(tally.flows.values())} flows {tally.flows} in "
        f"{time.monotonic() - started:.0f} s; {tally.retried} actions repeated by the user",
        flush=True,
    )
    return {
        "points": tally.points,
        "acknowledged_lost": tally.acknowledged_lost,
        "duplicated": tally.duplicated,
        "discreet_traces": tally.discreet_traces,
        "approvals_unnotified": tally.approvals_unnotified,
        "notice_copies": tally.notice_copies,
        "flows": sum(tally.flows.values()),
        "retried": tally.retried,
        "db": "sqlite" if is_sqlite(db_url) else "postgresql",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=60)
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-log", action="store_true", help="print the bot's log at the end")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

"""Several processes: the leader and its standby on one PostgreSQL, a
change seen by another process, and the refused second process on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text, update

from bot import cli
from bot.app import TrackedApplication, build_application
from bot.coordination import AlreadyRunning, ChangeFeed, SingleProcessLock
from bot.localapi import LocalBotApi
from bot.runtime import Intake, ProcessRuntime, Role
from bot.services import Services
from bot.settings import Settings
from scheduler import jobs
from storage import profiles
from storage.db import is_sqlite, make_sessionmaker
from storage.models import Role as UserRole
from storage.models import User
from storage.profiles import ProfileCache
from tests.conftest import TEST_URL, _make_test_engine
from tests.harness import TOKEN, Clock

postgres_only = pytest.mark.skipif(is_sqlite(TEST_URL), reason="needs PostgreSQL")


async def eventually(predicate, limit_s: float = 15.0) -> None:
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def process(engine, sessions, api: LocalBotApi) -> AsyncIterator[ProcessRuntime]:
    """One bot process (the HTTP server on a free port, updates fed by nobody)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=TEST_URL,
        leader_retry_s=0.1,
        outbox_journal="off",
    )
    services = Services(settings, engine, sessions, clock=Clock())
    app = build_application(
        services, token=TOKEN, base_url=api.base_url, base_file_url=api.base_file_url
    )
    assert isinstance(app, TrackedApplication)
    runtime = ProcessRuntime(services, app, intake=Intake.NONE, listen=("127.0.0.1", 0))
    async with runtime:
        yield runtime


@postgres_only
async def test_the_standby_takes_the_leaders_work_when_its_connection_drops(engine, sessions):
    async with LocalBotApi() as api, process(engine, sessions, api) as first:
        await eventually(lambda: first.role is Role.LEADER)
        async with process(engine, sessions, api) as second:
            await asyncio.sleep(0.5)  # several attempts of the standby
            assert second.role is Role.FOLLOWER
            assert jobs.of(second.application).jobs == []
            assert not jobs.sender_of(second.application).running
            assert jobs.sender_of(first.application).running
            names = {job.name for job in jobs.of(first.application).jobs}
            assert names == {job.name for job in jobs.LEADER_JOBS}

            # The leader's lock connection drops (its process died, or
            # lost the network): the lock is freed with it.
            assert first.election is not None and first.election._conn is not None
            raw = await first.election._conn.get_raw_connection()
            pid = raw.driver_connection.get_server_pid()
            async with engine.connect() as conn:
                await conn.execute(text(f"SELECT pg_terminate_backend({pid})"))

            await eventually(lambda: second.role is Role.LEADER)
            await eventually(lambda: first.role is Role.FOLLOWER)
            assert jobs.sender_of(second.application).running
            assert {job.name for job in jobs.of(second.application).jobs} == names
            await eventually(lambda: not jobs.sender_of(first.application).running)
            assert jobs.of(first.application).jobs == []
            await asyncio.sleep(0.5)  # the old leader stands by, it does not take it back
            assert (first.role, second.role) == (Role.FOLLOWER, Role.LEADER)
        # The leader stops: the standby leads again.
        await eventually(lambda: first.role is Role.LEADER)


@postgres_only
async def test_a_change_in_one_process_drops_the_profile_of_another(engine, sessions):
    async with sessions.begin() as session:
        session.add(User(telegram_id=4242, display_name="Lan", role=UserRole.COLLABORATOR))
    # Another process: its own engine, cache and change feed.
    other = _make_test_engine()
    try:
        cache = ProfileCache()
        cache.attach(other)
        feed = ChangeFeed(other, {profiles.CHANNEL: cache.apply_notice}, on_gap=cache.clear)
        listening = asyncio.create_task(feed.run())
        await asyncio.wait_for(feed.ready.wait(), 10)
        before = await cache.load(make_sessionmaker(other), 4242, "Lan", None)
        assert before.role is UserRole.COLLABORATOR
        assert cache.get(4242, "Lan", None) is not None

        async with sessions.begin() as session:  # this process approves a new role
            await session.execute(
                update(User)
                .where(User.telegram_id == 4242)
                .values(role=UserRole.COMMUNE_COORDINATOR)
            )
        await eventually(lambda: cache.get(4242, "Lan", None) is None, 5)
        after = await cache.load(make_sessionmaker(other), 4242, "Lan", None)
        assert after.role is UserRole.COMMUNE_COORDINATOR
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
    finally:
        await other.dispose()


def test_a_second_process_on_sqlite_is_refused_with_one_line(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    # The first process: another open file holding the lock (flock locks
    # belong to open files, so this stands for another process).
    running = (tmp_path / "bot.db.lock").open("a+")
    fcntl.flock(running, fcntl.LOCK_EX | fcntl.LOCK_NB)
    running.write("4242\n")
    running.flush()
    try:
        with pytest.raises(AlreadyRunning, match=r"\(pid 4242\) already runs on the SQLite"):
            SingleProcessLock(url).acquire()
        monkeypatch.setenv("BINHDANG_DATABASE_URL", url)
        monkeypatch.setenv("BINHDANG_BOT_TOKEN", TOKEN)
        monkeypatch.chdir(tmp_path)
        assert cli.main(["run"]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "another bot process" in err[0]
        assert not (tmp_path / "bot.db").exists()  # refused before opening the database
    finally:
        running.close()
    again = SingleProcessLock(url)
    again.acquire()  # free again once the first one stopped
    again.release()

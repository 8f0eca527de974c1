"""First decision wins, on a SQLite file as on PostgreSQL: two people pressing
at the same moment (two sessions, two connections, really concurrent) get
one "Saved" and one "already decided": take, close, approve or reject,
stop a broadcast, confirm a trusted address.

On the SQLite file both presses are held at a gate until both have read the
row, so the race happens every time (``SELECT … FOR UPDATE`` does nothing on
SQLite; before the conditional UPDATEs, both were told "Saved")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import translator
from storage import (
    broadcasts,
    incidents,
    migrate,
    people,
    registration,
    trusted_addresses,
    units,
)
from storage.db import is_sqlite, make_engine, make_sessionmaker
from storage.incidents import Result, actions
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    Incident,
    IncidentOutcome,
    RegistrationRequest,
    RequestStatus,
    Role,
    TrustedAddress,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.people import PeopleError, places
from storage.users import profile_of
from tests.conftest import TEST_URL
from tests.storage.helpers import tra_bong
from tests.storage.test_incidents import NOW, POLICY, cipher, report

Sessions = async_sessionmaker[AsyncSession]


async def _people(sessions: Sessions) -> dict[str, Any]:
    """A province and commune of its own, two staff, two commune coordinators,
    an applicant with a pending request, a broadcast, an address and a report."""
    async with sessions.begin() as session:
        if await session.scalar(select(func.count()).select_from(Unit)):
            commune, _ = await tra_bong(session)  # the official tree of the test database
        else:  # a bare file database: a place of its own
            province = Unit(
                code="T1",
                name="Tỉnh Thử",
                level=UnitLevel.PROVINCE,
                kind="province",
                path="/T1/",
                search_key="tinh thu",
            )
            session.add(province)
            await session.flush()
            commune = Unit(
                code="T1X1",
                name="Xã Thử",
                level=UnitLevel.COMMUNE,
                kind="commune",
                parent_id=province.id,
                path="/T1/T1X1/",
                search_key="xa thu",
            )
            session.add(commune)
            await session.flush()

        def user(telegram_id: int, role: Role | None, unit: Unit | None) -> User:
            return User(
                telegram_id=telegram_id,
                display_name=f"User {telegram_id}",
                role=role,
                unit_id=unit.id if unit else None,
                status=UserStatus.ACTIVE if role else UserStatus.VISITOR,
                bot_blocked=False,
            )

        staff = [
            user(501, Role.TRUSTED_ADDRESS_STAFF, commune),
            user(502, Role.TRUSTED_ADDRESS_STAFF, commune),
        ]
        coordinators = [
            user(510, Role.COMMUNE_COORDINATOR, commune),
            user(511, Role.COMMUNE_COORDINATOR, commune),
        ]
        applicant = user(600, None, None)
        session.add_all([*staff, *coordinators, applicant])
        await session.flush()
        request = (
            await registration.submit(session, applicant.id, Role.COLLABORATOR, commune.id)
        ).request
        broadcast = Broadcast(
            author_id=coordinators[0].id,
            unit_id=commune.id,
            places=[],
            roles=[],
            text="Họp thôn",
            first_at=NOW,
            weekdays=[],
            next_at=NOW,
            status=BroadcastStatus.ACTIVE,
        )
        session.add(broadcast)
        address = await trusted_addresses.create(
            session,
            None,
            trusted_addresses.AddressData(
                name="Nhà tạm lánh", unit_ids=[commune.id], phones=["0905 123 456"], hours="24/7"
            ),
            datetime(2026, 1, 1, tzinfo=UTC),
        )
        submitted = [
            await incidents.submit(
                session, cipher(), report(commune.id, f"k{i}"), NOW, POLICY, translator
            )
            for i in range(2)
        ]
        await session.flush()
        return {
            "staff": [await profile_of(session, u) for u in staff],
            "coordinators": [await profile_of(session, u) for u in coordinators],
            "request": request.id,
            "broadcast": broadcast.id,
            "address": address.id,
            "incidents": [s.incident_id for s in submitted],
        }


@pytest.fixture
async def file_sessions(tmp_path) -> AsyncIterator[Sessions]:
    """A SQLite database in a file: a connection per session, as in production."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'race.sqlite3'}")
    await migrate.upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def server_sessions(sessions) -> Sessions:
    if is_sqlite(TEST_URL):
        pytest.skip("the in-memory SQLite database has one connection: see the file tests")
    return sessions


def _gate(monkeypatch, module: Any, name: str) -> None:
    """Hold each caller of ``module.name`` until two have come (only where
    rows are not locked, that is on SQLite; PostgreSQL's FOR UPDATE would
    keep the second one from ever arriving)."""
    barrier = asyncio.Barrier(2)
    real = getattr(module, name)

    async def gated(*args: Any, **kwargs: Any) -> Any:
        result = await real(*args, **kwargs)
        await barrier.wait()
        return result

    monkeypatch.setattr(module, name, gated)


async def _race(
    sessions: Sessions,
    first: Callable[[AsyncSession], Awaitable[Any]],
    second: Callable[[AsyncSession], Awaitable[Any]],
) -> list[Any]:
    async def run(press: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with sessions.begin() as session:
            return await press(session)

    return list(await asyncio.gather(run(first), run(second)))


async def _count(sessions: Sessions, action: str, entity: str) -> int:
    async with sessions() as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == action, AuditEntry.entity == entity)
            )
            or 0
        )


async def _take_race(sessions: Sessions) -> None:
    world = await _people(sessions)
    a, b = world["staff"]
    incident_id = world["incidents"][0]
    results = await _race(
        sessions,
        lambda s: incidents.take(s, a, incident_id, NOW, translator, cipher()),
        lambda s: incidents.take(s, b, incident_id, NOW, translator, cipher()),
    )
    assert sorted(r.result.value for r in results) == ["ok", "taken_by_other"]
    winner = a if results[0].result is Result.OK else b
    loser = results[1] if winner is a else results[0]
    assert loser.responsible == winner.display_name
    async with sessions() as session:
        incident = await session.get(Incident, incident_id)
        assert incident.responsible_id == winner.id
    assert await _count(sessions, "take", "incident") == 1

    # Two closes with different outcomes: one wins, the other hears it is closed.
    other = world["incidents"][1]
    results = await _race(
        sessions,
        lambda s: incidents.close(
            s, a, other, IncidentOutcome.SUPPORTED, NOW, translator, cipher()
        ),
        lambda s: incidents.close(
            s, b, other, IncidentOutcome.DUPLICATE, NOW, translator, cipher()
        ),
    )
    assert sorted(r.result.value for r in results) in (
        ["closed", "ok"],
        ["ok", "taken_by_other"],  # the loser found it taken by the winner
    )
    assert await _count(sessions, "close", "incident") == 1


async def _decision_race(sessions: Sessions) -> None:
    world = await _people(sessions)
    c1, c2 = world["coordinators"]
    request_id = world["request"]
    results = await _race(
        sessions,
        lambda s: registration.decide(s, request_id, c1, True, NOW),
        lambda s: registration.decide(s, request_id, c2, False, NOW),
    )
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes in (["already_decided", "approved"], ["already_decided", "rejected"])
    winner = c1 if results[0].outcome is not registration.Outcome.ALREADY_DECIDED else c2
    async with sessions() as session:
        request = await session.get(RegistrationRequest, request_id)
        assert request.decided_by_id == winner.id
        assert request.status in (RequestStatus.APPROVED, RequestStatus.REJECTED)

    stops = await _race(
        sessions,
        lambda s: broadcasts.cancel(s, c1, world["broadcast"], NOW),
        lambda s: broadcasts.cancel(s, c2, world["broadcast"], NOW),
    )
    assert sorted(r.stopped for r in stops) == [False, True]
    assert await _count(sessions, "cancel", "broadcast") == 1

    await _race(
        sessions,
        lambda s: trusted_addresses.confirm(s, c1, world["address"], NOW),
        lambda s: trusted_addresses.confirm(s, c2, world["address"], NOW),
    )
    assert await _count(sessions, "confirm", trusted_addresses.ENTITY) == 1
    async with sessions() as session:
        assert (await session.get(TrustedAddress, world["address"])).confirmed_at == NOW


async def test_two_takes_at_the_same_moment_on_a_sqlite_file(file_sessions, monkeypatch):
    _gate(monkeypatch, actions, "may_open")
    await _take_race(file_sessions)


async def test_two_decisions_at_the_same_moment_on_a_sqlite_file(file_sessions, monkeypatch):
    _gate(monkeypatch, registration, "may_decide")
    await _decision_race_gated(file_sessions, monkeypatch)


async def _decision_race_gated(sessions: Sessions, monkeypatch) -> None:
    _gate(monkeypatch, broadcasts, "may_manage")
    _gate(monkeypatch, trusted_addresses, "may_manage")
    await _decision_race(sessions)


async def test_two_takes_at_the_same_moment_on_postgresql(server_sessions):
    await _take_race(server_sessions)


async def test_two_decisions_at_the_same_moment_on_postgresql(server_sessions):
    await _decision_race(server_sessions)


async def _merge_race(sessions: Sessions) -> None:
    """Two coordinators merge the same two villages the opposite ways at once:
    one merge wins; before, both villages ended up deactivated."""
    world = await _people(sessions)
    c1, c2 = world["coordinators"]
    async with sessions.begin() as session:
        commune = await session.get(Unit, c1.unit_id)
        one = await units.add_village(session, commune, "Thôn Một")
        two = await units.add_village(session, commune, "Thôn Hai")
        ids = (one.id, two.id)

    async def merge(actor: Any, keep: int, drop: int) -> Any:
        async with sessions.begin() as session:
            return await people.merge_villages(session, actor, keep, drop)

    results = await asyncio.gather(
        merge(c1, ids[0], ids[1]), merge(c2, ids[1], ids[0]), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, PeopleError)]
    assert len(refused) == 1 and refused[0].code == "not_found"
    async with sessions() as session:
        active = (
            await session.scalars(select(Unit.id).where(Unit.id.in_(ids), Unit.active.is_(True)))
        ).all()
    assert len(active) == 1
    assert await _count(sessions, "merge", "unit") == 1


async def test_two_opposite_merges_at_the_same_moment_on_a_sqlite_file(file_sessions, monkeypatch):
    _gate(monkeypatch, places, "_village")
    await _merge_race(file_sessions)


async def test_two_opposite_merges_at_the_same_moment_on_postgresql(server_sessions):
    await _merge_race(server_sessions)

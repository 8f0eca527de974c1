"""First decision wins on a period report: two province officers pressing
"accept" and "return" at the same moment (two sessions, two connections),
on a SQLite file (both held until both have read the report) and on
PostgreSQL. One is done; the other is told the report changed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.i18n import translator
from storage import cycle
from storage.cycle import reports as cycle_reports
from storage.models import (
    AuditEntry,
    CycleKind,
    CycleState,
    PeriodReport,
    Role,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)
from storage.reports.periods import ReportCalendar
from storage.users import profile_of
from tests.storage.helpers import tra_bong
from tests.storage.test_first_wins import (  # noqa: F401 (fixtures)
    Sessions,
    _gate,
    _race,
    file_sessions,
    server_sessions,
)

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


async def _world(sessions: Sessions) -> tuple[int, list]:
    async with sessions.begin() as session:
        if await session.scalar(select(func.count()).select_from(Unit)):
            commune, province = await tra_bong(session)  # the official tree of the test database
        else:  # a bare file database: a place of its own
            province = Unit(
                code="T9",
                name="Tỉnh Thử",
                level=UnitLevel.PROVINCE,
                kind="province",
                path="/T9/",
                search_key="tinh thu",
            )
            session.add(province)
            await session.flush()
            commune = Unit(
                code="T9X1",
                name="Xã Thử",
                level=UnitLevel.COMMUNE,
                kind="commune",
                parent_id=province.id,
                path="/T9/T9X1/",
                search_key="xa thu",
            )
            session.add(commune)
            await session.flush()
        officers = [
            User(
                telegram_id=700 + i,
                display_name=f"Tỉnh {i}",
                role=Role.PROVINCE_COORDINATOR,
                unit_id=province.id,
                status=UserStatus.ACTIVE,
                bot_blocked=False,
            )
            for i in range(2)
        ]
        session.add_all(officers)
        report = PeriodReport(
            unit_id=commune.id,
            kind=CycleKind.ANNUAL,
            year=2026,
            state=CycleState.SUBMITTED,
            results="a",
            difficulties="b",
            proposals="c",
            submissions=1,
            submitted_at=NOW,
            figures={},
        )
        session.add(report)
        await session.flush()
        return report.id, [await profile_of(session, u) for u in officers]


async def _decide_race(sessions: Sessions) -> None:
    report_id, (a, b) = await _world(sessions)

    def decide(who, accept: bool):
        return lambda s: cycle.decide(
            s,
            who,
            report_id,
            1,
            accept=accept,
            comment=None if accept else "Sai số liệu",
            now=NOW,
            report_calendar=ReportCalendar(),
            texts=translator,
        )

    results = await _race(sessions, decide(a, True), decide(b, False))
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["done", "stale"]
    async with sessions() as session:
        report = await session.get(PeriodReport, report_id)
        decisions = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.entity == "period_report", AuditEntry.action.in_(["accept", "return"])
            )
        )
    winner = next(r for r in results if r.done)
    assert report.state is winner.report.state
    assert decisions == 1


@pytest.mark.sqlite_only
async def test_first_decision_wins_on_a_sqlite_file(file_sessions, monkeypatch):  # noqa: F811
    _gate(monkeypatch, cycle_reports, "_unit")
    await _decide_race(file_sessions)


async def test_first_decision_wins_on_postgresql(server_sessions):  # noqa: F811
    await _decide_race(server_sessions)

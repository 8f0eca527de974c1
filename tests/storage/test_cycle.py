"""The report cycle: prepare, submit, return, resubmit, accept; frozen
figures and corrections; who may do what; a press delivered twice; the
level above's list; the XLSX read back."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.i18n import translator
from storage import audit, cycle
from storage.cycle.export import write_period_report
from storage.models import CycleKind, CycleState, OutboxEntry, PeriodReport, Role
from storage.reports.periods import ReportCalendar
from tests.storage.helpers import person, place, profile, tra_bong
from tests.storage.reports_data import activity, log, villages

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = ReportCalendar()
NOW = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)  # 2 June 2026, 10:00 local
LATER = datetime(2026, 6, 20, 3, 0, tzinfo=UTC)
EARLIER = datetime(2026, 5, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
async def world(sessions):
    async with sessions.begin() as session:
        commune, province = await tra_bong(session)
        neighbour = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
        (village,) = await villages(session, commune, 1)
        people = {
            "chief": await person(session, 1, Role.COMMUNE_COORDINATOR, commune),
            "province": await person(
                session, 2, Role.PROVINCE_COORDINATOR, province, language="en"
            ),
            "neighbour": await person(session, 3, Role.COMMUNE_COORDINATOR, neighbour),
            "collaborator": await person(session, 4, Role.COLLABORATOR, village),
        }
        logged = await log(
            session,
            activity(village, people["collaborator"], date(2026, 3, 8), women=12, men=3),
            activity(village, people["collaborator"], date(2026, 5, 20), women=8, men=6),
        )
        for row in logged:  # logged before the report is submitted (NOW)
            row.created_at = row.updated_at = EARLIER
        ids = {k: u.id for k, u in people.items()}
    return sessions, ids, village.id


async def _profile(session, user_id):
    from storage.models import User

    return await profile(session, await session.get(User, user_id))


def _submit(session, who, report_id, round_, now=NOW):
    return cycle.submit(
        session, who, report_id, round_, now=now, zone=ZONE, report_calendar=CAL, texts=translator
    )


def _decide(session, who, report_id, round_, accept, comment=None, now=LATER):
    return cycle.decide(
        session,
        who,
        report_id,
        round_,
        accept=accept,
        comment=comment,
        now=now,
        report_calendar=CAL,
        texts=translator,
    )


async def _prepared(sessions, ids) -> int:
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        report = await cycle.open_report(session, chief, CycleKind.HALF_YEAR, 2026, NOW)
        for section, text in zip(
            cycle.SECTIONS, ("Kết quả tốt", "Thiếu kinh phí", "Đề nghị tập huấn"), strict=True
        ):
            assert (await cycle.save_section(session, chief, report.id, section, text, NOW)).done
        return report.id


async def test_prepare_submit_return_resubmit_accept(world):
    sessions, ids, _ = world
    report_id = await _prepared(sessions, ids)
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        again = await cycle.open_report(session, chief, CycleKind.HALF_YEAR, 2026, NOW)
        assert again.id == report_id  # opened once
        done = await _submit(session, chief, report_id, 0)
        assert done.done and done.report.state is CycleState.SUBMITTED
        assert done.report.figures["totals"]["total"] == 29
    async with sessions.begin() as session:
        boss = await _profile(session, ids["province"])
        # A return needs a comment.
        assert (
            await _decide(session, boss, report_id, 1, False, "  ")
        ).outcome is cycle.Outcome.INCOMPLETE
        returned = await _decide(session, boss, report_id, 1, False, "Bổ sung số liệu")
        assert returned.done and returned.report.state is CycleState.RETURNED
        assert returned.report.comment == "Bổ sung số liệu"
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        assert (
            await cycle.save_section(session, chief, report_id, "results", "Đã bổ sung", LATER)
        ).done
        resubmitted = await _submit(session, chief, report_id, 1, LATER)
        assert resubmitted.done and resubmitted.report.submissions == 2
    async with sessions.begin() as session:
        boss = await _profile(session, ids["province"])
        assert (await _decide(session, boss, report_id, 1, True)).outcome is cycle.Outcome.STALE
        accepted = await _decide(session, boss, report_id, 2, True)
        assert accepted.done and accepted.report.state is CycleState.ACCEPTED
        chief = await _profile(session, ids["chief"])
        # Accepted: nothing can be written any more.
        stale = await cycle.save_section(session, chief, report_id, "results", "x", LATER)
        assert stale.outcome is cycle.Outcome.STALE
        steps = [e.action for e in await audit.history(session, "period_report", report_id)]
        assert steps == [
            "open",
            "write",
            "write",
            "write",
            "submit",
            "return",
            "write",
            "submit",
            "accept",
        ]
        notices = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
        # Province told twice, commune told of the return and the acceptance.
        assert [n.chat_id for n in notices] == [2, 1, 2, 1]
        assert all(n.dedupe_key.startswith(f"pr:{report_id}:") for n in notices)


async def test_submit_needs_the_three_sections(world):
    sessions, ids, _ = world
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        report = await cycle.open_report(session, chief, CycleKind.ANNUAL, 2026, NOW)
        await cycle.save_section(session, chief, report.id, "results", "Kết quả", NOW)
        assert (await _submit(session, chief, report.id, 0)).outcome is cycle.Outcome.INCOMPLETE
        too_long = "x" * (cycle.reports.MAX_SECTION + 1)
        saved = await cycle.save_section(session, chief, report.id, "proposals", too_long, NOW)
        assert saved.outcome is cycle.Outcome.TOO_LONG


async def test_frozen_figures_and_a_later_correction(world):
    sessions, ids, village_id = world
    report_id = await _prepared(sessions, ids)
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0)).done
    async with sessions.begin() as session:
        from storage.models import Activity, Unit, User

        first = await session.scalar(select(Activity).order_by(Activity.id))
        first.women = 20  # corrected after submission: 12 -> 20 women
        first.total = 23
        village = await session.get(Unit, village_id)
        await log(
            session,
            activity(
                village,
                await session.get(User, ids["collaborator"]),
                date(2026, 4, 1),
                women=1,
                men=1,
            ),
        )
    async with sessions() as session:
        report = await session.get(PeriodReport, report_id)
        shown = await cycle.figures(
            session, report, today=date(2026, 6, 20), zone=ZONE, report_calendar=CAL
        )
        assert shown.frozen
        assert shown.lines["totals:women"] == 20  # as submitted
        changed = {c.key: (c.frozen, c.now, c.difference) for c in shown.corrections}
        assert changed["totals:women"] == (20, 29, 9)
        assert changed["totals:sessions"] == (2, 3, 1)
        assert changed["totals:total"] == (29, 39, 10)
        t = translator("en")
        assert cycle.line_name("totals:women", t, {}) == "Women"
        # The XLSX: the plan's workbook, the narrative second, the frozen figures third.
        out = io.BytesIO()
        count = await write_period_report(
            session, report, out, t, today=date(2026, 6, 20), zone=ZONE, report_calendar=CAL
        )
        assert count == len(shown.corrections)
    out.seek(0)
    book = load_workbook(out)
    assert book.sheetnames[1] == "Narrative"
    narrative = {row[0]: row[1] for row in book["Narrative"].iter_rows(min_row=3, values_only=True)}
    assert narrative["Results"] == "Kết quả tốt"
    assert narrative["Difficulties, obstacles and their causes"] == "Thiếu kinh phí"
    assert narrative["State"] == "Submitted"
    frozen = {
        row[0]: row[1:] for row in book["As submitted"].iter_rows(min_row=4, values_only=True)
    }
    assert frozen["Women"] == (20, 29, 9)
    assert frozen["Collaborators"][2] is None  # unchanged: no correction
    assert "Activities" in book.sheetnames


async def _export(sessions, report_id: int) -> Workbook:
    """The period report's XLSX, in English, as exported on 20 June 2026."""
    async with sessions() as session:
        report = await session.get(PeriodReport, report_id)
        out = io.BytesIO()
        await write_period_report(
            session,
            report,
            out,
            translator("en"),
            today=date(2026, 6, 20),
            zone=ZONE,
            report_calendar=CAL,
        )
    out.seek(0)
    return load_workbook(out)


def _sheet_rows(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]


def _row_of(rows: list[tuple], first: str) -> tuple:
    return next(row for row in rows if row[0] == first or row[1] == first)


async def test_export_of_a_submitted_report_shows_the_plan_table_as_submitted(world):
    """Submit, correct an activity (a count changes), export: the plan's table
    and the breakdowns show the submitted figures, the corrections sheet
    submitted / now / difference; a draft's export is live."""
    from storage.models import Activity, Indicator, ParticipantField, Target, Unit, User

    sessions, ids, _village_id = world
    async with sessions.begin() as session:
        chief = await session.get(User, ids["chief"])
        commune = await session.get(Unit, chief.unit_id)
        session.add(
            Target(
                unit_id=commune.id,
                year=2026,
                indicator=Indicator.PARTICIPANTS,
                field=ParticipantField.WOMEN,
                value=50,
                label="Phụ nữ được tiếp cận",
            )
        )
    report_id = await _prepared(sessions, ids)
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0)).done
        stored = await session.get(PeriodReport, report_id)
        kept = stored.figures[cycle.frozen.KEY]["report"]
        assert all(c["telegram_id"] == 0 for c in kept["completeness"]["collaborators"])
    async with sessions.begin() as session:
        first = await session.scalar(select(Activity).order_by(Activity.id))
        first.women, first.total = 30, 33  # 12 -> 30 women after submission

    book = await _export(sessions, report_id)
    assert book.sheetnames[:3] == ["Targets", "Narrative", "As submitted"]
    targets = _sheet_rows(book["Targets"])
    line = _row_of(targets, "Phụ nữ được tiếp cận")
    assert line[3:5] == (50, 20)  # target, achieved as submitted (not 38)
    breakdowns = _sheet_rows(book["Breakdowns"])
    total = next(row for row in breakdowns if row[0] == "Xã Trà Bồng, Quảng Ngãi" and row[1] == 2)
    assert total[3] == 20  # women as submitted
    frozen_rows = {
        row[0]: row[1:] for row in book["As submitted"].iter_rows(min_row=4, values_only=True)
    }
    assert frozen_rows["Women"] == (20, 38, 18)
    (target_line,) = [v for k, v in frozen_rows.items() if k.startswith("Target:")]
    assert target_line == (20, 38, 18)
    # Changed behind the audited use cases' back: listed as it is now, and said so.
    listed = {row[11]: row[17] for row in book["Activities"].iter_rows(min_row=2, values_only=True)}
    assert listed == {
        8: None,
        30: "Changed after submission, with no record of the values before: shown as they are now",
    }

    # Returned, corrected and submitted again: the export shows the new figures.
    async with sessions.begin() as session:
        province = await _profile(session, ids["province"])
        assert (await _decide(session, province, report_id, 1, False, "Sửa lại")).done
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 1, now=LATER)).done
    book = await _export(sessions, report_id)
    line = _row_of(_sheet_rows(book["Targets"]), "Phụ nữ được tiếp cận")
    assert line[3:5] == (50, 38)
    frozen_rows = {
        row[0]: row[1:] for row in book["As submitted"].iter_rows(min_row=4, values_only=True)
    }
    assert frozen_rows["Women"] == (38, 38, None)


async def test_export_of_a_submitted_report_lists_the_activities_as_submitted(world):
    """After submission one activity is corrected, one deleted, one moved out
    of the period, one logged: the activities sheet lists them as submitted
    (adding up to the submitted figures), each with what happened since; the
    one logged late comes last, marked; a draft's sheet is live, unmarked."""
    from storage import activities as records
    from storage.models import Activity, Unit, User

    sessions, ids, village_id = world
    async with sessions.begin() as session:
        collaborator = await session.get(User, ids["collaborator"])
        (moved,) = await log(
            session, activity(await session.get(Unit, village_id), collaborator, date(2026, 4, 10))
        )
        moved.created_at = moved.updated_at = EARLIER
    t = translator("en")

    async def sheet(report_id: int) -> list[tuple]:
        book = await _export(sessions, report_id)
        return list(book["Activities"].iter_rows(values_only=True))

    report_id = await _prepared(sessions, ids)
    draft = await sheet(report_id)
    assert len(draft[0]) == 17 and len(draft) == 4  # live, no column of marks
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0)).done
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        first, second, third = (await session.scalars(select(Activity).order_by(Activity.id))).all()
        values = records.draft_values(first)
        values["participants"] = {**values["participants"], "women": 20, "total": 23}
        await records.update(session, chief, first.id, records.validate(values, None, 60), LATER)
        await records.delete(session, chief, second.id, LATER)
        values = records.draft_values(third)
        values["held_on"] = "2025-12-31"
        await records.update(session, chief, third.id, records.validate(values, None, 60), LATER)
        collaborator = await _profile(session, ids["collaborator"])
        values["held_on"], values["participants"] = (
            "2026-04-01",
            {
                "total": 2,
                "women": 1,
                "men": 1,
                "girls": 0,
                "boys": 0,
                "ethnic_minority": 0,
            },
        )
        late = await records.create(
            session, collaborator, records.validate(values, None, 60), "late", LATER
        )
    rows = await sheet(report_id)
    assert rows[0][17] == "After submission"
    on = t.date(date(2026, 6, 20))
    by_id = {row[0]: (row[1], row[11], row[17]) for row in rows[1:]}
    assert by_id == {
        f"HD-{first.id}": (
            datetime(2026, 3, 8),
            12,
            f"Corrected on {on}: Participants: now 23; Women: now 20",
        ),
        f"HD-{second.id}": (datetime(2026, 5, 20), 8, f"Deleted on {on}"),
        f"HD-{third.id}": (
            datetime(2026, 4, 10),
            10,
            f"Corrected on {on}: Date: now {t.date(date(2025, 12, 31))}",
        ),
        f"HD-{late.activity_id}": (
            datetime(2026, 4, 1),
            1,
            f"Logged on {on}, after submission: not in the submitted figures",
        ),
    }
    assert rows[-1][0] == f"HD-{late.activity_id}"  # after the submitted ones
    async with sessions() as session:
        report = await session.get(PeriodReport, report_id)
        submitted = cycle.lines_of(report.figures)
    kept = [row for row in rows[1:] if not str(row[17] or "").startswith("Logged on")]
    assert len(kept) == submitted["totals:sessions"] == 3
    assert sum(row[10] for row in kept) == submitted["totals:total"]
    assert sum(row[11] for row in kept) == submitted["totals:women"] == 30


async def test_a_frozen_report_that_no_longer_decodes_falls_back_to_live(world):
    sessions, ids, _village_id = world
    report_id = await _prepared(sessions, ids)
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0)).done
        report = await session.get(PeriodReport, report_id)
        figures = dict(report.figures)
        assert cycle.frozen.thaw(figures) is not None
        figures[cycle.frozen.KEY] = {"version": 1, "report": {"summary": {}}}
        assert cycle.frozen.thaw(figures) is None
        assert cycle.frozen.thaw({k: v for k, v in figures.items() if k != "workbook"}) is None
        report.figures = figures
    async with sessions() as session:
        report = await session.get(PeriodReport, report_id)
        out = io.BytesIO()
        await write_period_report(
            session, report, out, translator("en"), today=NOW.date(), zone=ZONE, report_calendar=CAL
        )
    out.seek(0)
    assert load_workbook(out).sheetnames[:3] == ["Targets", "Narrative", "As submitted"]


async def test_permissions(world):
    sessions, ids, _ = world
    report_id = await _prepared(sessions, ids)
    async with sessions.begin() as session:
        collaborator = await _profile(session, ids["collaborator"])
        with pytest.raises(cycle.CycleError):
            await cycle.open_report(session, collaborator, CycleKind.HALF_YEAR, 2026, NOW)
        assert (
            await _submit(session, collaborator, report_id, 0)
        ).outcome is cycle.Outcome.NOT_ALLOWED
        boss = await _profile(session, ids["province"])
        # The province does not submit for the commune.
        assert (await _submit(session, boss, report_id, 0)).outcome is cycle.Outcome.NOT_ALLOWED
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0)).done
        neighbour = await _profile(session, ids["neighbour"])
        assert (
            await _decide(session, neighbour, report_id, 1, True)
        ).outcome is cycle.Outcome.NOT_ALLOWED
        assert (
            await _decide(session, chief, report_id, 1, True)
        ).outcome is cycle.Outcome.NOT_ALLOWED
        assert await cycle.get(session, neighbour, report_id) is None
        assert await cycle.get(session, collaborator, report_id) is None
        assert await cycle.get(session, boss, report_id) is not None


async def test_double_submit_and_two_reviewers(world):
    sessions, ids, _ = world
    report_id = await _prepared(sessions, ids)
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0)).done
    async with sessions.begin() as session:  # the same press, delivered again
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0)).outcome is cycle.Outcome.STALE
    async with sessions.begin() as session:
        from storage.models import Unit
        from tests.storage.helpers import person as new_person

        province = await session.get(
            Unit,
            (
                await session.get(Unit, (await session.get(PeriodReport, report_id)).unit_id)
            ).parent_id,
        )
        second = await new_person(session, 5, Role.PROVINCE_COORDINATOR, province)
        ids["second"] = second.id
    async with sessions() as one, sessions() as two:
        first = await _decide(one, await _profile(one, ids["province"]), report_id, 1, True)
        await one.commit()
        other = await _decide(two, await _profile(two, ids["second"]), report_id, 1, False, "Sai")
        await two.commit()
    assert first.done and other.outcome is cycle.Outcome.STALE
    async with sessions() as session:
        report = await session.get(PeriodReport, report_id)
        assert report.state is CycleState.ACCEPTED and report.submissions == 1
        count = await session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.chat_id == 2)
        )
        assert count == 1  # the province was told once


async def test_overview_submitted_late_missing(world):
    sessions, ids, _ = world
    report_id = await _prepared(sessions, ids)
    async with sessions.begin() as session:
        chief = await _profile(session, ids["chief"])
        assert (await _submit(session, chief, report_id, 0, LATER)).done  # after 5 June
    async with sessions() as session:
        boss = await _profile(session, ids["province"])
        found = await cycle.overview(
            session,
            boss,
            CycleKind.HALF_YEAR,
            2026,
            today=date(2026, 6, 20),
            zone=ZONE,
            report_calendar=CAL,
        )
        by_name = {c.unit.name: c for c in found}
        mine = by_name["Xã Trà Bồng"]
        assert mine.state is CycleState.SUBMITTED and mine.late and not mine.missing
        assert mine.due == date(2026, 6, 5)
        other = by_name["Xã Bình Sơn"]
        assert other.state is None and other.missing and other.late
        assert found[0].unit.name == "Xã Trà Bồng"  # awaiting a decision comes first
        early = await cycle.overview(
            session,
            boss,
            CycleKind.HALF_YEAR,
            2026,
            today=date(2026, 6, 1),
            zone=ZONE,
            report_calendar=CAL,
        )
        assert not {c.unit.name: c for c in early}["Xã Bình Sơn"].late


async def test_concurrent_open_creates_one_draft(world):
    sessions, ids, _ = world

    async def open_one():
        async with sessions.begin() as session:
            chief = await _profile(session, ids["chief"])
            return (await cycle.open_report(session, chief, CycleKind.ANNUAL, 2026, NOW)).id

    first = await open_one()
    assert await open_one() == first
    await asyncio.sleep(0)

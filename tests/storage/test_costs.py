"""Costs and funding sources of activities, summed by source and by unit,
and a plan's budget as a target (issue 16)."""

from __future__ import annotations

import io
from datetime import date
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.i18n import translator
from storage import activities, units
from storage.activities import ActivityProblem, Problem
from storage.models import ActivityKind, FundingSource, Indicator, Role
from storage.reports import areas, exports, targets
from storage.reports.periods import parse_period
from storage.reports.render import summary_text
from storage.reports.report import build_report
from storage.reports.targets import TargetError
from tests.storage.helpers import person, profile, tra_bong
from tests.storage.reports_data import activity, log, member

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.500.000", 1_500_000),
        ("1.500.000 đ", 1_500_000),
        ("1 500 000 đồng", 1_500_000),
        ("1,5 triệu", 1_500_000),
        ("1.25tr", 1_250_000),
        ("500k", 500_000),
        ("500 nghìn", 500_000),
        ("2000000 VND", 2_000_000),
        ("0", 0),
    ],
)
def test_amounts_as_people_type_them(text, amount):
    assert activities.parse_amount(text) == amount


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1.2.3", Problem.BAD_AMOUNT),
        ("-5", Problem.BAD_AMOUNT),
        ("năm trăm", Problem.BAD_AMOUNT),
        ("🙂", Problem.BAD_AMOUNT),
        ("5000 tỷ", Problem.BAD_AMOUNT),
        ("2.000.000.000.000", Problem.AMOUNT_TOO_LARGE),
    ],
)
def test_amounts_that_are_refused(text, problem):
    with pytest.raises(ActivityProblem) as caught:
        activities.parse_amount(text)
    assert caught.value.problem is problem


def test_one_line_cost_and_source():
    line = activities.parse_one_line(
        "mit-tinh 19/11 100/60/40/0/0/80 bdg cp:1,5tr:dtts lễ phát động", date(2026, 11, 20), 60
    )
    assert line.problems == []
    assert (line.values["cost"], line.values["funding_source"]) == (
        1_500_000,
        "ntp_ethnic_minority",
    )
    assert line.values["note"] == "lễ phát động"
    line = activities.parse_one_line("tt 19/11 10 bdg cp:200k:abc", date(2026, 11, 20), 60)
    assert Problem.UNKNOWN_FUNDING in [p.problem for p in line.problems]


async def _commune(session):
    commune, province = await tra_bong(session)
    v1 = await units.add_village(session, commune, "Thôn 1")
    v2 = await units.add_village(session, commune, "Thôn 2")
    someone = await member(session, v1)
    rows = []
    for unit, day, cost, source in (
        (v1, date(2024, 3, 8), 3_000_000, FundingSource.NTP_ETHNIC_MINORITY),
        (v1, date(2024, 5, 2), 1_200_000, FundingSource.LOCAL_BUDGET),
        (v2, date(2024, 6, 1), 5_000_000, FundingSource.NTP_ETHNIC_MINORITY),
        (v2, date(2024, 6, 2), 800_000, None),
        (v2, date(2024, 6, 3), None, None),
        (v2, date(2024, 8, 1), 9_000_000, FundingSource.NTP_ETHNIC_MINORITY),  # after June
    ):
        row = activity(unit, someone, day, ActivityKind.LAUNCH_CEREMONY)
        row.cost, row.funding_source = cost, source
        rows.append(row)
    await log(session, *rows)
    return commune, province, v1, v2


async def test_costs_by_source_and_by_unit(session):
    commune, _province, v1, v2 = await _commune(session)
    report = await build_report(
        session, areas.unit_area(commune), parse_period("2024H1"), today=date(2024, 7, 1), zone=ZONE
    )
    lines = report.summary.plan_lines
    assert lines.costs == {
        FundingSource.NTP_ETHNIC_MINORITY: 8_000_000,
        FundingSource.LOCAL_BUDGET: 1_200_000,
        None: 800_000,
    }
    assert lines.cost_total == 10_000_000
    assert lines.costs_by_child == {v1.path: 4_200_000, v2.path: 5_800_000}
    vi = translator("vi")
    text = summary_text(report.summary, report.targets, report.completeness, vi, html=False)
    assert "Kinh phí: 10.000.000 đồng" in text
    assert "• Ngân sách địa phương: 1.200.000" in text
    assert "◦ Thôn 2: 5.800.000" in text
    out = io.BytesIO()
    await exports.write_xlsx(session, report, out, vi)
    rows = list(openpyxl.load_workbook(out)["Chi tiết"].iter_rows(values_only=True))
    start = rows.index(("Kinh phí theo nguồn (đồng)",) + (None,) * (len(rows[0]) - 1))
    costs = {r[0]: r[1] for r in rows[start + 2 : start + 6]}
    assert costs["Chưa ghi nguồn"] == 800_000 and costs["Tổng cộng"] == 10_000_000
    start = next(n for n, r in enumerate(rows) if r[0] == "Kinh phí theo đơn vị (đồng)")
    by_unit = {r[0]: r[2] for r in rows[start + 2 : start + 4]}
    assert by_unit == {"Thôn 1": 4_200_000, "Thôn 2": 5_800_000}


async def test_a_budget_is_a_target_like_the_others(session):
    commune, _province, _v1, _v2 = await _commune(session)
    boss = await profile(session, await person(session, 9, Role.COMMUNE_COORDINATOR, commune))
    header = ",".join(targets.CSV_COLUMNS)
    text = (
        f'{header}\n{commune.code},2024,budget,,,,,"20.000.000",,Kinh phí Dự án 8,dtts\n'
        f"{commune.code},2024,budget,,,,,15000000,,Kinh phí địa phương,nsdp\n"
    )
    assert (await targets.import_csv(session, boss, text)).created == 2
    report = await targets.progress(session, areas.unit_area(commune), 2024, date(2024, 6, 30))
    found = {line.label: (line.area.target, line.area.achieved) for line in report.lines}
    assert found == {
        "Kinh phí Dự án 8": (20_000_000, 8_000_000),
        "Kinh phí địa phương": (15_000_000, 1_200_000),
    }
    (budget, _) = report.lines
    assert budget.spec.indicator is Indicator.BUDGET
    # A budget may exceed a count's limit; a count may not.
    with pytest.raises(TargetError) as caught:
        await targets.import_csv(
            session, boss, f"{header}\n{commune.code},2024,sessions,,,,,20000000,,,\n"
        )
    assert caught.value.code == "value"
    with pytest.raises(TargetError) as caught:
        await targets.import_csv(
            session, boss, f"{header}\n{commune.code},2024,sessions,,,,,3,,,dtts\n"
        )
    assert caught.value.code == "source_only_for_budget"

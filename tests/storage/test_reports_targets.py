"""Targets (chỉ tiêu): seed 004's table, the CSV import, progress and what is
behind schedule; the XLSX and CSV exports read back; the chart; the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.i18n import translator
from storage import registers, units
from storage.db import make_engine, make_sessionmaker
from storage.models import (
    ActivityKind,
    Indicator,
    ParticipantField,
    RegisterEvent,
    RegisterKind,
    Role,
    Topic,
    TrustedAddress,
    TrustedAddressArea,
)
from storage.reports import areas, charts, exports, targets
from storage.reports.command import Progress
from storage.reports.periods import parse_period, year_period
from storage.reports.render import summary_text
from storage.reports.report import build_report
from storage.reports.targets import Status, TargetError, TargetInput
from tests.storage.helpers import person, place, profile, tra_bong
from tests.storage.reports_data import activity, log, member, villages

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


async def _district(session):
    """The former Trà Bồng district as a group of communes, with a coordinator."""
    commune, province = await tra_bong(session)
    east = await place(session, "Xã Đông Trà Bồng", "Quảng Ngãi")
    group = await units.create_group(session, "Huyện Trà Bồng (cũ)", province, [commune, east])
    boss = await profile(session, await person(session, 5, Role.PROVINCE_COORDINATOR, province))
    return commune, east, province, areas.group_area(group), boss


async def test_seed_004_table_imports_and_measures(session):
    commune, east, _province, district, boss = await _district(session)
    v1, v2 = await villages(session, commune, 2)
    lan = await member(session, v1)
    address = TrustedAddress(name="Trạm y tế xã Trà Bồng", phones=[], services=[], active=True)
    closed = TrustedAddress(name="Nhà tạm lánh cũ", phones=[], services=[], active=False)
    session.add_all([address, closed])
    await session.flush()
    session.add_all(
        [
            TrustedAddressArea(address_id=address.id, unit_id=commune.id),
            TrustedAddressArea(address_id=address.id, unit_id=v1.id),
            TrustedAddressArea(address_id=closed.id, unit_id=east.id),
        ]
    )
    await log(
        session,
        *(activity(v1, lan, date(2024, 3, d), kind=ActivityKind.POLICY_DIALOGUE) for d in (1, 2)),
        activity(east, lan, date(2024, 4, 1), kind=ActivityKind.POLICY_DIALOGUE),
        activity(v2, lan, date(2024, 4, 2), kind=ActivityKind.CHILDREN_CLUB),
        activity(v2, lan, date(2024, 4, 9), kind=ActivityKind.CHILDREN_CLUB),
        activity(v1, lan, date(2024, 5, 2), kind=ActivityKind.TRAINING, note="Lớp Chương trình 3"),
        activity(v1, lan, date(2024, 5, 3), kind=ActivityKind.TRAINING, note="tập huấn giám sát"),
        activity(v1, lan, date(2024, 5, 4), kind=ActivityKind.LIVELIHOOD, note="ứng dụng 4.0"),
        activity(v2, lan, date(2024, 5, 5), women=40, men=0, topics=(Topic.HOME_BIRTH,)),
    )
    # Clubs, livelihood groups and trusted addresses count from the registers,
    # by the dated events the plan's words name (not by sessions held, nor by
    # every address that is open).
    now = datetime(2024, 6, 1, tzinfo=UTC)
    for kind, unit, name, events in (
        (RegisterKind.CLUB, v2, "CLB trường THCS", [(RegisterEvent.ESTABLISHED, date(2024, 4, 1))]),
        (RegisterKind.CLUB, v1, "CLB cũ", [(RegisterEvent.ESTABLISHED, date(2023, 9, 1))]),
        (
            RegisterKind.TRUSTED_ADDRESS,
            v1,
            "Trạm y tế",
            [
                (RegisterEvent.ESTABLISHED, date(2022, 1, 5)),
                (RegisterEvent.STRENGTHENED, date(2024, 5, 1)),
            ],
        ),
        (
            RegisterKind.TRUSTED_ADDRESS,
            east,
            "Nhà chị B",
            [(RegisterEvent.ESTABLISHED, date(2021, 3, 1))],
        ),
        (
            RegisterKind.LIVELIHOOD_GROUP,
            v1,
            "Tổ dệt thổ cẩm",
            [(RegisterEvent.SUPPORTED, date(2024, 5, 4))],
        ),
    ):
        await registers.save(
            session,
            None,
            registers.EntryInput(
                kind=kind,
                unit_id=unit.id,
                name=name,
                events=[registers.EventInput(event=e, on=d) for e, d in events],
            ),
            now,
        )
    text = targets.SEED_004_CSV.format(area=f"group:{district.id}", population=200)
    imported = await targets.import_csv(session, boss, text)
    assert (imported.created, imported.updated) == (7, 0)
    again = await targets.import_csv(session, boss, text.replace(",21,", ",22,"))
    assert (again.created, again.updated) == (0, 7)
    report = await targets.progress(session, district, 2024, date(2024, 6, 30))
    figures = {line.label: (line.area.achieved, line.area.target) for line in report.lines}
    assert figures == {
        "Tổ/nhóm sinh kế có phụ nữ làm chủ ứng dụng công nghệ 4.0": (1, 2),
        "Đối thoại chính sách cấp xã và cụm thôn (2 huyện + 19 xã)": (3, 22),
        "CLB “Thủ lĩnh của sự thay đổi” được thành lập": (1, 3),  # established in 2024
        "Địa chỉ tin cậy được củng cố hoặc thành lập mới": (1, 4),
        "Phụ nữ nhóm dân tộc có tỷ lệ sinh con tại nhà cao được tuyên truyền": (40, 80),
        "Lớp tập huấn giám sát và đánh giá bình đẳng giới": (1, 2),
        "Lớp tập huấn lồng ghép giới (Chương trình 3)": (1, 4),
    }
    share = next(line for line in report.lines if line.spec.indicator is Indicator.SHARE)
    assert share.area.reached == pytest.approx(0.2)
    assert share.area.ratio == pytest.approx(0.25)
    # Half the year (182 of 366 days) has gone: 3 of 22 dialogues is behind.
    dialogues = next(line for line in report.lines if line.area.target == 22)
    assert dialogues.area.status == Status.BEHIND
    assert report.behind


async def test_progress_status_and_sums_of_the_communes(session):
    commune, east, province, _district_area, boss = await _district(session)
    lan = await member(session, commune)
    await log(
        session,
        *(
            activity(commune, lan, date(2024, 1, d), kind=ActivityKind.POLICY_DIALOGUE)
            for d in (1, 2)
        ),
        activity(east, lan, date(2024, 1, 3), kind=ActivityKind.POLICY_DIALOGUE),
    )
    dialogues = TargetInput(
        indicator=Indicator.SESSIONS, activity_kind=ActivityKind.POLICY_DIALOGUE, value=4
    )
    await targets.set_target(session, boss, areas.unit_area(commune), 2024, dialogues)
    early = await targets.progress(session, areas.unit_area(commune), 2024, date(2024, 2, 1))
    assert early.lines[0].area.status == Status.ON_TRACK  # 2 of 4 by February
    late = await targets.progress(session, areas.unit_area(commune), 2024, date(2024, 10, 1))
    assert late.lines[0].area.status == Status.BEHIND
    done = TargetInput(
        indicator=Indicator.SESSIONS, activity_kind=ActivityKind.POLICY_DIALOGUE, value=2
    )
    await targets.set_target(session, boss, areas.unit_area(commune), 2024, done)
    finished = await targets.progress(session, areas.unit_area(commune), 2024, date(2024, 10, 1))
    assert finished.lines[0].area.status == Status.DONE
    # The province has no target of its own: the commune's is summed, and
    # only what that commune did counts against it.
    up = await targets.progress(session, areas.unit_area(province), 2024, date(2024, 10, 1))
    assert (up.lines[0].area.target, up.lines[0].area.achieved, up.lines[0].area.summed) == (
        2,
        2,
        True,
    )
    wide = await targets.progress(
        session, areas.unit_area(province), 2024, date(2024, 10, 1), with_children=True
    )
    assert wide.lines[0].children[east.path].achieved == 1
    assert wide.lines[0].children[commune.path].target == 2


@pytest.mark.parametrize(
    ("line", "code", "number"),
    [
        ("{area},2024,sessions,xx,,,,3,,", "unknown_kind", 2),
        ("{area},2024,share,,sinh-de,women,,80,,", "population_needed", 2),
        ("{area},2024,share,,sinh-de,women,,180,100,", "percent_range", 2),
        ("99999,2024,sessions,dt,,,,3,,", "unknown_area", 2),
        ("{area},20x4,sessions,dt,,,,3,,", "year_range", 2),
        ("{area},2024,sessions,dt,,,,ba,,", "not_a_number", 2),
        ("{area},2024,trusted_addresses,dt,,,,3,,", "no_filters_for_trusted_addresses", 2),
    ],
)
async def test_a_bad_line_imports_nothing_and_names_itself(session, line, code, number):
    commune, _east, _province, _district_area, boss = await _district(session)
    header = ",".join(targets.CSV_COLUMNS)
    with pytest.raises(TargetError) as caught:
        await targets.import_csv(session, boss, f"{header}\n{line.format(area=commune.code)}\n")
    assert (caught.value.code, caught.value.line) == (code, number)
    assert await targets.targets_of(session, areas.unit_area(commune), 2024) == []


async def test_targets_only_under_ones_own_area(session):
    commune, _east, _province, _district_area, _boss = await _district(session)
    elsewhere = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    chief = await profile(session, await person(session, 9, Role.COMMUNE_COORDINATOR, commune))
    data = TargetInput(indicator=Indicator.PARTICIPANTS, field=ParticipantField.WOMEN, value=500)
    with pytest.raises(TargetError):
        await targets.set_target(session, chief, areas.unit_area(elsewhere), 2024, data)
    saved = await targets.set_target(session, chief, areas.unit_area(commune), 2024, data)
    assert not await targets.remove_target(
        session,
        await profile(session, await person(session, 10, Role.COLLABORATOR, commune)),
        saved.id,
    )
    assert await targets.remove_target(session, chief, saved.id)


async def test_exports_read_back_and_the_chart(session):
    commune, _east, province, district, boss = await _district(session)
    v1, _v2 = await villages(session, commune, 2)
    lan = await member(session, v1)
    lan.display_name = "Chị Lan <CTV>"
    await log(
        session,
        activity(v1, lan, date(2024, 5, 31), women=20, men=5, girls=1, boys=1, note="bí mật"),
        activity(
            commune,
            lan,
            date(2024, 6, 1),
            kind=ActivityKind.POLICY_DIALOGUE,
            topics=(Topic.CHILD_MARRIAGE, Topic.GENDER_EQUALITY),
        ),
    )
    await targets.import_csv(
        session, boss, targets.SEED_004_CSV.format(area=commune.code, population=100)
    )
    t = translator("vi")
    report = await build_report(
        session,
        areas.unit_area(province),
        parse_period("2024H1"),
        today=date(2024, 6, 20),
        zone=ZONE,
        with_children=True,
    )
    out = io.BytesIO()
    steps: list[tuple[int, int]] = []
    assert await exports.write_xlsx(session, report, out, t, lambda d, n: steps.append((d, n))) == 2
    assert steps[-1] == (2, 2)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["Chỉ tiêu", "Chi tiết", "Hoạt động"]
    raw = list(book["Hoạt động"].iter_rows(values_only=True))
    assert raw[1][1].date() == date(2024, 5, 31) and raw[1][4] == "Thôn 1"
    assert raw[2][7] == "Bình đẳng giới; Tảo hôn"  # topics in catalogue order
    assert raw[1][16] == "Chị Lan <CTV>"
    assert all("bí mật" not in str(cell) for row in raw for cell in row)  # no notes
    assert sum(r[10] for r in raw[1:]) == report.summary.counts.total == 42
    sheet = list(book["Chỉ tiêu"].iter_rows(values_only=True))
    header = sheet[3]
    column = header.index("Xã Trà Bồng: chỉ tiêu")
    dialogue = next(r for r in sheet if r[1] and str(r[1]).startswith("Đối thoại"))
    assert (dialogue[3], dialogue[4], dialogue[column], dialogue[column + 1]) == (21, 1, 21, 1)
    out = io.BytesIO()
    assert await exports.write_csv(session, report, out, t) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert (
        rows[0][0] == "Mã" and rows[1][1] == "2024-05-31" and rows[2][5] == "Đối thoại chính sách"
    )
    png = charts.render_png(report.summary, report.targets, t)
    assert png.startswith(b"\x89PNG") and len(png) < 200_000
    text = summary_text(report.summary, report.targets, report.completeness, t, html=False)
    assert "2 buổi, 42 người tham gia" in text
    assert len(summary_text(report.summary, report.targets, report.completeness, t)) <= 4096
    group = await build_report(
        session, district, year_period(2024), today=date(2024, 6, 20), zone=ZONE
    )
    assert group.summary.counts.sessions == 2


def test_progress_bar_waits_a_second():
    now = [0.0]
    stream = io.StringIO()
    bar = Progress(stream, clock=lambda: now[0])
    bar.phase("summary")
    bar.advance(10, 100)
    assert stream.getvalue() == ""
    now[0] = 1.5
    bar.advance(50, 100)
    bar.finish()
    assert "50% 50/100 summary" in stream.getvalue()


def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``binhdang ARGS...`` in a child process, on a SQLite file in ``tmp_path``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BINHDANG_")}
    environment["BINHDANG_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/bot.db"

    def binhdang(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            capture_output=True,
            text=True,
            env=environment,
            cwd=tmp_path,
            timeout=180,
            check=False,
        )

    return binhdang


@pytest.mark.sqlite_only
def test_the_cli_writes_a_chart_and_a_spreadsheet(tmp_path: Path):
    binhdang = cli(tmp_path)
    assert binhdang("units", "import").returncode == 0
    chart = tmp_path / "chart.png"
    result = binhdang(
        "report", "--unit", "51", "--period", "2024H1", "--format", "png", "--out", str(chart)
    )
    assert result.returncode == 0, result.stderr
    assert chart.read_bytes().startswith(b"\x89PNG")
    book = tmp_path / "r.xlsx"
    result = binhdang(
        "report", "--unit", "51", "--period", "2024", "--format", "xlsx", "--out", str(book)
    )
    assert result.returncode == 0, result.stderr
    assert "Quảng Ngãi" in str(openpyxl.load_workbook(book)["Chỉ tiêu"]["A1"].value)
    result = binhdang("report", "--unit", "51", "--period", "2024-02", "--lang", "en")
    assert "0 sessions, 0 participants" in result.stdout
    result = binhdang("report", "--unit", "51", "--period", "2024-13")
    assert result.returncode == 2 and "cannot read the period" in result.stderr
    result = binhdang("report", "--unit", "51", "--period", "2024", "--format", "xlsx")
    assert result.returncode == 2 and "needs --out FILE" in result.stderr


@pytest.mark.sqlite_only
def test_the_cli_writes_a_csv_of_typed_dates_and_refuses_bad_arguments(tmp_path: Path):
    binhdang = cli(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    assert binhdang("units", "import").returncode == 0

    async def logged() -> None:
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine).begin() as session:
                commune, _province = await tra_bong(session)
                lan = await member(session, commune)
                await log(
                    session,
                    activity(commune, lan, date(2024, 1, 31), women=7, men=2),
                    activity(commune, lan, date(2024, 2, 1), women=3, men=1),
                    activity(commune, lan, date(2024, 6, 1), women=1, men=1),
                )
        finally:
            await engine.dispose()

    asyncio.run(logged())
    out = tmp_path / "tb.csv"
    result = binhdang(
        "report",
        *("--unit", "51", "--period", "2024-01-15:2024-05-31"),
        *("--format", "csv", "--out", str(out)),
    )
    assert result.returncode == 0, result.stderr
    assert "CSV of Quảng Ngãi, 2024-01-15:2024-05-31: 2 activities written" in result.stderr
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:2] == ["Mã", "Ngày"]
    assert [(r[1], r[10]) for r in rows[1:]] == [("2024-01-31", "9"), ("2024-02-01", "4")]
    for args, message in (
        (("--unit", "99999", "--period", "2024"), "no unit or group has the code '99999'"),
        (
            ("--unit", "51", "--period", "2000-01-01:2100-12-31"),
            "the period '2000-01-01:2100-12-31' is longer than 5 years",
        ),
    ):
        result = binhdang("report", *args)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("binhdang report: ") and message in line

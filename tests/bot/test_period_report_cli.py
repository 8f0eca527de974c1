"""``binhdang period-report list`` and ``export``: the same workbook as the
bot's XLSX button, read back."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from bot import cli
from storage.db import make_engine, make_sessionmaker
from storage.models import CycleKind, CycleState, PeriodReport
from storage.units import get_by_code


async def _add_report(url: str) -> int:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            commune = await get_by_code(session, "21115")
            assert commune is not None
            report = PeriodReport(
                unit_id=commune.id,
                kind=CycleKind.ANNUAL,
                year=2026,
                state=CycleState.SUBMITTED,
                results="=1+1 Kết quả",  # text, never a formula
                difficulties="Khó khăn",
                proposals="Đề xuất",
                submissions=1,
                submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
                figures={"totals": {"sessions": 3, "total": 40, "women": 25}},
            )
            session.add(report)
            await session.flush()
            return report.id
    finally:
        await engine.dispose()


@pytest.mark.sqlite_only
def test_list_and_export(tmp_path, monkeypatch, capsys):
    for name in [k for k in os.environ if k.startswith("BINHDANG_")]:
        monkeypatch.delenv(name)
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    monkeypatch.setenv("BINHDANG_DATABASE_URL", url)
    assert cli.main(["period-report", "list", "--unit", "51"]) == 0
    assert capsys.readouterr().out.strip() == "no period reports"
    report_id = asyncio.run(_add_report(url))
    assert cli.main(["period-report", "list", "--unit", "51"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{report_id}\t21115\tXã Trà Bồng\tannual\t2026\tsubmitted"
    )
    out = tmp_path / "report.xlsx"
    assert (
        cli.main(["period-report", "export", str(report_id), "--out", str(out), "--lang", "vi"])
        == 0
    )
    book = load_workbook(out)
    assert book.sheetnames[1:3] == ["Phần thuyết minh", "Số liệu khi nộp"]
    narrative = {
        r[0]: r[1] for r in book["Phần thuyết minh"].iter_rows(min_row=3, values_only=True)
    }
    assert narrative["Kết quả thực hiện"] == "=1+1 Kết quả"
    cells = [r[1] for r in book["Phần thuyết minh"].iter_rows(min_row=3) if r[1].value]
    assert {c.data_type for c in cells} == {"s"}  # no formula
    assert narrative["Tình trạng"] == "Đã nộp"
    frozen = {r[0]: r[1:] for r in book["Số liệu khi nộp"].iter_rows(min_row=4, values_only=True)}
    assert frozen["Phụ nữ"] == (25, 0, -25)  # nothing logged since: the correction shows
    assert cli.main(["period-report", "export", "999", "--out", str(out)]) == 1
    assert "no period report has the id 999" in capsys.readouterr().err

"""A period report as XLSX (xuất báo cáo định kỳ): the workbook that
``binhdang report`` and /export write for the unit and period
(``storage.reports.exports.write_xlsx``: the plan's table, the breakdowns,
the activities), with the narrative as the second sheet and, third, the
figures as submitted beside today's, each difference a correction.

For a submitted report the plan's table and the breakdowns are those kept at
submission (``storage.cycle.frozen``), and the activities are listed as they
were submitted, each with what happened to it since (``storage.cycle.activities``):
a later correction changes the third sheet and the activities' marks only."""

from __future__ import annotations

import io
from datetime import date
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cycle import frozen, reports
from storage.cycle.activities import as_submitted
from storage.cycle.figures import line_name, lines_of
from storage.cycle.labels import SECTION_NAMES, STATE_NAMES, report_title
from storage.models import PeriodReport, Unit
from storage.reports import document, exports
from storage.reports.areas import unit_area
from storage.reports.labels import Translate
from storage.reports.periods import ReportCalendar
from storage.reports.render import period_name
from storage.reports.report import build_report

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
WRAP = Alignment(wrap_text=True, vertical="top")


def _text(sheet: Worksheet, row: int, column: int, value: str, font: Font | None = None) -> None:
    """A cell that holds text as text, never a formula."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    cell.alignment = WRAP


def _narrative(
    book: Workbook,
    report: PeriodReport,
    unit: Unit,
    names: dict[int, str],
    t: Translate,
    zone: ZoneInfo,
    calendar: ReportCalendar,
) -> None:
    sheet = book.create_sheet(t("Narrative"), 1)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 100
    period = reports.period_of(report.kind, report.year, calendar)
    _text(sheet, 1, 1, f"{report_title(t, report.kind, report.year)} – {unit.name}", TITLE)
    rows: list[tuple[str, str]] = [
        (t("Period"), period_name(period, t)),
        (t("State"), t(STATE_NAMES[report.state])),
    ]
    if report.submitted_at is not None:
        who = names.get(report.submitted_by_id or 0, "")
        rows.append(
            (t("Submitted"), f"{t.date(report.submitted_at.astimezone(zone).date())} {who}")
        )
    if report.decided_at is not None:
        who = names.get(report.decided_by_id or 0, "")
        rows.append((t("Decided"), f"{t.date(report.decided_at.astimezone(zone).date())} {who}"))
    if report.comment:
        rows.append((t("Comment when returned"), report.comment))
    for section in reports.SECTIONS:
        rows.append((t(SECTION_NAMES[section]), getattr(report, section)))
    for number, (label, value) in enumerate(rows, start=3):
        _text(sheet, number, 1, label, BOLD)
        _text(sheet, number, 2, value)


def _frozen(
    book: Workbook, report: PeriodReport, live: dict[str, Any], names: dict[str, str], t: Translate
) -> int:
    """The figures as submitted beside today's; returns how many changed."""
    sheet = book.create_sheet(t("As submitted"), 2)
    sheet.column_dimensions["A"].width = 60
    frozen, now = lines_of(report.figures), lines_of(live)
    changed = 0
    _text(sheet, 1, 1, t("Figures as submitted, and corrections since"), TITLE)
    for column, title in enumerate(
        (t("Line"), t("As submitted"), t("Now"), t("Correction")), start=1
    ):
        _text(sheet, 3, column, title, BOLD)
    row = 4
    for key in dict.fromkeys([*frozen, *now]):
        before, after = frozen.get(key, 0), now.get(key, 0)
        _text(sheet, row, 1, line_name(key, t, names))
        sheet.cell(row=row, column=2, value=before)
        sheet.cell(row=row, column=3, value=after)
        if before != after:
            sheet.cell(row=row, column=4, value=after - before)
            changed += 1
        row += 1
    return changed


async def write_period_report(
    session: AsyncSession,
    report: PeriodReport,
    out: IO[bytes],
    t: Translate,
    *,
    today: date,
    zone: ZoneInfo,
    report_calendar: ReportCalendar,
) -> int:
    """Write the report's workbook to ``out``; returns the number of
    corrections (lines that changed since submission; 0 for a draft)."""
    unit = await session.get(Unit, report.unit_id)
    assert unit is not None
    period = reports.period_of(report.kind, report.year, report_calendar)
    built = await build_report(
        session, unit_area(unit), period, today=today, zone=zone, with_children=True
    )
    kept = frozen.thaw(report.figures) if reports.is_frozen(report) else None
    listed = None
    if kept is not None and report.submitted_at is not None:
        listed = await as_submitted(session, unit_area(unit), period, report.submitted_at, t, zone)
    buffer = io.BytesIO()
    await exports.write_xlsx(session, kept or built, buffer, t, listed=listed)
    buffer.seek(0)
    book = load_workbook(buffer)
    _narrative(
        book, report, unit, await reports.actor_names(session, report), t, zone, report_calendar
    )
    changed = 0
    if report.figures is not None:
        live = document.of_report(built, unit.code)
        codes = [
            k.split(":")[1]
            for k in {**lines_of(report.figures), **lines_of(live)}
            if k.startswith("child:")
        ]
        names = await document.unit_names(session, codes)
        changed = _frozen(book, report, live, names, t)
    book.save(out)
    return changed

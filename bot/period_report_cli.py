"""``binhdang period-report``: the report cycle's reports on a computer.

    binhdang period-report list --unit 51              # id, commune, period, state
    binhdang period-report export 12 --out tra-bong-2026.xlsx [--lang vi]

The export is the same workbook as /periodreport's XLSX button
(``storage.cycle.export.write_period_report``): the plan's table as
``binhdang report`` writes it, the narrative second, and the figures as
submitted with the corrections since."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.app import prepare_database
from bot.i18n import translator
from bot.services import Services
from bot.settings import Settings
from storage import cycle, units
from storage.cycle.export import write_period_report
from storage.models import PeriodReport
from storage.reports.periods import ReportCalendar, parse_month_day


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "period-report", help="six-month and annual reports: list them, export one as XLSX"
    )
    actions = parser.add_subparsers(dest="period_report_command", required=True)
    listing = actions.add_parser("list", help="the reports of the units under a unit")
    listing.add_argument("--unit", required=True, help="a province or commune code")
    export = actions.add_parser("export", help="write one report as XLSX")
    export.add_argument("id", type=int, help="the report's id (see list)")
    export.add_argument("--out", type=Path, required=True, help="the XLSX file to write")
    export.add_argument("--lang", help="language of the workbook (default: the bot's)")


async def _run(settings: Settings, args: argparse.Namespace) -> str:
    services = Services.from_settings(settings)
    await prepare_database(services)
    calendar = ReportCalendar(parse_month_day(settings.report_half_year_end))
    try:
        async with services.sessions() as session:
            if args.period_report_command == "list":
                unit = await units.get_by_code(session, args.unit)
                if unit is None:
                    raise ValueError(f"no unit has the code {args.unit}")
                found = await cycle.reports.reports_under(session, unit.path)
                return (
                    "\n".join(
                        f"{r.id}\t{u.code}\t{u.name}\t{r.kind.value}\t{r.year}\t{r.state.value}"
                        for r, u in found
                    )
                    or "no period reports"
                )
            report = await session.get(PeriodReport, args.id)
            if report is None:
                raise ValueError(f"no period report has the id {args.id}")
            now = services.clock()
            with args.out.open("wb") as out:
                changed = await write_period_report(
                    session,
                    report,
                    out,
                    translator(args.lang or settings.default_language),
                    today=now.astimezone(settings.zone).date(),
                    zone=settings.zone,
                    report_calendar=calendar,
                )
            return f"period report {report.id} written to {args.out} ({changed} corrections)"
    finally:
        await services.engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        print(asyncio.run(_run(settings, args)))
    except (OSError, ValueError) as exc:
        print(f"binhdang: {exc}", file=sys.stderr)
        return 1
    return 0

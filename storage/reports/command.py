"""``binhdang report``: the same summary, chart and files as /summary and
/export, for a coordinator who works on a computer.

    binhdang report --unit 51 --period 2024H1 --format xlsx --out quang-ngai.xlsx
    binhdang report --unit 51 --period 2024-11 --format json   # codes and figures

A progress bar appears on stderr when a report takes longer than a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.reports import areas, charts, document, exports, rollups
from storage.reports.labels import Translate
from storage.reports.periods import (
    MAX_PERIOD_YEARS,
    PeriodError,
    ReportCalendar,
    local_day,
    parse_period,
)
from storage.reports.render import summary_text
from storage.reports.report import build_report

FORMATS = ("text", "json", "xlsx", "csv", "png")
BAR = 30


def add_parser(commands: Any) -> None:
    """The ``report`` subcommand, added to the ``binhdang`` parser."""
    report = commands.add_parser(
        "report",
        help="a summary, chart or XLSX/CSV report of an area and a period",
        description="Summaries and reports, as /summary and /export give them in the bot.",
    )
    report.add_argument(
        "--unit", required=True, help="unit code (51, 21115, 21115-003), group:ID, or VN"
    )
    report.add_argument(
        "--period", required=True, help="2024H1, 2024H2, 2024Q3, 2024, 2024-11 or FROM:TO"
    )
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument("--out", type=Path, help="file to write (default: standard output)")
    report.add_argument("--lang", help="language of the report (default: the bot's)")
    report.add_argument(
        "--rebuild-rollups",
        action="store_true",
        help="recompute the monthly rollups from the activities first",
    )


class Progress:
    """A one-line progress bar on stderr, shown only once a second has gone
    by, so that quick reports print nothing but their result."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        delay: float = 1.0,
    ) -> None:
        self.stream = stream or sys.stderr
        self.clock = clock
        self.started = clock()
        self.delay = delay
        self.label = ""
        self.done = 0
        self.total = 0
        self.drawn = False
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last_line = ""

    def phase(self, label: str) -> None:
        self.label, self.done, self.total = label, 0, 0
        self.draw()

    def advance(self, done: int, total: int) -> None:
        self.done, self.total = done, max(total, done)
        self.draw()

    def draw(self) -> None:
        elapsed = self.clock() - self.started
        if elapsed < self.delay:
            return
        if self.total:
            filled = BAR * self.done // self.total
            bar = "#" * filled + "." * (BAR - filled)
            share = f"{100 * self.done // self.total:3d}% {self.done:,}/{self.total:,}"
        else:
            spin = int(elapsed * 4) % BAR
            bar = "." * spin + "#" + "." * (BAR - spin - 1)
            share = "    "
        if self.interactive:
            self.stream.write(f"\r[{bar}] {share} {self.label} {elapsed:5.1f} s ")
        else:
            # A log, not a terminal: one line per phase and per tenth done.
            line = f"{self.label} {10 * self.done // self.total * 10 if self.total else 0}%"
            if line == self.last_line:
                return
            self.last_line = line
            self.stream.write(f"{'' if not self.drawn else chr(10)}[{bar}] {share} {self.label}")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()

    async def tick(self, every: float = 0.25) -> None:
        """Redraw while a long step runs (a task the caller cancels)."""
        while True:
            await asyncio.sleep(every)
            self.draw()


@dataclass(frozen=True)
class Request:
    unit: str
    period: str
    format: str
    out: Path | None
    lang: str


class ReportError(Exception):
    """Bad arguments, said in one line."""


async def run(
    sessions: async_sessionmaker[AsyncSession],
    request: Request,
    t: Translate,
    *,
    zone: ZoneInfo,
    calendar: ReportCalendar,
    now: Any,
    rebuild: bool = False,
    progress: Progress | None = None,
    stdout: IO[bytes] | None = None,
) -> str:
    """Write the report; returns a one-line account of what was written."""
    try:
        period = parse_period(request.period, calendar)
    except PeriodError as error:
        if error.code == "length":
            raise ReportError(
                f"the period {request.period!r} is longer than {MAX_PERIOD_YEARS} years;"
                " choose a shorter one"
            ) from None
        raise ReportError(f"cannot read the period {request.period!r} ({error.code})") from None
    if request.format in ("xlsx", "png") and request.out is None:
        raise ReportError(f"--format {request.format} needs --out FILE")
    progress = progress or Progress()
    ticker = asyncio.create_task(progress.tick())
    try:
        if rebuild:
            progress.phase("rebuilding the rollups")
            async with sessions.begin() as session:
                await rollups.rebuild(session)
        async with sessions() as session:
            area = await areas.by_code(session, request.unit)
            if area is None:
                raise ReportError(f"no unit or group has the code {request.unit!r}")
            progress.phase("summary")
            today: date = local_day(now, zone)
            if request.format == "json":
                found = await document.summary_document(
                    session, area, period, today=today, zone=zone
                )
                return _write_json(found, request.out, stdout)
            report = await build_report(
                session,
                area,
                period,
                today=today,
                zone=zone,
                with_children=request.format == "xlsx",
            )
            return await _write(session, report, request, t, progress, stdout)
    finally:
        ticker.cancel()
        progress.finish()


async def _write(
    session: AsyncSession,
    report: Any,
    request: Request,
    t: Translate,
    progress: Progress,
    stdout: IO[bytes] | None,
) -> str:
    out_path = request.out
    target = stdout or sys.stdout.buffer
    name = f"{report.summary.place_name}, {report.period.code}"
    if request.format == "text":
        text = summary_text(report.summary, report.targets, report.completeness, t, html=False)
        data = (text + "\n").encode()
        if out_path is not None:
            out_path.write_bytes(data)
            return f"summary of {name} written to {out_path}"
        target.write(data)
        return ""
    if request.format == "png":
        progress.phase("chart")
        png = await asyncio.to_thread(charts.render_png, report.summary, report.targets, t)
        assert out_path is not None
        out_path.write_bytes(png)
        return f"chart of {name} written to {out_path} ({len(png) // 1024} kB)"
    progress.phase("activities")
    writer = exports.write_xlsx if request.format == "xlsx" else exports.write_csv
    if out_path is None:
        rows = await writer(session, report, target, t, progress.advance)
        return ""
    with out_path.open("wb") as fp:
        rows = await writer(session, report, fp, t, progress.advance)
    return f"{request.format.upper()} of {name}: {rows:,} activities written to {out_path}"


def _write_json(found: document.Document, out: Path | None, stdout: IO[bytes] | None) -> str:
    data = (json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    if out is None:
        (stdout or sys.stdout.buffer).write(data)
        return ""
    out.write_bytes(data)
    return f"JSON of {found['unit']}, {found['period']['code']} written to {out}"


def request_of(args: argparse.Namespace, default_language: str) -> Request:
    return Request(args.unit, args.period, args.format, args.out, args.lang or default_language)

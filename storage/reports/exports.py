"""Exports (xuất báo cáo): an XLSX workbook laid out like the official plan's
table (seed 004), with the breakdowns and the raw activities, and a CSV of the
raw activities. Raw rows are streamed from the database into openpyxl's
write-only workbook, so memory stays flat however many rows there are."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import re
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import String, false, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from storage.models import (
    Activity,
    ActivityKind,
    ActivityTopic,
    SessionLanguage,
    Topic,
    Unit,
    UnitLevel,
    User,
)
from storage.reports import areas
from storage.reports.aggregates import Counts
from storage.reports.areas import Area, AreaKind
from storage.reports.completeness import Completeness, Standing, everyone
from storage.reports.incidents import kind_name, status_name
from storage.reports.labels import (
    AUDIENCE_NAMES,
    FUNDING_NAMES,
    KIND_NAMES,
    LANGUAGE_NAMES,
    PRODUCT_NAMES,
    SUPPORT_NAMES,
    TOPIC_NAMES,
    Translate,
)
from storage.reports.periods import Period
from storage.reports.plan_lines import PlanLines
from storage.reports.render import day, definition, level_name, period_name, spec_name
from storage.reports.report import Report
from storage.reports.tally import activity_rows
from storage.reports.targets import Progress
from storage.text import defused

Progressed = Callable[[int, int], None]  # (rows done, rows expected)
BATCH = 2000
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
HEADER_FILL = PatternFill("solid", start_color="FFE0E0E0")
WRAP = Alignment(wrap_text=True, vertical="top")


class group_join(FunctionElement[str]):
    """Concatenate a column's values with commas: ``group_concat`` on SQLite,
    ``string_agg`` on PostgreSQL."""

    type = String()
    name = "group_join"
    inherit_cache = True


@compiles(group_join)
def _group_join_default(element: group_join, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(group_join, "sqlite")
def _group_join_sqlite(element: group_join, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


async def _place_names(session: AsyncSession, area: Area) -> dict[int, tuple[str, str, str]]:
    """(province, commune, village) names of every unit under the area."""
    query = select(Unit.id, Unit.path, Unit.name, Unit.level, Unit.code)
    if area.kind is AreaKind.UNIT:
        top = area.path.strip("/").split("/")[0]
        query = query.where(Unit.path.startswith(f"/{top}/", autoescape=True))
    elif area.kind is AreaKind.GROUP and area.id is not None:
        members = await areas.group_members(session, area.id)
        tops = {m.path.strip("/").split("/")[0] for m in members}
        query = query.where(or_(*(Unit.path.startswith(f"/{p}/") for p in tops), false()))
    rows = (await session.execute(query)).all()
    names = {code: name for _id, _path, name, _level, code in rows}
    found: dict[int, tuple[str, str, str]] = {}
    for unit_id, path, name, level, _code in rows:
        codes = path.strip("/").split("/")
        province = names.get(codes[0], "")
        commune = names.get(codes[1], "") if len(codes) > 1 else ""
        village = name if level is UnitLevel.VILLAGE else ""
        found[unit_id] = (province, commune, village)
    return found


_TOPIC_ORDER = {topic.value: n for n, topic in enumerate(Topic)}


@dataclass(frozen=True)
class RawLabels:
    """What a raw row's codes read as: places by unit id (province, commune,
    village), kinds, languages and topics in the reader's language."""

    places: dict[int, tuple[str, str, str]]
    kinds: dict[str, str]
    languages: dict[str, str]
    topics: dict[str, str]

    def row(
        self,
        id_: int,
        held_on: date,
        unit_id: int,
        kind: str,
        other: str | None,
        topics: list[str],
        language: str,
        ethnic: str | None,
        counts: tuple[int, int, int, int, int, int],
        reporter: str | None,
    ) -> tuple[Any, ...]:
        """The values of :func:`raw_header`'s columns; ``counts``: total,
        women, men, girls, boys, ethnic-minority participants."""
        found = sorted((v for v in topics if v in _TOPIC_ORDER), key=_TOPIC_ORDER.__getitem__)
        return (
            f"HD-{id_}",
            held_on,
            *self.places.get(unit_id, ("", "", "")),
            self.kinds.get(kind, kind),
            other or "",
            "; ".join(self.topics[v] for v in found),
            self.languages.get(language, language),
            ethnic or "",
            *counts,
            reporter or "",
        )


async def raw_labels(session: AsyncSession, area: Area, t: Translate) -> RawLabels:
    return RawLabels(
        await _place_names(session, area),
        {k.value: t(KIND_NAMES[k]) for k in ActivityKind},
        {v.value: t(LANGUAGE_NAMES[v]) for v in SessionLanguage},
        {topic.value: t(TOPIC_NAMES[topic]) for topic in Topic},
    )


async def raw_rows(
    session: AsyncSession, area: Area, start: date, end: date, t: Translate
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The live activities of the area and period in batches, oldest first,
    as the values of :func:`raw_header`'s columns: nothing personal beyond
    the reporter's display name (no notes, photos or voice notes)."""
    labels = await raw_labels(session, area, t)
    topics = (
        select(group_join(type_coerce(ActivityTopic.topic, String)))
        .where(ActivityTopic.activity_id == Activity.id)
        .scalar_subquery()
    )
    reporter = aliased(User)
    query, _place, _child = activity_rows(area, Period(start, end))
    query = (
        query.join(reporter, reporter.id == Activity.reporter_id)
        .add_columns(
            Activity.id,
            Activity.held_on,
            Activity.unit_id,
            type_coerce(Activity.kind, String),
            Activity.kind_other,
            topics,
            type_coerce(Activity.language, String),
            Activity.ethnic_language,
            Activity.total,
            Activity.women,
            Activity.men,
            Activity.girls,
            Activity.boys,
            Activity.ethnic_minority,
            reporter.display_name,
        )
        .order_by(Activity.held_on, Activity.id)
        .execution_options(yield_per=BATCH)
    )
    result = await session.stream(query)
    async for batch in result.partitions(BATCH):
        rows = []
        for row in batch:
            (id_, held_on, unit_id, kind, other, topic_text, language, ethnic, *rest) = row
            counts = (rest[0], rest[1], rest[2], rest[3], rest[4], rest[5])
            rows.append(
                labels.row(
                    id_,
                    held_on,
                    unit_id,
                    kind,
                    other,
                    (topic_text or "").split(","),
                    language,
                    ethnic,
                    counts,
                    rest[6],
                )
            )
        yield rows


def raw_header(t: Translate) -> list[str]:
    return [
        t("Reference"),
        t("Date"),
        t("Province"),
        t("Commune"),
        t("Village"),
        t("Kind of activity"),
        t("Other kind"),
        t("Topics"),
        t("Language"),
        t("Ethnic-minority language"),
        t("Participants"),
        t("Women"),
        t("Men"),
        t("Girls"),
        t("Boys"),
        t("Ethnic-minority participants"),
        t("Reported by"),
    ]


async def write_csv(
    session: AsyncSession,
    report: Report,
    out: IO[bytes],
    t: Translate,
    progress: Progressed | None = None,
) -> int:
    """The raw activities as CSV (UTF-8 with a BOM, so that Excel shows the
    accents). Returns the number of rows."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(raw_header(t))
    done = 0
    expected = report.summary.counts.sessions
    async for batch in raw_rows(session, report.area, report.period.start, report.period.end, t):
        writer.writerows(
            [row[0], row[1].isoformat(), *(_csv_value(v) for v in row[2:])] for row in batch
        )
        done += len(batch)
        if progress is not None:
            progress(done, expected)
    text.flush()
    text.detach()
    return done


def _csv_value(value: Any) -> Any:
    """Place names, the "other" kind, the reporter's name: user text, never a formula."""
    return defused(value) if isinstance(value, str) else value


# XLSX.
def _string_cells(sheet: WriteOnlyWorksheet, values: list[Any]) -> list[Any]:
    """Every text of a row as a string cell: openpyxl would otherwise write a
    text starting with ``=`` (a village named ``=1+2``, a Telegram name
    ``=HYPERLINK(…)``) as a formula. Nothing in these sheets is a formula."""
    cells = []
    for value in values:
        if isinstance(value, str):
            value = WriteOnlyCell(sheet, value=value)
        if isinstance(value, Cell) and value.data_type == "f":
            value.data_type = "s"
        cells.append(value)
    return cells


def _append(sheet: WriteOnlyWorksheet, values: list[Any]) -> None:
    sheet.append(_string_cells(sheet, values))


def _cell(sheet: WriteOnlyWorksheet, value: Any, font: Font | None = None, **style: Any) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _header(sheet: WriteOnlyWorksheet, titles: list[str]) -> None:
    _append(
        sheet, [_cell(sheet, title, BOLD, fill=HEADER_FILL, alignment=WRAP) for title in titles]
    )


def _counts_cells(counts: Counts) -> list[int]:
    return [
        counts.sessions,
        counts.total,
        counts.women,
        counts.men,
        counts.girls,
        counts.boys,
        counts.ethnic_minority,
    ]


def _counts_titles(t: Translate) -> list[str]:
    return [
        t("Sessions"),
        t("Participants"),
        t("Women"),
        t("Men"),
        t("Girls"),
        t("Boys"),
        t("Ethnic-minority participants"),
    ]


def _ratio_cell(sheet: WriteOnlyWorksheet, progress: Progress) -> Any:
    ratio = progress.ratio
    return _cell(sheet, ratio, number_format="0%") if ratio is not None else ""


def _targets_sheet(book: Workbook, report: Report, t: Translate) -> None:
    """Laid out like the plan's table: content, indicator, then target and
    achieved for the area, then for each child (commune)."""
    sheet = book.create_sheet(t("Targets"))
    targets = report.targets
    kids = [row.place for row in sorted(report.summary.children, key=lambda r: r.place.name)]
    sheet.column_dimensions["B"].width = 48
    sheet.column_dimensions["C"].width = 30
    _append(
        sheet,
        [
            _cell(
                sheet,
                t("Targets and results {year} – {place}").format(
                    year=targets.year, place=report.summary.place_name
                ),
                TITLE,
            )
        ],
    )
    _append(sheet, [t("Achieved from 1 January to {date}").format(date=day(targets.as_of, t))])
    _append(sheet, [])
    titles = [
        t("No."),
        t("Content"),
        t("Indicator"),
        t("{place}: target").format(place=report.area.name),
        t("Achieved"),
        "%",
    ]
    for kid in kids:
        titles += [t("{place}: target").format(place=kid.name), t("Achieved")]
    titles.append(t("Definition"))
    _header(sheet, titles)
    if not targets.lines:
        _append(sheet, ["", t("No targets are set for this year. Set them with /targets.")])
    for number, line in enumerate(targets.lines, start=1):
        top = line.area
        values: list[Any] = [
            number,
            _cell(sheet, line.label or spec_name(line.spec, None, t), alignment=WRAP),
            spec_name(line.spec, None, t),
            top.target if top.target is not None else "",
            top.achieved,
            _ratio_cell(sheet, top),
        ]
        for kid in kids:
            progress = line.children.get(kid.path)
            values += (
                [progress.target if progress.target is not None else "", progress.achieved]
                if progress is not None
                else ["", ""]
            )
        values.append(_cell(sheet, definition(line.spec, top.population, t), alignment=WRAP))
        _append(sheet, values)


def _plan_lines_sections(sheet: WriteOnlyWorksheet, found: PlanLines, t: Translate) -> None:
    """Communication products, and training classes by audience."""
    if found.products:
        _append(sheet, [_cell(sheet, t("Communication products"), BOLD)])
        _header(sheet, [t("Product"), t("Quantity")])
        for product, n in found.products.items():
            _append(sheet, [t(PRODUCT_NAMES[product]), n])
        _append(sheet, [])
    if found.classes:
        _append(sheet, [_cell(sheet, t("Training classes by audience"), BOLD)])
        _header(sheet, [t("Audience"), t("Classes"), t("Participants")])
        for audience, count in found.classes.items():
            name = t(AUDIENCE_NAMES[audience]) if audience else t("Audience not recorded")
            _append(sheet, [name, count.classes, count.participants])
        _append(sheet, [])


def _costs_section(sheet: WriteOnlyWorksheet, report: Report, t: Translate) -> None:
    """Costs in đồng by funding source, then by the next level down."""
    found, summary = report.summary.plan_lines, report.summary
    if not found.costs:
        return
    _append(sheet, [_cell(sheet, t("Costs by funding source (đồng)"), BOLD)])
    _header(sheet, [t("Funding source"), t("Cost")])
    for source, amount in found.costs.items():
        name = t(FUNDING_NAMES[source]) if source else t("Source not recorded")
        _append(sheet, [name, amount])
    _append(sheet, [t("Total"), found.cost_total])
    _append(sheet, [])
    _append(sheet, [_cell(sheet, t("Costs by unit (đồng)"), BOLD)])
    _header(sheet, [t("Place"), t("Code"), t("Cost")])
    for row in summary.children:
        if found.costs_by_child.get(row.place.path):
            _append(sheet, [row.place.name, row.place.code, found.costs_by_child[row.place.path]])
    own = found.costs_by_child.get(summary.area.path)
    if own:
        _append(sheet, [t("At {place} itself").format(place=summary.area.name), "", own])
    _append(sheet, [])


def _intakes_section(sheet: WriteOnlyWorksheet, report: Report, t: Translate) -> None:
    """Shelter intakes: how many, nights, each support, then by unit."""
    found, summary = report.summary.intakes, report.summary
    if not found.intakes:
        return
    _append(sheet, [_cell(sheet, t("Shelter intakes"), BOLD)])
    _append(sheet, [t("People taken in"), found.intakes])
    _append(sheet, [t("Nights"), found.nights])
    for support, n in found.support.items():
        _append(sheet, [t(SUPPORT_NAMES[support]), n])
    for row in summary.children:
        if found.by_child.get(row.place.path):
            _append(sheet, [row.place.name, found.by_child[row.place.path]])
    _append(sheet, [])


def _breakdown_sheet(book: Workbook, report: Report, done: Completeness, t: Translate) -> None:
    summary = report.summary
    sheet = book.create_sheet(t("Breakdowns"))
    sheet.column_dimensions["A"].width = 42
    _append(sheet, [_cell(sheet, summary.place_name, TITLE)])
    _append(sheet, [period_name(summary.period, t)])
    _append(sheet, [])

    def section(title: str, first: str, rows: list[tuple[str, Counts]]) -> None:
        _append(sheet, [_cell(sheet, title, BOLD)])
        _header(sheet, [first, *_counts_titles(t)])
        for name, counts in rows:
            _append(sheet, [name, *_counts_cells(counts)])
        _append(sheet, [])

    section(t("Total"), "", [(summary.place_name, summary.counts)])
    section(
        t("By kind of activity"),
        t("Kind of activity"),
        [(t(KIND_NAMES[k]), c) for k, c in summary.by_kind.items()],
    )
    _plan_lines_sections(sheet, summary.plan_lines, t)
    _costs_section(sheet, report, t)
    _intakes_section(sheet, report, t)
    section(
        t("By language"),
        t("Language"),
        [(t(LANGUAGE_NAMES[k]), c) for k, c in summary.by_language.items()],
    )
    section(
        t("By month"),
        t("Month"),
        [(f"{m.month:02d}/{m.year}", c) for m, c in summary.by_month.items()],
    )
    _append(sheet, [_cell(sheet, t("By topic"), BOLD)])
    _header(sheet, [t("Topic"), t("Sessions")])
    for topic, n in summary.by_topic.items():
        _append(sheet, [t(TOPIC_NAMES[topic]), n])
    _append(sheet, [])
    if summary.children:
        _append(sheet, [_cell(sheet, level_name(summary.child_level, t), BOLD)])
        _header(
            sheet,
            [t("Place"), t("Code"), *_counts_titles(t), t("Collaborators"), t("Logged sessions")],
        )
        for row in summary.children:
            _append(
                sheet,
                [
                    row.place.name,
                    row.place.code,
                    *_counts_cells(row.counts),
                    row.collaborators,
                    row.reporting,
                ],
            )
        if summary.own.sessions:
            _append(
                sheet,
                [
                    t("At {place} itself").format(place=summary.area.name),
                    "",
                    *_counts_cells(summary.own),
                ],
            )
        _append(sheet, [])
    _append(sheet, [_cell(sheet, t("Incidents"), BOLD)])
    incidents = summary.incidents
    if not incidents.available:
        _append(sheet, [t("No incident data yet.")])
    else:
        _append(sheet, [t("Incidents"), incidents.total])
        for kind, n in incidents.by_kind.items():
            _append(sheet, [kind_name(kind, t), n])
        for status, n in incidents.by_status.items():
            _append(sheet, [status_name(status, t), n])
        if incidents.median_to_acknowledge is not None:
            _append(
                sheet,
                [
                    t("Median hours to first acknowledgement"),
                    round(incidents.median_to_acknowledge.total_seconds() / 3600, 1),
                ],
            )
        if incidents.escalated_share is not None:
            _append(
                sheet, [t("Escalated"), _cell(sheet, incidents.escalated_share, number_format="0%")]
            )
    _append(sheet, [])
    _append(sheet, [t("Trusted addresses active on the bot"), summary.trusted_addresses])
    _append(sheet, [])
    _append(sheet, [_cell(sheet, t("Completeness"), BOLD)])
    _header(sheet, [t("Collaborator"), t("Place"), t("Standing")])
    standing_names = {
        Standing.REPORTED: t("Logged sessions"),
        Standing.DECLARED_NONE: t("Said there was no activity"),
        Standing.SILENT: t("Silent"),
    }
    for person in done.collaborators:
        _append(sheet, [person.display_name, person.place.name, standing_names[person.standing]])
    _append(sheet, [])
    for title, places in (
        (t("Communes with nothing logged"), done.silent_communes),
        (t("Villages with nothing logged"), done.silent_villages),
    ):
        _append(sheet, [_cell(sheet, title, BOLD), len(places)])
        for place in places:
            _append(sheet, [place.name, place.code])
        _append(sheet, [])


async def write_xlsx(
    session: AsyncSession,
    report: Report,
    out: IO[bytes],
    t: Translate,
    progress: Progressed | None = None,
    *,
    listed: Activities | None = None,
) -> int:
    """Targets, breakdowns and raw activities, written to ``out``. The report
    should be built ``with_children`` so that each commune's targets show.
    Returns the number of raw rows. ``listed``: other rows than the live
    ones of the report's area and period (a submitted period report's, as
    submitted), with the titles of the columns they have beyond
    :func:`raw_header`'s, which are text.

    openpyxl lays out the first two sheets and the header of the third; the
    rows of activities (tens of thousands for a province) are then streamed
    straight into that sheet's XML in the zip, which is many times faster
    than a cell object per value and keeps memory flat."""
    book = Workbook(write_only=True)
    _targets_sheet(book, report, t)
    # Every collaborator by name: the report itself only counts those who logged.
    _breakdown_sheet(book, report, await everyone(session, report.completeness), t)
    sheet = book.create_sheet(t("Activities"))
    _header(sheet, raw_header(t) + (listed.titles if listed is not None else []))
    # A probe row, replaced below, that makes openpyxl create the date style.
    sheet.append(["", _cell(sheet, date(2000, 1, 1), number_format="DD/MM/YYYY")])
    template = io.BytesIO()
    book.save(template)
    template.seek(0)
    activities = f"xl/worksheets/sheet{len(book.sheetnames)}.xml"
    done = 0
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename != activities:
                target.writestr(item, source.read(item.filename))
                continue
            xml = source.read(item.filename).decode("utf-8")
            head, rest = xml.split("<sheetData>", 1)
            header = rest[: rest.index("</row>") + len("</row>")]
            tail = rest[rest.index("</sheetData>") :]
            style = re.search(r'<c r="B2" s="(\d+)"', rest)
            date_style = style[1] if style else "0"
            head = re.sub(r"<dimension [^>]*/>", "", head)
            with target.open(item.filename, "w") as stream:
                stream.write(f"{head}<sheetData>{header}".encode())
                rows = (
                    listed.rows
                    if listed is not None
                    else raw_rows(session, report.area, report.period.start, report.period.end, t)
                )
                done = await _stream_rows(report, rows, stream, date_style, progress)
                stream.write(tail.encode())
    return done


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EPOCH = date(1899, 12, 30)
# What each column of :func:`raw_header` holds.
_TEXT, _DATE, _NUMBER = "t", "d", "n"
_KINDS = [_TEXT, _DATE, *[_TEXT] * 8, *[_NUMBER] * 6, _TEXT]


def _xml_text(value: Any) -> str:
    return html.escape(_ILLEGAL.sub("", str(value)), quote=False)


def _xml_row(number: int, values: tuple[Any, ...], date_style: str) -> str:
    """One ``<row>`` of sheet XML: inline strings, numbers, and the date as an
    Excel serial day with the date style."""
    cells = []
    kinds = _KINDS + [_TEXT] * (len(values) - len(_KINDS))
    letters = [get_column_letter(i) for i in range(1, len(values) + 1)]
    for column, kind, value in zip(letters, kinds, values, strict=True):
        if value is None or value == "":
            continue
        if kind is _NUMBER:
            cells.append(f'<c r="{column}{number}"><v>{int(value)}</v></c>')
        elif kind is _DATE:
            serial = (value - _EPOCH).days
            cells.append(f'<c r="{column}{number}" s="{date_style}"><v>{serial}</v></c>')
        else:
            cells.append(
                f'<c r="{column}{number}" t="inlineStr"><is><t>{_xml_text(value)}</t></is></c>'
            )
    return f'<row r="{number}">{"".join(cells)}</row>'


@dataclass(frozen=True)
class Activities:
    """Rows for the activities sheet in batches, each row the values of
    :func:`raw_header`'s columns and then of ``titles``' (text)."""

    rows: AsyncIterator[list[tuple[Any, ...]]]
    titles: list[str]


async def _stream_rows(
    report: Report,
    rows: AsyncIterator[list[tuple[Any, ...]]],
    stream: IO[bytes],
    date_style: str,
    progress: Progressed | None,
) -> int:
    done = 0
    expected = report.summary.counts.sessions
    async for batch in rows:
        first = done + 2
        xml = "".join(_xml_row(n, row, date_style) for n, row in enumerate(batch, start=first))
        stream.write(xml.encode())
        done += len(batch)
        if progress is not None:
            progress(done, expected)
        await asyncio.sleep(0)  # let the bot answer others while a big export runs
    return done

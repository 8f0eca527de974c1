"""Exports hold user text as data: no XLSX cell is a formula, no CSV field
starts a formula without the ``'`` prefix (issue 13, OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import openpyxl

from bot.i18n import translator
from storage import trusted_addresses, units
from storage.models import ActivityKind, Role
from storage.reports import areas, exports, targets
from storage.reports.periods import parse_period
from storage.reports.report import build_report
from storage.text import FORMULA_STARTS, defused, restored, starts_like_formula
from storage.trusted_addresses import AddressData, csvfile
from tests.storage.helpers import person, profile, tra_bong
from tests.storage.reports_data import activity, log, member

LINK = '=HYPERLINK("http://evil.example/x","CLICK")'
NOW = datetime(2024, 6, 20, tzinfo=UTC)


async def _hostile_report(session):
    commune, province = await tra_bong(session)
    village = await units.add_village(session, commune, "=1+2")
    lan = await member(session, village)
    lan.display_name = LINK
    await log(
        session,
        activity(village, lan, date(2024, 5, 31), kind=ActivityKind.OTHER, kind_other="=2*3"),
        activity(commune, lan, date(2024, 6, 1)),
    )
    boss = await profile(session, await person(session, 5, Role.PROVINCE_COORDINATOR, province))
    await targets.import_csv(
        session, boss, targets.SEED_004_CSV.format(area=commune.code, population=100)
    )
    return await build_report(
        session,
        areas.unit_area(province),
        parse_period("2024H1"),
        today=date(2024, 6, 20),
        zone=NOW.tzinfo,
        with_children=True,
    )


async def test_no_cell_of_the_workbook_is_a_formula(session):
    report = await _hostile_report(session)
    out = io.BytesIO()
    await exports.write_xlsx(session, report, out, translator("en"))
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert LINK in values and "=1+2" in values and "=2*3" in values  # kept, as text


async def test_no_csv_field_starts_a_formula(session):
    report = await _hostile_report(session)
    out = io.BytesIO()
    await exports.write_csv(session, report, out, translator("en"))
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    fields = [f for row in rows for f in row]
    assert not [f for f in fields if f.startswith(FORMULA_STARTS)]
    assert "'" + LINK in fields and "'=1+2" in fields and "'=2*3" in fields


async def test_the_directory_csv_defuses_and_reads_back(session):
    commune, _ = await tra_bong(session)
    await trusted_addresses.create(
        session,
        None,
        AddressData(name="@Nhà chị Lan", unit_ids=[commune.id], address="-Thôn 3", hours="24/7"),
        NOW,
    )
    out = io.StringIO()
    await csvfile.export_csv(session, out)
    fields = [f for row in csv.reader(io.StringIO(out.getvalue())) for f in row]
    assert not [f for f in fields if f.startswith(FORMULA_STARTS)]
    assert "'@Nhà chị Lan" in fields and "'-Thôn 3" in fields
    done = await csvfile.import_csv(session, io.StringIO(out.getvalue()), NOW)
    assert done.updated == 1
    again = io.StringIO()
    await csvfile.export_csv(session, again)
    assert again.getvalue() == out.getvalue()  # the prefix is not doubled


def test_defusing_and_the_input_check():
    for text in ("=1+2", "+84", "-5", "@SUM(A1)", "\tx", "\rx"):
        assert defused(text) == "'" + text and restored(defused(text)) == text
    assert defused("Thôn 3") == "Thôn 3" and restored("'quoted") == "'quoted"
    assert starts_like_formula(" =1+2") and not starts_like_formula("Thôn =3")


def test_activity_texts_that_start_a_formula_are_refused():
    import pytest

    from storage.activities import rules

    for call in (
        lambda: rules.clean_text("=2*3", "kind_other", 200),
        lambda: rules.clean_note("@SUM(A1)"),
    ):
        with pytest.raises(rules.ActivityProblem) as caught:
            call()
        assert caught.value.problem is rules.Problem.TEXT_FORMULA
    assert rules.clean_note("Họp dân - 20 người") == "Họp dân - 20 người"


def test_a_note_written_as_a_list_is_accepted_and_real_formulas_are_not():
    import pytest

    from storage.activities import rules

    listed = "- 3 chị em tham gia\n- 2 cháu được tư vấn"
    assert rules.clean_note(listed) == listed
    assert rules.clean_note("+ họp thôn\n+ phát tờ rơi") == "+ họp thôn\n+ phát tờ rơi"
    assert rules.clean_note("  -   Tổ dệt") == "-   Tổ dệt"
    for text in ("-5", "- =1+2", "+ @SUM(A1)", "-  -1", "+84 912", "=A1", "- ", "-\tx"):
        with pytest.raises(rules.ActivityProblem) as caught:
            rules.clean_note(text)
        assert caught.value.problem in (rules.Problem.TEXT_FORMULA, rules.Problem.TEXT_EMPTY)
    # Names stay strict: a list is not a name.
    with pytest.raises(rules.ActivityProblem):
        rules.clean_text("- Tổ dệt", "kind_other", 200)
    # An export still writes such text as data.
    assert defused(listed) == "'" + listed and restored(defused(listed)) == listed


async def test_text_written_as_a_list_is_data_in_both_exports(session):
    commune, _province = await tra_bong(session)
    lan = await member(session, commune)
    await log(
        session,
        activity(commune, lan, date(2024, 6, 1), kind=ActivityKind.OTHER, kind_other="- họp thôn"),
    )
    report = await build_report(
        session,
        areas.unit_area(commune),
        parse_period("2024H1"),
        today=date(2024, 6, 20),
        zone=NOW.tzinfo,
        with_children=True,
    )
    out = io.BytesIO()
    await exports.write_csv(session, report, out, translator("en"))
    fields = [f for row in csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))) for f in row]
    assert not [f for f in fields if f.startswith(FORMULA_STARTS)]
    assert "'- họp thôn" in fields
    book_out = io.BytesIO()
    await exports.write_xlsx(session, report, book_out, translator("en"))
    book = openpyxl.load_workbook(io.BytesIO(book_out.getvalue()))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "- họp thôn" in {c.value for c in cells}

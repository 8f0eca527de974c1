"""Kinds, products and audiences the local plans name (issue 16): parsed,
stored, corrected, and counted in summaries and in the spreadsheet."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from bot.i18n import translator
from storage import activities, audit, units
from storage.activities import ActivityProblem, Problem
from storage.models import (
    Activity,
    ActivityKind,
    ActivityProduct,
    ProductKind,
    Role,
    TrainingAudience,
)
from storage.reports import areas, exports
from storage.reports.periods import parse_period
from storage.reports.render import summary_text
from storage.reports.report import build_report
from tests.storage.helpers import person, profile, tra_bong
from tests.storage.reports_data import activity, log, member

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to-roi=200, ap-phich 10", {ProductKind.LEAFLET: 200, ProductKind.POSTER: 10}),
        ("tờ rơi 1.200; Pa nô 2, băng rôn: 3", {ProductKind.LEAFLET: 1200, ProductKind.PANEL: 5}),
        ("video 1 + Sổ tay 50", {ProductKind.VIDEO: 1, ProductKind.HANDBOOK: 50}),
        ("to-roi 0", {}),
    ],
)
def test_products_as_people_type_them(text, expected):
    assert activities.parse_products(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tờ rơi", Problem.PRODUCT_WITHOUT_NUMBER),
        ("bánh chưng 3", Problem.UNKNOWN_PRODUCT),
        ("🙂", Problem.UNKNOWN_PRODUCT),
        ("to-roi 2000000", Problem.TOO_LARGE),
    ],
)
def test_products_that_are_refused(text, problem):
    with pytest.raises(ActivityProblem) as caught:
        activities.parse_products(text)
    assert caught.value.problem is problem


def test_audiences_and_the_new_kinds_by_code():
    assert activities.parse_audience("Trưởng-thôn") is TrainingAudience.VILLAGE_HEADS
    assert activities.parse_audience("ton-giao") is TrainingAudience.RELIGIOUS_LEADERS
    with pytest.raises(ActivityProblem):
        activities.parse_audience("mọi người")
    assert activities.parse_kind("cd")[0] is ActivityKind.VISUAL_CAMPAIGN
    assert activities.parse_kind("Mít-tinh")[0] is ActivityKind.LAUNCH_CEREMONY
    assert activities.parse_kind("tgpl")[0] is ActivityKind.LEGAL_AID
    assert activities.parse_kind("hoi-thao")[0] is ActivityKind.SEMINAR
    assert activities.parse_kind("trien-lam")[0] is ActivityKind.EXHIBITION
    assert activities.parse_kind("giam-sat")[0] is ActivityKind.SUPERVISION
    assert activities.parse_kind("mo-hinh")[0] is ActivityKind.GOOD_MODEL


def test_one_line_takes_products_and_audience_before_the_note():
    line = activities.parse_one_line(
        "th 19/11 20/10/10/0/0/5 bdg dt:Cor hv:uy-tin sp:so-tay=20 lớp ở nhà văn hóa", TODAY, 60
    )
    assert line.problems == []
    assert line.values["audience"] == "respected_persons"
    assert line.values["products"] == {"handbook": 20}
    assert line.values["ethnic_language"] == "Cor"
    assert line.values["note"] == "lớp ở nhà văn hóa"
    # A banner campaign may count nobody; a wrong product is explained, the rest kept.
    line = activities.parse_one_line("cd 19/11 0 bdg sp:keo=3 treo băng rôn", TODAY, 60)
    assert [p.problem for p in line.problems] == [Problem.UNKNOWN_PRODUCT]
    assert line.values["participants"] == {"total": 0}
    assert line.values["note"] == "treo băng rôn"


def _values(**overrides):
    values = {
        "kind": "training",
        "held_on": "2026-11-19",
        "unit_id": 1,
        "participants": {
            "total": 30,
            "women": 20,
            "men": 10,
            "girls": 0,
            "boys": 0,
            "ethnic_minority": 25,
        },
        "topics": ["gender_equality"],
        "language": "vi",
        "audience": "village_heads",
        "products": {"handbook": 30},
    }
    values.update(overrides)
    return values


def test_the_audience_goes_with_a_class_only():
    data = activities.validate(_values(kind="direct"), TODAY, 60)
    assert data.audience is None and data.products == {ProductKind.HANDBOOK: 30}
    data = activities.validate(_values(), TODAY, 60)
    assert data.audience is TrainingAudience.VILLAGE_HEADS


async def test_stored_corrected_and_audited(session):
    commune, _province = await tra_bong(session)
    village = await units.add_village(session, commune, "Thôn 1")
    reporter = await profile(session, await person(session, 20, Role.COLLABORATOR, village))
    data = activities.validate(_values(unit_id=village.id), TODAY, 60)
    saved = await activities.create(session, reporter, data, "p1", NOW)
    stored = await session.get(Activity, saved.activity_id)
    assert stored.audience is TrainingAudience.VILLAGE_HEADS
    assert stored.products == {ProductKind.HANDBOOK: 30}
    assert activities.draft_values(stored)["products"] == {"handbook": 30}
    corrected = activities.validate(
        _values(unit_id=village.id, products={"handbook": 25, "leaflet": 100}), TODAY, 60
    )
    changes = await activities.update(session, reporter, saved.activity_id, corrected, NOW)
    assert changes == {"products": [{"handbook": 30}, {"leaflet": 100, "handbook": 25}]}
    rows = (await session.execute(select(ActivityProduct.product, ActivityProduct.quantity))).all()
    assert sorted(rows, key=str) == sorted(
        [(ProductKind.HANDBOOK, 25), (ProductKind.LEAFLET, 100)], key=str
    )
    trail = await audit.history(session, "activity", saved.activity_id)
    assert trail[0].details["products"] == {"handbook": 30}
    assert trail[0].details["audience"] == "village_heads"


async def test_summary_and_spreadsheet_count_the_new_lines(session):
    commune, _province = await tra_bong(session)
    village = await units.add_village(session, commune, "Thôn 1")
    someone = await member(session, village)
    campaign = activity(village, someone, date(2024, 3, 20), ActivityKind.VISUAL_CAMPAIGN, 0, 0)
    campaign.product_links = [
        ActivityProduct(product=ProductKind.PANEL, quantity=4),
        ActivityProduct(product=ProductKind.POSTER, quantity=30),
    ]
    launch = activity(village, someone, date(2024, 6, 1), ActivityKind.LAUNCH_CEREMONY, 60, 40)
    launch.product_links = [ActivityProduct(product=ProductKind.POSTER, quantity=10)]
    heads = activity(village, someone, date(2024, 4, 2), ActivityKind.TRAINING, 12, 18)
    heads.audience = TrainingAudience.VILLAGE_HEADS
    older = activity(village, someone, date(2024, 4, 3), ActivityKind.TRAINING, 5, 5)
    mediation = activity(village, someone, date(2024, 5, 3), ActivityKind.LEGAL_AID, 2, 2)
    await log(session, campaign, launch, heads, older, mediation)
    report = await build_report(
        session, areas.unit_area(commune), parse_period("2024H1"), today=date(2024, 7, 1), zone=ZONE
    )
    lines = report.summary.plan_lines
    assert lines.products == {ProductKind.POSTER: 40, ProductKind.PANEL: 4}
    assert [(a, c.classes, c.participants) for a, c in lines.classes.items()] == [
        (TrainingAudience.VILLAGE_HEADS, 1, 30),
        (None, 1, 10),
    ]
    assert report.summary.by_kind[ActivityKind.VISUAL_CAMPAIGN].sessions == 1
    vi = translator("vi")
    text = summary_text(report.summary, report.targets, report.completeness, vi, html=False)
    assert "• Cổ động trực quan (băng rôn, pa nô, áp phích): 1 buổi" in text
    assert "• Lễ phát động, mít tinh: 1 buổi, 100 người tham gia" in text
    assert "• Trợ giúp pháp lý, hòa giải ở cơ sở: 1 buổi" in text
    assert "Áp phích, tranh cổ động: 40 · Pa nô, băng rôn, khẩu hiệu: 4" in text
    assert "• Trưởng thôn, cán bộ thôn, tổ: 1 lớp, 30 người tham gia" in text
    assert "• Chưa ghi đối tượng: 1 lớp, 10 người tham gia" in text
    out = io.BytesIO()
    await exports.write_xlsx(session, report, out, vi)
    rows = list(openpyxl.load_workbook(out)["Chi tiết"].iter_rows(values_only=True))
    named = {r[0]: r[1:4] for r in rows if r[0]}
    assert named["Áp phích, tranh cổ động"][0] == 40
    assert named["Pa nô, băng rôn, khẩu hiệu"][0] == 4
    assert named["Trưởng thôn, cán bộ thôn, tổ"] == (1, 30, None)
    assert named["Cổ động trực quan (băng rôn, pa nô, áp phích)"][0] == 1  # sessions by kind

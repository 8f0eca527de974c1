"""Summaries: periods, figures over the unit subtree, the rollups that the
triggers keep, groups of communes, completeness and "no activity" declarations."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import delete, func, select

from bot.i18n import translator
from storage import units
from storage.models import (
    Activity,
    ActivityKind,
    ActivityRollup,
    ActivityTopic,
    ContactMode,
    Incident,
    IncidentKind,
    IncidentStatus,
    NoActivityReport,
    Occurred,
    ReporterMonth,
    Role,
    SessionLanguage,
    Topic,
    TopicRollup,
    Unit,
    UnitLevel,
)
from storage.reports import areas, exports, periods, rollups
from storage.reports.aggregates import summarize
from storage.reports.completeness import (
    Declared,
    Standing,
    completeness,
    declare_no_activity,
    month_of,
)
from storage.reports.periods import Period, PeriodError, ReportCalendar, local_day, parse_period
from storage.reports.render import summary_text
from storage.reports.report import build_report
from tests.storage.helpers import person, place, profile, tra_bong
from tests.storage.reports_data import activity, log, member, villages

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


# Periods.
@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024H1", date(2024, 1, 1), date(2024, 6, 5)),
        ("2024h2", date(2024, 6, 6), date(2024, 12, 31)),
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("2024-11", date(2024, 11, 1), date(2024, 11, 30)),
        ("2/2024", date(2024, 2, 1), date(2024, 2, 29)),
        ("2024Q3", date(2024, 7, 1), date(2024, 9, 30)),
        ("2024-01-15:2024-03-10", date(2024, 1, 15), date(2024, 3, 10)),
        ("15/01/2024 - 10/03/2024", date(2024, 1, 15), date(2024, 3, 10)),
        ("20240115-20240310", date(2024, 1, 15), date(2024, 3, 10)),
    ],
)
def test_periods_parse(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert parse_period(period.token) == period


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2024-13", "range"),
        ("soon", "format"),
        ("2024-05-01:2024-04-01", "order"),
        ("1999", "range"),
        ("2000-01-01:2100-12-31", "length"),
        ("01/01/2020 - 01/01/2025", "length"),
        ("C20200229-20250301", "length"),
    ],
)
def test_bad_periods_say_why(text, code):
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    assert caught.value.code == code


def test_a_typed_period_is_at_most_five_years_long():
    assert periods.MAX_PERIOD_YEARS == 5
    longest = parse_period("2020-01-01:2024-12-31")
    assert (longest.start, longest.end) == (date(2020, 1, 1), date(2024, 12, 31))
    assert parse_period("29/02/2020 - 28/02/2025").end == date(2025, 2, 28)
    assert parse_period(longest.token) == longest


def test_half_year_end_is_configurable_and_named_periods():
    calendar = ReportCalendar(periods.parse_month_day("30/6"))
    assert parse_period("2024H1", calendar).end == date(2024, 6, 30)
    today = date(2026, 1, 20)
    assert periods.named_period("last_month", today).code == "2025-12"
    assert periods.named_period("last_quarter", today).code == "2025Q4"
    assert periods.named_period("this_quarter", today).code == "2026Q1"
    assert periods.named_period("half", today).code == "2026H1"


def test_local_day_and_utc_bounds_are_exact_in_hanoi():
    late_may = datetime(2024, 5, 31, 16, 30, tzinfo=UTC)  # 23:30 on 31 May in Hanoi
    may, june = periods.month_period(2024, 5), periods.month_period(2024, 6)
    assert local_day(late_may, ZONE) in may
    assert local_day(late_may, ZONE) not in june
    begin, finish = may.utc_bounds(ZONE)
    assert begin == datetime(2024, 4, 30, 17, 0, tzinfo=UTC)
    assert begin <= late_may < finish
    assert finish == datetime(2024, 5, 31, 17, 0, tzinfo=UTC)


def test_split_into_whole_months_and_edges():
    parts = rollups.split(parse_period("2024H1"))
    assert (parts.first, parts.last) == (date(2024, 1, 1), date(2024, 5, 1))
    assert parts.edges == (Period(date(2024, 6, 1), date(2024, 6, 5)),)
    inside = rollups.split(Period(date(2024, 3, 3), date(2024, 3, 9)))
    assert inside.first is None and inside.edges == (Period(date(2024, 3, 3), date(2024, 3, 9)),)


# Summaries.
async def _commune_with_data(session):
    commune, province = await tra_bong(session)
    v1, v2, v3 = await villages(session, commune, 3)
    lan, hoa = await member(session, v1), await member(session, v2)
    await member(session, v3, Role.TEAM_MEMBER)
    await log(
        session,
        activity(v1, lan, date(2024, 5, 31), women=20, men=10, girls=3, boys=2, ethnic=30),
        activity(
            v1,
            lan,
            date(2024, 6, 1),
            kind=ActivityKind.POLICY_DIALOGUE,
            topics=(Topic.CHILD_MARRIAGE, Topic.HOME_BIRTH),
            language=SessionLanguage.ETHNIC,
        ),
        activity(commune, hoa, date(2024, 3, 3), kind=ActivityKind.TRAINING),
        activity(v2, hoa, date(2024, 3, 4), deleted=True),
        activity(v2, hoa, date(2023, 12, 31)),
    )
    return commune, province, (v1, v2, v3)


async def test_summary_of_a_commune(session):
    commune, _province, (_v1, _v2, _v3) = await _commune_with_data(session)
    summary = await summarize(session, areas.unit_area(commune), parse_period("2024H1"), ZONE)
    assert (summary.counts.sessions, summary.counts.total) == (3, 65)
    assert (summary.counts.women, summary.counts.girls, summary.counts.ethnic_minority) == (
        40,
        3,
        30,
    )
    assert {k: c.sessions for k, c in summary.by_kind.items()} == {
        ActivityKind.DIRECT: 1,
        ActivityKind.POLICY_DIALOGUE: 1,
        ActivityKind.TRAINING: 1,
    }
    assert summary.by_topic == {
        Topic.GENDER_EQUALITY: 2,
        Topic.CHILD_MARRIAGE: 1,
        Topic.HOME_BIRTH: 1,
    }
    # The most first; equal figures in the order of the lists (the database
    # returns the groups in no defined order; SQLite sorts their values).
    assert list(summary.by_kind) == [
        ActivityKind.DIRECT,
        ActivityKind.TRAINING,
        ActivityKind.POLICY_DIALOGUE,
    ]
    assert list(summary.by_topic) == [Topic.GENDER_EQUALITY, Topic.CHILD_MARRIAGE, Topic.HOME_BIRTH]
    assert summary.by_language[SessionLanguage.ETHNIC].sessions == 1
    assert summary.by_month[date(2024, 5, 1)].total == 35
    assert summary.by_month[date(2024, 6, 1)].sessions == 1  # 1 June is before 5 June
    # Gaps first: no session and nobody reporting, then no session, then the
    # busy village; what was logged at the commune itself is apart.
    assert [r.place.name for r in summary.children] == ["Thôn 3", "Thôn 2", "Thôn 1"]
    assert summary.children[-1].counts.sessions == 2
    assert summary.own.sessions == 1
    assert (summary.collaborators, summary.reporting) == (3, 2)
    assert summary.place_name == "Xã Trà Bồng, Quảng Ngãi"
    assert not summary.incidents.available or summary.incidents.total == 0


def _incident(unit: Unit, n: int, kind: IncidentKind, status: IncidentStatus) -> Incident:
    reported = datetime(2024, 3, 1, 3, n, tzinfo=UTC)
    return Incident(
        code=f"BD-R{n:03d}",
        submission_key=f"reports-{n}",
        kind=kind,
        status=status,
        occurred=Occurred.TODAY,
        unit_id=unit.id,
        contact=ContactMode.ANONYMOUS,
        escalated=False,
        reported_at=reported,
        acknowledged_at=None if status is IncidentStatus.NEW else reported,
        updated_at=reported,
    )


async def test_incident_types_and_statuses_are_named_in_the_readers_language(session):
    commune, _province, (v1, _v2, _v3) = await _commune_with_data(session)
    session.add_all(
        [
            _incident(v1, 1, IncidentKind.DOMESTIC_VIOLENCE, IncidentStatus.NEW),
            _incident(v1, 2, IncidentKind.DOMESTIC_VIOLENCE, IncidentStatus.TAKEN),
            _incident(commune, 3, IncidentKind.TRAFFICKING, IncidentStatus.NEW),
        ]
    )
    await session.flush()
    report = await build_report(
        session,
        areas.unit_area(commune),
        parse_period("2024H1"),
        today=date(2024, 6, 20),
        zone=ZONE,
    )
    assert report.summary.incidents.total == 3
    vi, en = translator("vi"), translator("en")
    text = summary_text(report.summary, report.targets, report.completeness, vi, html=False)
    assert "Bạo lực gia đình 2, Mua bán người 1" in text
    assert "Đang chờ người tiếp nhận 2, Đã tiếp nhận 1" in text
    english = summary_text(report.summary, report.targets, report.completeness, en, html=False)
    assert "Domestic violence 2, Human trafficking 1" in english
    assert "Waiting for a responder 2, Taken 1" in english
    assert "domestic_violence" not in text + english and "new 2" not in text + english
    out = io.BytesIO()
    await exports.write_xlsx(session, report, out, vi)
    rows = list(openpyxl.load_workbook(out)["Chi tiết"].iter_rows(values_only=True))
    named = {r[0]: r[1] for r in rows if r[0]}
    assert named["Bạo lực gia đình"] == 2 and named["Mua bán người"] == 1
    assert named["Đang chờ người tiếp nhận"] == 2 and named["Đã tiếp nhận"] == 1
    assert not {"domestic_violence", "trafficking", "new", "taken"} & set(named)


async def test_incident_types_of_the_same_count_are_in_the_order_of_the_list(session):
    commune, _province, (v1, _v2, _v3) = await _commune_with_data(session)
    session.add_all(
        [
            _incident(v1, 1, IncidentKind.CHILD_MARRIAGE, IncidentStatus.NEW),
            _incident(v1, 2, IncidentKind.SEXUAL_VIOLENCE, IncidentStatus.NEW),
            _incident(v1, 3, IncidentKind.DOMESTIC_VIOLENCE, IncidentStatus.NEW),
            _incident(commune, 4, IncidentKind.DOMESTIC_VIOLENCE, IncidentStatus.TAKEN),
        ]
    )
    await session.flush()
    summary = await summarize(session, areas.unit_area(commune), parse_period("2024H1"), ZONE)
    assert list(summary.incidents.by_kind.items()) == [
        ("domestic_violence", 2),
        ("sexual_violence", 1),
        ("child_marriage", 1),
    ]


async def test_the_province_and_the_country_add_up_from_the_rollups(session):
    _commune, province, _ = await _commune_with_data(session)
    other = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    far = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    someone = await member(session, other)
    await log(
        session,
        activity(other, someone, date(2024, 2, 10), women=7, men=0),
        activity(far, someone, date(2024, 2, 11), women=1, men=1),
    )
    period = parse_period("2024H1")
    for area in (areas.unit_area(province), areas.COUNTRY):
        fast = await summarize(session, area, period, ZONE)
        slow = await summarize(session, area, period, ZONE, rollups=False)
        assert fast == slow
    summary = await summarize(session, areas.unit_area(province), period, ZONE)
    assert summary.counts.sessions == 4
    rows = {r.place.name: r.counts.sessions for r in summary.children}
    assert (rows["Xã Trà Bồng"], rows["Xã Bình Sơn"], rows["Xã Tây Trà Bồng"]) == (3, 1, 0)
    assert sum(r.counts.total for r in summary.children) + summary.own.total == summary.counts.total
    nation = await summarize(session, areas.COUNTRY, period, ZONE)
    assert nation.counts.sessions == 5
    assert {r.place.name: r.counts.sessions for r in nation.children if r.counts.sessions} == {
        "Quảng Ngãi": 4,
        "Quảng Trị": 1,
    }
    assert len(nation.children) == 34


async def test_edits_and_deletions_move_the_rollups(session):
    _commune, province, (_v1, _v2, _v3) = await _commune_with_data(session)
    area, year = areas.unit_area(province), parse_period("2024")
    before = await summarize(session, area, year, ZONE)
    row = await session.scalar(select(Activity).where(Activity.held_on == date(2024, 5, 31)))
    row.women, row.total = 25, 40
    row.kind = ActivityKind.STAGED
    await session.flush()
    after = await summarize(session, area, year, ZONE)
    assert after.counts.total == before.counts.total + 5
    assert ActivityKind.DIRECT not in after.by_kind
    assert after.by_kind[ActivityKind.STAGED].women == 25
    row.held_on = date(2024, 8, 1)
    row.topic_links = [ActivityTopic(topic=Topic.TRAFFICKING)]
    await session.flush()
    moved = await summarize(session, area, year, ZONE)
    assert moved.by_month[date(2024, 5, 1)].sessions == 0
    assert moved.by_month[date(2024, 8, 1)].total == 40
    assert moved.by_topic.get(Topic.TRAFFICKING) == 1
    assert moved == await summarize(session, area, year, ZONE, rollups=False)
    row.deleted = True
    await session.flush()
    gone = await summarize(session, area, year, ZONE)
    assert gone.counts.sessions == before.counts.sessions - 1
    assert gone == await summarize(session, area, year, ZONE, rollups=False)
    await session.execute(delete(ActivityTopic))
    await session.execute(delete(Activity))
    for table in (ActivityRollup, TopicRollup, ReporterMonth):
        assert await session.scalar(select(func.count()).select_from(table)) == 0


async def test_rebuild_gives_what_the_triggers_kept(session):
    await _commune_with_data(session)

    async def snapshot():
        found = []
        for table in (ActivityRollup, TopicRollup, ReporterMonth):
            rows = (await session.execute(select(table.__table__))).all()
            found.append(sorted((tuple(r) for r in rows), key=str))
        return found

    kept = await snapshot()
    assert kept[0]
    await rollups.rebuild(session)
    assert await snapshot() == kept


async def test_a_group_of_communes_is_a_level(session):
    commune, province, _ = await _commune_with_data(session)
    other = await place(session, "Xã Đông Trà Bồng", "Quảng Ngãi")
    someone = await member(session, other)
    await log(session, activity(other, someone, date(2024, 4, 1), women=3, men=3))
    group = await units.create_group(session, "Huyện Trà Bồng (cũ)", province, [commune, other])
    area = areas.group_area(group)
    summary = await summarize(session, area, parse_period("2024H1"), ZONE)
    assert summary.counts.sessions == 4
    assert [r.place.name for r in summary.children] == ["Xã Đông Trà Bồng", "Xã Trà Bồng"]
    assert summary == await summarize(session, area, parse_period("2024H1"), ZONE, rollups=False)


async def test_who_may_see_which_area(session):
    commune, province, _ = await _commune_with_data(session)
    elsewhere = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    chief = await profile(session, await person(session, 7, Role.COMMUNE_COORDINATOR, commune))
    boss = await profile(session, await person(session, 8, Role.PROVINCE_COORDINATOR, province))
    helper = await profile(session, await person(session, 9, Role.COLLABORATOR, commune))
    group = await units.create_group(session, "Cụm", province, [commune])
    wide = await units.create_group(session, "Liên tỉnh", None, [commune, elsewhere])
    assert await areas.may_see(session, chief, areas.unit_area(commune))
    assert not await areas.may_see(session, chief, areas.unit_area(province))
    assert await areas.may_see(session, boss, areas.group_area(group))
    assert not await areas.may_see(session, boss, areas.group_area(wide))
    assert not await areas.may_see(session, boss, areas.COUNTRY)
    assert not await areas.may_see(session, helper, areas.unit_area(commune))
    assert [a.name for a in await areas.visible_groups(session, boss)] == ["Cụm"]
    assert await areas.resolve(session, "u999999") is None
    assert await areas.resolve(session, "x1") is None
    assert (await areas.by_code(session, f"group:{group.id}")).name == "Cụm"


# Completeness.
async def test_silent_places_and_collaborators(session):
    commune, province, (_v1, _v2, v3) = await _commune_with_data(session)
    quiet = await member(session, v3)
    said = await profile(session, quiet)
    now = datetime(2024, 6, 3, 3, 0, tzinfo=UTC)
    assert await declare_no_activity(session, said, date(2024, 6, 1), now, ZONE) is Declared.SAVED
    assert await declare_no_activity(session, said, date(2024, 6, 1), now, ZONE) is Declared.ALREADY
    assert await declare_no_activity(session, said, date(2024, 7, 1), now, ZONE) is (
        Declared.BAD_MONTH
    )
    assert await declare_no_activity(session, said, date(2024, 1, 1), now, ZONE) is (
        Declared.BAD_MONTH
    )
    stranger = await profile(session, await person(session, 77))
    assert await declare_no_activity(session, stranger, date(2024, 6, 1), now, ZONE) is (
        Declared.NOT_ALLOWED
    )
    june = periods.month_period(2024, 6)
    found = await completeness(session, areas.unit_area(commune), june, date(2024, 6, 3), ZONE)
    assert [p.name for p in found.silent_villages] == ["Thôn 2", "Thôn 3"]
    assert found.silent_communes == []
    standing = {c.display_name: c.standing for c in found.collaborators}
    assert standing[f"User {quiet.telegram_id}"] is Standing.DECLARED_NONE
    assert sorted(standing.values(), key=lambda s: s.value).count(Standing.SILENT) == 2
    assert len(found.with_standing(Standing.REPORTED)) == 1
    # Over the whole half-year, one month declared is not enough.
    half = await completeness(
        session, areas.unit_area(province), parse_period("2024H1"), date(2024, 6, 3), ZONE
    )
    assert {c.standing for c in half.collaborators if c.user_id == quiet.id} == {Standing.SILENT}
    assert half.communes == 96 and len(half.silent_communes) == 95
    assert await session.scalar(select(func.count()).select_from(NoActivityReport)) == 1


async def test_completeness_of_the_country(session):
    """Communes only, every collaborator of the country in place order, and the
    same standings as a smaller area gives (declarations of people who are not
    collaborators are read and ignored)."""
    commune, province, (_v1, _v2, v3) = await _commune_with_data(session)
    quiet = await member(session, v3)
    elsewhere = await session.scalar(
        select(Unit)
        .where(Unit.level == UnitLevel.COMMUNE, Unit.parent_id != province.id)
        .order_by(Unit.path)
        .limit(1)
    )
    far = await member(session, elsewhere)
    boss = await person(session, 91, Role.PROVINCE_COORDINATOR, province)
    now = datetime(2024, 6, 3, 3, 0, tzinfo=UTC)
    for who in (quiet, boss):
        said = await profile(session, who)
        assert await declare_no_activity(session, said, date(2024, 6, 1), now, ZONE) is (
            Declared.SAVED
        )
    june = periods.month_period(2024, 6)
    nation = await completeness(session, areas.COUNTRY, june, date(2024, 6, 3), ZONE)
    assert (nation.communes, nation.villages, nation.silent_villages) == (3321, 0, [])
    assert len(nation.silent_communes) == 3320
    assert commune.id not in {p.id for p in nation.silent_communes}
    order = [(c.place.path, c.user_id) for c in nation.collaborators]
    assert order == sorted(order) and len(order) == 5
    assert order[0] == (elsewhere.path, far.id)
    standing = {c.user_id: c.standing for c in nation.collaborators}
    assert boss.id not in standing
    assert standing[quiet.id] is Standing.DECLARED_NONE
    assert standing[far.id] is Standing.SILENT
    assert sorted(s.value for s in standing.values()) == [
        "declared_none",
        "reported",
        "silent",
        "silent",
        "silent",
    ]
    local = await completeness(session, areas.unit_area(province), june, date(2024, 6, 3), ZONE)
    assert {c.user_id: c.standing for c in local.collaborators} == {
        k: v for k, v in standing.items() if k != far.id
    }
    assert [c.place for c in local.collaborators] == [
        c.place for c in nation.collaborators if c.user_id != far.id
    ]


def test_month_tokens():
    assert month_of("202611") == date(2026, 11, 1)
    assert month_of("202613") is None
    assert month_of("2026-11") is None

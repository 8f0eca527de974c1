from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select

from storage import activities, audit, units
from storage.activities import ActivityProblem, Filters, Period, Problem
from storage.activities.rules import UNCOUNTED_KINDS
from storage.models import Activity, ActivityKind, ActivityTopic, Role, SessionLanguage, Topic
from storage.models.activities import KIND_CODES, TOPIC_CODES
from tests.storage.helpers import person, place, profile, tra_bong

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def problem_of(call, *args, **kwargs) -> ActivityProblem:
    with pytest.raises(ActivityProblem) as caught:
        call(*args, **kwargs)
    return caught.value


# Parsing what users type.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20/11", date(2026, 11, 20)),
        ("20/11/2024", date(2024, 11, 20)),
        ("2024-11-20", date(2024, 11, 20)),
        ("5.10", date(2026, 10, 5)),
        ("21/11", date(2026, 11, 21)),  # no year, tomorrow: not yet (not last year)
        ("20/11/26", date(2026, 11, 20)),
        ("hôm nay", TODAY),
        ("Hom qua", TODAY - timedelta(days=1)),
        ("yesterday", TODAY - timedelta(days=1)),
    ],
)
def test_dates_users_type(text, expected):
    assert activities.parse_date(text, TODAY) == expected


def test_impossible_and_unreadable_dates():
    assert problem_of(activities.parse_date, "31/02", TODAY).problem is Problem.NO_SUCH_DAY
    assert problem_of(activities.parse_date, "2024-13-01", TODAY).problem is Problem.NO_SUCH_DAY
    assert problem_of(activities.parse_date, "tomorrow-ish", TODAY).problem is Problem.BAD_DATE
    assert activities.parse_date("29/02", date(2027, 3, 1)) == date(2024, 2, 29)


def test_date_limits():
    future = problem_of(activities.check_date, TODAY + timedelta(days=1), TODAY)
    assert future.problem is Problem.FUTURE_DATE
    old = problem_of(activities.check_date, TODAY - timedelta(days=61), TODAY, 60)
    assert (old.problem, old.params["days"]) == (Problem.TOO_OLD, 60)
    assert activities.check_date(TODAY - timedelta(days=60), TODAY, 60)


@pytest.mark.parametrize(
    ("text", "value"), [("45", 45), (" 7 ", 7), ("1.200", 1200), ("1,200", 1200), ("４５", 45)]
)
def test_counts_users_type(text, value):
    assert activities.parse_count(text) == value


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("forty-five", Problem.NOT_A_NUMBER),
        ("bốn lăm", Problem.NOT_A_NUMBER),
        ("10^9", Problem.NOT_A_NUMBER),
        ("4.5", Problem.NOT_A_NUMBER),
        ("10²", Problem.NOT_A_NUMBER),
        ("🙂", Problem.NOT_A_NUMBER),
        ("-3", Problem.NEGATIVE),
        ("1000000000", Problem.TOO_LARGE),
        ("10001", Problem.TOO_LARGE),
        ("9" * 5000, Problem.TOO_LARGE),
    ],
)
def test_counts_refused(text, problem):
    assert problem_of(activities.parse_count, text).problem is problem


def test_compact_counts_and_each_consistency_check():
    assert activities.parse_compact_counts("45/30/15/0/0/40") == {
        "total": 45,
        "women": 30,
        "men": 15,
        "girls": 0,
        "boys": 0,
        "ethnic_minority": 40,
    }
    wrong = problem_of(activities.parse_compact_counts, "45/30/15")
    assert (wrong.problem, wrong.params["found"]) == (Problem.WRONG_NUMBER_OF_COUNTS, 3)
    wrong = problem_of(activities.parse_compact_counts, "45/30/15/0/0/50")
    assert (wrong.problem, wrong.params["field"]) == (Problem.EXCEEDS_TOTAL, "ethnic_minority")
    wrong = problem_of(activities.parse_compact_counts, "45/30/10/0/0/0")
    assert wrong.problem is Problem.SUM_NOT_TOTAL
    assert (wrong.params["sum"], wrong.params["total"]) == (40, 45)
    wrong = problem_of(activities.parse_compact_counts, "45/30/20/0/0/0")
    assert wrong.problem is Problem.SUM_EXCEEDS_TOTAL
    wrong = problem_of(activities.parse_compact_counts, "45/50/0/0/0/0")
    assert (wrong.problem, wrong.params["field"]) == (Problem.EXCEEDS_TOTAL, "women")
    wrong = problem_of(activities.parse_compact_counts, "45/-1/46/0/0/0")
    assert wrong.problem is Problem.NEGATIVE


def test_partial_counts_are_checked_as_they_come():
    activities.check_counts({"total": 45, "women": 30})
    wrong = problem_of(activities.check_counts, {"total": 45, "women": 30, "men": 20})
    assert wrong.problem is Problem.SUM_EXCEEDS_TOTAL
    assert wrong.params["parts"] == [("women", 30), ("men", 20)]


@given(st.text(max_size=60))
def test_count_parser_never_fails_otherwise(text):
    try:
        value = activities.parse_count(text)
    except ActivityProblem:
        return
    assert 0 <= value <= activities.MAX_PARTICIPANTS


@given(st.text(max_size=60))
def test_date_parser_never_fails_otherwise(text):
    try:
        found = activities.parse_date(text, TODAY)
    except ActivityProblem:
        return
    assert isinstance(found, date)


def test_kinds_topics_and_languages_by_code():
    assert activities.parse_kind("TT") == (ActivityKind.DIRECT, None)
    assert activities.parse_kind("khac:Hội_chợ việc làm") == (
        ActivityKind.OTHER,
        "Hội chợ việc làm",
    )
    assert activities.parse_kind("tt:ignored") == (ActivityKind.DIRECT, None)
    assert problem_of(activities.parse_kind, "xyz").problem is Problem.UNKNOWN_KIND
    assert activities.parse_topics("tao-hon,bdg, Tảo-hôn") == [
        Topic.GENDER_EQUALITY,
        Topic.CHILD_MARRIAGE,
    ]
    assert problem_of(activities.parse_topics, "bdg,xyz").params["text"] == "xyz"
    assert problem_of(activities.parse_topics, " , ").problem is Problem.NO_TOPIC
    assert activities.parse_language("dt:Ca_Dong") == (SessionLanguage.ETHNIC, "Ca Dong")
    assert activities.parse_language("vi+dt") == (SessionLanguage.BOTH, None)
    assert problem_of(activities.parse_language, "fr").problem is Problem.UNKNOWN_LANGUAGE


def _values(**overrides):
    values = {
        "kind": "direct",
        "held_on": "2026-11-19",
        "unit_id": 1,
        "participants": {
            "total": 45,
            "women": 30,
            "men": 15,
            "girls": 0,
            "boys": 0,
            "ethnic_minority": 40,
        },
        "topics": ["child_marriage", "gender_equality"],
        "language": "vi",
    }
    values.update(overrides)
    return values


def _problems(values) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        activities.validate(values, TODAY, 60)
    return [p.problem for p in activities.problems_of(caught.value)]


def test_the_model_checks_the_whole_activity():
    data = activities.validate(_values(ethnic_language="Cor", kind_other="x"), TODAY, 60)
    assert data.topics == [Topic.GENDER_EQUALITY, Topic.CHILD_MARRIAGE]
    assert data.ethnic_language is None  # only kept with an ethnic-minority language
    assert data.kind_other is None
    assert _problems(_values(held_on="2026-11-21")) == [Problem.FUTURE_DATE]
    assert _problems(_values(topics=[])) == [Problem.NO_TOPIC]
    assert _problems(_values(kind="other")) == [Problem.KIND_OTHER_MISSING]
    assert _problems(_values(language="ethnic")) == [Problem.ETHNIC_LANGUAGE_MISSING]
    assert _problems(_values(note="x" * 5000)) == [Problem.TEXT_TOO_LONG]
    assert _problems(_values(photo_file_ids=["p"] * 6)) == [Problem.TOO_MANY_PHOTOS]
    zero = {f: 0 for f in activities.COUNT_FIELDS}
    assert _problems(_values(participants=zero)) == [Problem.NO_PARTICIPANTS]
    assert activities.validate(_values(kind="broadcast", participants=zero), TODAY, 60)
    assert _problems({"kind": "direct"})[0] is Problem.INCOMPLETE


def test_one_line_form():
    line = activities.parse_one_line("tt 20/11 45/30/15/0/0/40 bdg,tao-hon", TODAY, 60)
    assert line.problems == []
    assert line.values["held_on"] == "2026-11-20"
    assert line.values["topics"] == ["gender_equality", "child_marriage"]
    assert line.values["language"] == "vi"
    activities.validate({**line.values, "unit_id": 1}, TODAY, 60)

    line = activities.parse_one_line(
        "skh hom-qua 80/40/30/5/5/0 bldg dt:Cor Lễ hội  mùa", TODAY, 60
    )
    assert line.values["language"] == "ethnic"
    assert line.values["ethnic_language"] == "Cor"
    assert line.values["note"] == "Lễ hội  mùa"

    line = activities.parse_one_line("tt 31/02 45/30/15/0/0/50 bdg", TODAY, 60)
    assert [p.problem for p in line.problems] == [Problem.NO_SUCH_DAY, Problem.EXCEEDS_TOTAL]
    assert "held_on" not in line.values and "participants" not in line.values
    assert line.values["kind"] == "direct"

    line = activities.parse_one_line("tt 20/11", TODAY, 60)
    assert line.problems[0].params["missing"] == ["counts", "topics"]


# Storing.
async def _reporter(session, role=Role.COLLABORATOR):
    commune, province = await tra_bong(session)
    village = await units.add_village(session, commune, "Thôn 1")
    user = await person(session, 20, role, village)
    return await profile(session, user), village, commune, province


async def test_create_is_idempotent_and_audited(session):
    reporter, village, *_ = await _reporter(session)
    data = activities.validate(_values(unit_id=village.id), TODAY, 60)
    first = await activities.create(session, reporter, data, "k1", NOW)
    again = await activities.create(session, reporter, data, "k1", NOW)
    assert first.created and not again.created
    assert first.activity_id == again.activity_id
    assert await session.scalar(select(func.count(Activity.id))) == 1
    topics = await session.scalars(select(ActivityTopic.topic).order_by(ActivityTopic.topic))
    assert set(topics) == {Topic.CHILD_MARRIAGE, Topic.GENDER_EQUALITY}
    trail = await audit.history(session, "activity", first.activity_id)
    assert [(e.action, e.actor_id) for e in trail] == [("create", reporter.id)]
    # What was stored, so that the trail alone tells the whole history.
    assert trail[0].details["total"] == 45 and trail[0].details["unit_id"] == village.id
    assert trail[0].details["held_on"] == data.held_on.isoformat()
    assert set(trail[0].details["topics"]) == {"child_marriage", "gender_equality"}
    stored = await session.get(Activity, first.activity_id)
    assert (stored.total, stored.women, stored.ethnic_minority) == (45, 30, 40)
    assert activities.reference(stored.id) == f"HD-{stored.id}"


async def test_save_new_survives_a_duplicate_from_elsewhere(sessions):
    async with sessions.begin() as session:
        reporter, village, *_ = await _reporter(session)
    data = activities.validate(_values(unit_id=village.id), TODAY, 60)
    first = await activities.save_new(sessions, reporter, data, "k2", NOW)
    second = await activities.save_new(sessions, reporter, data, "k2", NOW)
    assert first == activities.Saved(first.activity_id, True)
    assert second == activities.Saved(first.activity_id, False)


async def test_where_one_may_log(session):
    reporter, village, commune, province = await _reporter(session)
    other_village = await units.add_village(session, commune, "Thôn 2")
    elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    assert await activities.may_log_at(session, reporter, other_village)
    assert await activities.may_log_at(session, reporter, commune)
    assert not await activities.may_log_at(session, reporter, elsewhere)
    assert not await activities.may_log_at(session, reporter, province)
    head = await profile(session, await person(session, 30, Role.PROVINCE_COORDINATOR, province))
    assert await activities.may_log_at(session, head, elsewhere)
    assert await activities.default_place(session, head) is None
    assert (await activities.default_place(session, reporter)).id == village.id
    data = activities.validate(_values(unit_id=elsewhere.id), TODAY, 60)
    refused = await _async_problem(activities.create(session, reporter, data, "k3", NOW))
    assert refused.problem is Problem.PLACE_NOT_ALLOWED


async def _async_problem(awaitable) -> ActivityProblem:
    with pytest.raises(ActivityProblem) as caught:
        await awaitable
    return caught.value


async def test_edit_window_and_coordinator_corrections(session):
    reporter, village, commune, _ = await _reporter(session)
    data = activities.validate(_values(unit_id=village.id), TODAY, 60)
    saved = await activities.create(session, reporter, data, "k4", NOW)
    changed = activities.validate(
        _values(unit_id=village.id, topics=["gender_equality"], note="Họp dân"), TODAY, 60
    )
    diff = await activities.update(session, reporter, saved.activity_id, changed, NOW)
    assert diff == {
        "note": [None, "Họp dân"],
        "topics": [["gender_equality", "child_marriage"], ["gender_equality"]],
    }
    late = NOW + timedelta(days=8)
    closed = await _async_problem(
        activities.update(session, reporter, saved.activity_id, data, late)
    )
    assert closed.problem is Problem.EDIT_WINDOW_CLOSED
    stranger = await profile(session, await person(session, 21, Role.COLLABORATOR, village))
    refused = await _async_problem(activities.delete(session, stranger, saved.activity_id, NOW))
    assert refused.problem is Problem.NOT_YOURS
    coordinator = await profile(
        session, await person(session, 22, Role.COMMUNE_COORDINATOR, commune)
    )
    await activities.update(session, coordinator, saved.activity_id, data, late)
    await activities.delete(session, coordinator, saved.activity_id, late)
    trail = await audit.history(session, "activity", saved.activity_id)
    assert [(e.action, e.actor_id) for e in trail] == [
        ("create", reporter.id),
        ("update", reporter.id),
        ("update", coordinator.id),
        ("delete", coordinator.id),
    ]
    assert trail[-1].details == {"deleted": [False, True]}
    gone = await _async_problem(activities.load(session, coordinator, saved.activity_id, late))
    assert gone.problem is Problem.NOT_FOUND


async def test_lists_for_the_reporter_and_the_coordinators(session):
    reporter, village, commune, province = await _reporter(session)
    elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    head = await profile(session, await person(session, 30, Role.PROVINCE_COORDINATOR, province))
    for n in range(7):
        data = activities.validate(
            _values(unit_id=village.id, held_on=f"2026-11-{10 + n}"), TODAY, 60
        )
        await activities.create(session, reporter, data, f"m{n}", NOW + timedelta(minutes=n))
    other = activities.validate(_values(unit_id=elsewhere.id, kind="training"), TODAY, 60)
    await activities.create(session, head, other, "far", NOW)

    page = await activities.page_of_reporter(session, reporter.id, 0, 5)
    assert (page.total, len(page.lines), page.has_more) == (7, 5, True)
    assert page.lines[0].held_on == date(2026, 11, 16)  # the latest logged first
    page = await activities.page_of_reporter(session, reporter.id, 5, 5)
    assert (len(page.lines), page.has_more) == (2, False)
    page = await activities.page_of_reporter(session, reporter.id, 500, 5)  # forged offset
    assert page.offset == 5

    everything = await activities.page_under(session, head, Filters(), TODAY)
    assert everything.total == 8
    training = await activities.page_under(
        session, head, Filters(kind=ActivityKind.TRAINING), TODAY
    )
    assert [line.place for line in training.lines] == ["Xã Bình Sơn"]
    in_tra_bong = await activities.page_under(session, head, Filters(commune_id=commune.id), TODAY)
    assert in_tra_bong.total == 7
    last_month = await activities.page_under(session, head, Filters(Period.LAST_MONTH), TODAY)
    assert last_month.total == 0
    communes = await activities.communes_with_activities(session, head, Filters(), TODAY)
    assert {name for _, name in communes} == {"Xã Trà Bồng", "Xã Bình Sơn"}

    local = await profile(session, await person(session, 31, Role.COMMUNE_COORDINATOR, commune))
    assert (await activities.page_under(session, local, Filters(), TODAY)).total == 7
    refused = await _async_problem(
        activities.page_under(session, local, Filters(commune_id=elsewhere.id), TODAY)
    )
    assert refused.problem is Problem.NOT_YOURS
    refused = await _async_problem(activities.page_under(session, reporter, Filters(), TODAY))
    assert refused.problem is Problem.NOT_YOURS


def test_period_bounds():
    assert activities.period_bounds(Period.LAST_MONTH, date(2026, 1, 15)) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
    assert activities.period_bounds(Period.THIS_YEAR, TODAY) == (date(2026, 1, 1), TODAY)
    assert activities.period_bounds(Period.ALL, TODAY) == (None, None)


one_line_text = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.one_of(
            st.sampled_from(["tt", "khac:Hội", "20/11", "31/02", "45/30/15/0/0/40", "bdg,zz"]),
            st.text(min_size=1, max_size=12),
            st.integers(-(10**10), 10**10).map(str),
        ),
        max_size=8,
    ).map(" ".join),
)


@given(one_line_text)
def test_one_line_form_never_raises_and_keeps_only_valid_parts(text):
    line = activities.parse_one_line(text, TODAY, 60)
    assert all(isinstance(p, ActivityProblem) for p in line.problems)
    values = line.values
    if "participants" in values:
        activities.check_counts(values["participants"])  # kept only when consistent
    if "held_on" in values:
        held_on = date.fromisoformat(values["held_on"])
        assert TODAY - timedelta(days=60) <= held_on <= TODAY
    if not line.problems:
        assert {"kind", "held_on", "participants", "topics"} <= values.keys()


@given(
    kind=st.sampled_from(list(KIND_CODES.items())),
    day=st.integers(0, 60),
    women=st.integers(0, 300),
    men=st.integers(0, 300),
    girls=st.integers(0, 100),
    boys=st.integers(0, 100),
    topics=st.lists(st.sampled_from(list(TOPIC_CODES.items())), min_size=1, unique=True),
)
def test_a_valid_one_line_gives_exactly_what_it_says(kind, day, women, men, girls, boys, topics):
    total = women + men + girls + boys
    minority = total // 2
    held_on = TODAY - timedelta(days=day)
    text = (
        f"{kind[1]} {held_on:%d/%m/%Y} {total}/{women}/{men}/{girls}/{boys}/{minority} "
        + ",".join(code for _, code in topics)
    )
    line = activities.parse_one_line(text, TODAY, 60)
    if total == 0 and kind[0] not in UNCOUNTED_KINDS:
        assert [p.problem for p in line.problems] == [Problem.NO_PARTICIPANTS]
        return
    assert line.problems == []
    assert line.values["kind"] == kind[0].value
    assert line.values["held_on"] == held_on.isoformat()
    assert line.values["participants"] == {
        "total": total,
        "women": women,
        "men": men,
        "girls": girls,
        "boys": boys,
        "ethnic_minority": minority,
    }
    assert set(line.values["topics"]) == {topic.value for topic, _ in topics}

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from scheduler.calendar_seed import NATIONAL_CALENDAR, seed_calendar
from storage import calendar, units
from storage.calendar import CalendarError
from storage.models import CalendarEvent, EventKind, ReminderRule, Role
from tests.storage.helpers import person, place, profile, tra_bong

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


async def by_code(session, code: str) -> CalendarEvent:
    event = await session.scalar(select(CalendarEvent).where(CalendarEvent.code == code))
    assert event is not None
    return event


async def test_seed_once_with_default_rules(session):
    assert await seed_calendar(session) == len(NATIONAL_CALENDAR) == 13
    assert await seed_calendar(session) == 0
    happiness = await by_code(session, "happiness_day")  # seed 001
    assert (happiness.start_month, happiness.start_day) == (3, 20)
    assert happiness.title == "International Day of Happiness"
    month = await by_code(session, "gender_equality_month")
    assert (month.start_month, month.start_day, month.end_month, month.end_day) == (11, 15, 12, 15)
    rules = (
        await session.scalars(select(ReminderRule).where(ReminderRule.event_id == month.id))
    ).all()
    assert sorted((r.anchor.value, r.offset_days) for r in rules) == [
        ("end", 0),
        ("start", -14),
        ("start", 0),
    ]
    deadline = await by_code(session, "report_annual")
    rules = (
        await session.scalars(select(ReminderRule).where(ReminderRule.event_id == deadline.id))
    ).all()
    assert sorted(r.offset_days for r in rules) == [-7, -1]
    assert all(
        r.only_incomplete and set(r.roles) == {"commune_coordinator", "province_coordinator"}
        for r in rules
    )


def test_occurrences_wrap_the_year_and_29_february():
    event = CalendarEvent(start_month=12, start_day=20, end_month=1, end_day=10, year=None)
    assert calendar.occurrence(event, 2026) == (date(2026, 12, 20), date(2027, 1, 10))
    leap = CalendarEvent(start_month=2, start_day=29, end_month=2, end_day=29, year=None)
    assert calendar.occurrence(leap, 2027) == (date(2027, 2, 28), date(2027, 2, 28))
    once = CalendarEvent(start_month=5, start_day=1, end_month=5, end_day=2, year=2026)
    assert calendar.occurrence(once, 2027) is None


async def test_area_deadline_applies_below_it_only(session):
    await seed_calendar(session)
    commune, province = await tra_bong(session)
    coordinator = await profile(
        session, await person(session, 1, Role.PROVINCE_COORDINATOR, province)
    )
    annual = await by_code(session, "report_annual")
    await calendar.set_deadline(session, coordinator, annual, province, 12, 10)
    # changing it again updates the same version
    version = await calendar.set_deadline(session, coordinator, annual, province, 12, 10)
    count = await session.scalar(
        select(func.count()).select_from(CalendarEvent).where(CalendarEvent.base_id == annual.id)
    )
    assert count == 1

    def annual_of(dated):
        return next(d for d in dated if d.base.id == annual.id)

    first, last = date(2026, 11, 1), date(2026, 12, 31)
    here = annual_of(await calendar.dated_for(session, commune.path, first, last))
    assert (here.event.id, here.start) == (version.id, date(2026, 12, 10))
    elsewhere = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    there = annual_of(await calendar.dated_for(session, elsewhere.path, first, last))
    assert (there.event.id, there.start) == (annual.id, date(2026, 12, 5))


async def test_who_may_change_the_calendar(session):
    await seed_calendar(session)
    commune, province = await tra_bong(session)
    collaborator = await profile(session, await person(session, 2, Role.COLLABORATOR, commune))
    commune_coordinator = await profile(
        session, await person(session, 3, Role.COMMUNE_COORDINATOR, commune)
    )
    annual = await by_code(session, "report_annual")
    with pytest.raises(CalendarError):
        await calendar.set_deadline(session, collaborator, annual, commune, 12, 10)
    with pytest.raises(CalendarError):  # the province is above the commune coordinator
        await calendar.set_deadline(session, commune_coordinator, annual, province, 12, 10)
    with pytest.raises(CalendarError):
        await calendar.set_deadline(session, commune_coordinator, annual, commune, 2, 30)
    month = await by_code(session, "gender_equality_month")
    with pytest.raises(CalendarError):  # only deadlines are changed this way
        await calendar.set_deadline(session, commune_coordinator, month, commune, 12, 1)
    event = await calendar.add_local_event(
        session,
        commune_coordinator,
        commune,
        EventKind.DAY,
        "  Hội thi   tìm hiểu Luật Phòng, chống bạo lực gia đình ",
        date(2026, 12, 2),
    )
    assert event.title == "Hội thi tìm hiểu Luật Phòng, chống bạo lực gia đình"
    assert event.year == 2026
    with pytest.raises(CalendarError):
        await calendar.add_local_event(
            session, commune_coordinator, commune, EventKind.DAY, "x" * 121, date(2026, 12, 2)
        )
    village = await units.add_village(session, commune, "Thôn 1")
    dated = await calendar.dated_for(session, village.path, date(2026, 12, 1), date(2026, 12, 3))
    assert event.id in {d.event.id for d in dated}
    assert await calendar.remove_local_event(session, commune_coordinator, event.id)
    dated = await calendar.dated_for(session, village.path, date(2026, 12, 1), date(2026, 12, 3))
    assert event.id not in {d.event.id for d in dated}


async def test_opt_out_and_back_in(session):
    commune, _ = await tra_bong(session)
    user = await person(session, 5, Role.COLLABORATOR, commune)
    await calendar.set_reminders(session, user.id, EventKind.ACTION_MONTH, on=False)
    await calendar.set_reminders(session, user.id, EventKind.ACTION_MONTH, on=False)
    assert await calendar.opted_out(session, user.id) == {EventKind.ACTION_MONTH}
    await calendar.set_reminders(session, user.id, EventKind.ACTION_MONTH, on=True)
    assert await calendar.opted_out(session, user.id) == set()


def test_the_period_a_report_deadline_is_for():
    from storage.reports.periods import ReportCalendar

    default, june_30 = ReportCalendar(), ReportCalendar((6, 30))

    def period(code: str | None, due: date, report_calendar=default):
        found = calendar.deadline_period(calendar.DeadlineDue(code, due), report_calendar)
        return found and (found.start, found.end, found.kind)

    assert period("report_half_year", date(2026, 6, 5)) == (
        date(2026, 1, 1),
        date(2026, 6, 5),
        "half",
    )
    assert period("report_half_year", date(2026, 7, 10), june_30)[1] == date(2026, 6, 30)
    assert period("report_annual", date(2026, 12, 5)) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        "year",
    )
    # An area that moved the annual report into January reports on the year before.
    assert period("report_annual", date(2027, 1, 10))[:2] == (date(2026, 1, 1), date(2026, 12, 31))
    assert period(None, date(2026, 12, 5)) is None
    assert period("womens_day", date(2026, 3, 8)) is None

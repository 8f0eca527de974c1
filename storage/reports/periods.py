"""Reporting periods (kỳ báo cáo): months, quarters, the half-year up to the
six-month report deadline, years and custom dates, all as local dates in the
bot's time zone (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The six-month report is due "before 5 June" in seeds 001 and 002; the
# half-year period runs from 1 January to that deadline unless configured.
DEFAULT_HALF_YEAR_END = (6, 5)
MIN_YEAR, MAX_YEAR = 2000, 2100
# A typed period (FROM:TO) may not be longer than this: five years cover any
# plan or programme, and a longer one would only be a slow mistake.
MAX_PERIOD_YEARS = 5
NAMED = ("this_month", "last_month", "this_quarter", "last_quarter", "half", "year", "last_year")


class PeriodError(ValueError):
    """Text that is not a period; ``code`` says why (``format``, ``order``,
    ``range``, or ``length``: longer than :data:`MAX_PERIOD_YEARS`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ReportCalendar:
    """Where the first half-year ends (month, day); configurable per deployment."""

    half_year_end: tuple[int, int] = DEFAULT_HALF_YEAR_END

    def half_end(self, year: int) -> date:
        month, day = self.half_year_end
        return date(year, month, min(day, _month_length(year, month)))


def parse_month_day(text: str) -> tuple[int, int]:
    """``06-05`` or ``5/6`` → (6, 5)."""
    text = text.strip()
    iso = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
    vn = re.fullmatch(r"(\d{1,2})/(\d{1,2})", text)
    if iso:
        month, day = int(iso[1]), int(iso[2])
    elif vn:
        day, month = int(vn[1]), int(vn[2])
    else:
        raise PeriodError("format")
    if not 1 <= month <= 12 or not 1 <= day <= _month_length(2024, month):
        raise PeriodError("range")
    return month, day


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both local dates and both included. ``code``
    is how the CLI and file names write it: ``2024-11``, ``2024Q3``,
    ``2024H1``, ``2024``, or ``2024-01-01:2024-05-31``."""

    start: date
    end: date
    kind: str = "custom"  # month, quarter, half, year, custom
    code: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError("order")
        if self.start.year < MIN_YEAR or self.end.year > MAX_YEAR:
            raise PeriodError("range")
        if not self.code:
            object.__setattr__(self, "code", f"{self.start.isoformat()}:{self.end.isoformat()}")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def token(self) -> str:
        """A compact form for callback data that keeps the kind:
        ``h20240101-20240605``."""
        return f"{self.kind[0]}{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        found = []
        current = self.start.replace(day=1)
        while current <= self.end:
            found.append(current)
            current = _next_month(current)
        return found

    def clipped(self, today: date) -> Period:
        """The part of the period up to ``today`` (the whole period if it is past)."""
        if today >= self.end or today < self.start:
            return self
        return Period(self.start, today, self.kind, self.code)

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of the first day to local
        midnight after the last day, for timestamp columns."""
        begin = datetime.combine(self.start, time(0), zone).astimezone(UTC)
        finish = datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC)
        return begin, finish


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    """The local calendar day of an aware instant: 16:30 UTC on 31 May is
    23:30 on 31 May in Hanoi, and belongs to May."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime")
    return instant.astimezone(zone).date()


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    end = _next_month(start) - timedelta(days=1)
    return Period(start, end, "month", f"{year:04d}-{month:02d}")


def quarter_period(year: int, quarter: int) -> Period:
    if not 1 <= quarter <= 4:
        raise PeriodError("range")
    start = date(year, 3 * quarter - 2, 1)
    end = month_period(year, 3 * quarter).end
    return Period(start, end, "quarter", f"{year:04d}Q{quarter}")


def half_period(year: int, half: int = 1, calendar: ReportCalendar | None = None) -> Period:
    """H1: 1 January to the six-month deadline; H2: the rest of the year."""
    calendar = calendar or ReportCalendar()
    boundary = calendar.half_end(year)
    if half == 1:
        return Period(date(year, 1, 1), boundary, "half", f"{year:04d}H1")
    if half == 2:
        return Period(boundary + timedelta(days=1), date(year, 12, 31), "half", f"{year:04d}H2")
    raise PeriodError("range")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year", f"{year:04d}")


def named_period(name: str, today: date, calendar: ReportCalendar | None = None) -> Period:
    """The periods offered as buttons, relative to ``today``."""
    if name == "this_month":
        return month_period(today.year, today.month)
    if name == "last_month":
        previous = today.replace(day=1) - timedelta(days=1)
        return month_period(previous.year, previous.month)
    quarter = (today.month - 1) // 3 + 1
    if name == "this_quarter":
        return quarter_period(today.year, quarter)
    if name == "last_quarter":
        return quarter_period(today.year - (quarter == 1), (quarter - 2) % 4 + 1)
    if name == "half":
        return half_period(today.year, 1, calendar)
    if name == "year":
        return year_period(today.year)
    if name == "last_year":
        return year_period(today.year - 1)
    raise PeriodError("format")


_KINDS = {"M": "month", "Q": "quarter", "H": "half", "Y": "year", "C": "custom"}


def _of_kind(start: date, end: date, kind: str) -> Period:
    """A period read back from its token, with the code its kind gives it."""
    codes = {
        "month": f"{start.year:04d}-{start.month:02d}",
        "quarter": f"{start.year:04d}Q{(start.month - 1) // 3 + 1}",
        "half": f"{start.year:04d}H{1 if start.month == 1 and start.day == 1 else 2}",
        "year": f"{start.year:04d}",
    }
    return Period(start, end, kind, codes.get(kind, ""))


_DATE = r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{4})"


def _within_cap(period: Period) -> Period:
    """The period, if it ends before the same day :data:`MAX_PERIOD_YEARS` later
    (``2020-01-01:2024-12-31`` is the longest from 1 January 2020)."""
    start = period.start
    # The same day five years on; from 29 February, 1 March.
    limit = date(start.year + MAX_PERIOD_YEARS, start.month, 1) + timedelta(days=start.day - 1)
    if period.end >= limit:
        raise PeriodError("length")
    return period


def _parse_date(text: str) -> date:
    try:
        if "-" in text:
            year, month, day = (int(p) for p in text.split("-"))
        else:
            day, month, year = (int(p) for p in re.split(r"[/.]", text))
        return date(year, month, day)
    except ValueError:
        raise PeriodError("range") from None


def parse_period(text: str, calendar: ReportCalendar | None = None) -> Period:
    """``2024H1``, ``2024H2``, ``2024Q3``, ``2024``, ``2024-11``, ``11/2024``,
    ``FROM:TO`` (``2024-01-01:2024-05-31``) or ``01/01/2024 - 31/05/2024``;
    dates typed are at most :data:`MAX_PERIOD_YEARS` apart."""
    raw = text.strip().upper().replace(" ", "")
    raw = raw.replace("–", "-").replace("—", "-")
    try:
        if m := re.fullmatch(r"(\d{4})H([12])", raw):
            return half_period(int(m[1]), int(m[2]), calendar)
        if m := re.fullmatch(r"(\d{4})Q([1-4])", raw):
            return quarter_period(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})", raw):
            return year_period(int(m[1]))
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
            return month_period(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{1,2})/(\d{4})", raw):
            return month_period(int(m[2]), int(m[1]))
        if m := re.fullmatch(r"([MQHYC]?)(\d{8})-(\d{8})", raw):
            start = datetime.strptime(m[2], "%Y%m%d").date()
            end = datetime.strptime(m[3], "%Y%m%d").date()
            return _within_cap(_of_kind(start, end, _KINDS.get(m[1], "custom")))
        if m := re.fullmatch(_DATE + r"(?::|-|\.\.)" + _DATE, raw):
            return _within_cap(Period(_parse_date(m[1]), _parse_date(m[2])))
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError("range") from None
    raise PeriodError("format")

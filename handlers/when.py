"""Reading dates and times as people type them in Vietnam: ``25/11``,
``25/11/2026``, ``2026-11-25``, with an optional time ``8:00``, ``08h30``,
``8h``. A date without a year is the next such day from today on."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:hg.]\s*(\d{2})?|\s*[hg])$|^(\d{1,2})[:.](\d{2})$", re.I)


def parse_date(text: str, today: date) -> date | None:
    text = text.strip()
    match = _YMD.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = _DMY.match(text)
        if not match:
            return None
        day, month = int(match[1]), int(match[2])
        if match[3]:
            year = int(match[3])
            return date(year + 2000 if year < 100 else year, month, day)
        found = date(today.year, month, day) if _exists(today.year, month, day) else None
        if found is None or found < today:
            year = today.year + 1
            while not _exists(year, month, day):  # 29 February
                year += 1
                if year > today.year + 8:
                    return None
            found = date(year, month, day)
        return found
    except ValueError:
        return None


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def parse_time(text: str) -> time | None:
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour = int(match[1] or match[3])
    minute = int(match[2] or match[4] or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_moment(text: str, now: datetime, zone: tzinfo) -> datetime | None:
    """``25/11 08:00`` (either order) in ``zone``; aware, or None."""
    parts = text.strip().split()
    if len(parts) != 2:
        return None
    today = now.astimezone(zone).date()
    for day_text, time_text in (parts, parts[::-1]):
        day, clock = parse_date(day_text, today), parse_time(time_text)
        if day is not None and clock is not None:
            return datetime.combine(day, clock, tzinfo=zone)
    return None

"""Quiet hours (giờ yên tĩnh): a reminder that falls inside them waits until
they end, in the local time of the bot's zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` local time; crosses midnight when end < start.
    Equal ends mean no quiet hours."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def defer(self, when: datetime, zone: ZoneInfo) -> datetime:
        """``when`` if it is outside the quiet hours, else the moment they end
        (aware UTC)."""
        local = when.astimezone(zone)
        if not self.contains(local.time().replace(tzinfo=None)):
            return when
        morning = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            morning += timedelta(days=1)
        return datetime.combine(morning, self.end, tzinfo=zone).astimezone(UTC)


def parse_quiet_hours(text: str) -> QuietHours:
    """``21:00-06:30`` → QuietHours; raises ValueError on anything else."""
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (0 <= h1 < 24 and 0 <= h2 < 24 and 0 <= m1 < 60 and 0 <= m2 < 60):
        raise ValueError(f"not a time of day in {text!r}")
    return QuietHours(time(h1, m1), time(h2, m2))

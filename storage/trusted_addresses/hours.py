"""Opening hours (giờ làm việc) of a trusted address, as text a coordinator can
type and a CSV can hold:

* ``24/7`` (also ``24h``, ``24/24``): always open;
* rules separated by ``;``, each days then times:
  ``mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30``. Days are ``mon`` to
  ``sun`` or the Vietnamese ``T2`` to ``T7`` and ``CN``; ranges (``T2-T6``)
  and lists (``mon,wed``) work; times are ``7:30``, ``07:30`` or ``7h30``. A
  span that ends before it starts runs past midnight.

The stored form is canonical (:func:`canonical`): English day names, 24-hour
times, so that rendering in each language happens where it is read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_VI_DAYS = {"t2": 0, "t3": 1, "t4": 2, "t5": 3, "t6": 4, "t7": 5, "cn": 6}
_ALWAYS = {"24/7", "24h", "24/24", "24x7"}
_TIME = re.compile(r"^(\d{1,2})(?:[:h.](\d{2}))?h?$")
MAX_LENGTH = 200


class HoursError(ValueError):
    """Text that is not opening hours; ``code`` says what is wrong and
    ``part`` quotes the piece that is."""

    def __init__(self, code: str, part: str = "") -> None:
        super().__init__(f"{code}: {part}" if part else code)
        self.code = code
        self.part = part


@dataclass(frozen=True)
class Rule:
    days: tuple[int, ...]  # 0 = Monday
    spans: tuple[tuple[int, int], ...]  # minutes from midnight, [start, end)


@dataclass(frozen=True)
class OpeningHours:
    always: bool
    rules: tuple[Rule, ...] = ()

    @property
    def known(self) -> bool:
        return self.always or bool(self.rules)

    def is_open(self, local: datetime) -> bool | None:
        """Open at this local time; ``None`` when the hours are not known."""
        if self.always:
            return True
        if not self.rules:
            return None
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        yesterday = (today - 1) % 7
        for rule in self.rules:
            for start, end in rule.spans:
                if start < end:
                    if today in rule.days and start <= minute < end:
                        return True
                else:  # past midnight
                    if today in rule.days and minute >= start:
                        return True
                    if yesterday in rule.days and minute < end:
                        return True
        return False

    def next_change(self, local: datetime) -> datetime | None:
        """When it next opens or closes (to the minute, within a week)."""
        if not self.known or self.always:
            return None
        state = self.is_open(local)
        probe = local.replace(second=0, microsecond=0)
        for _ in range(7 * 24 * 4):
            probe += timedelta(minutes=15)
            if self.is_open(probe) != state:
                for _ in range(15):
                    earlier = probe - timedelta(minutes=1)
                    if self.is_open(earlier) == state:
                        break
                    probe = earlier
                return probe
        return None


NOT_KNOWN = OpeningHours(always=False)


def _day(token: str, whole: str) -> int:
    token = token.strip()
    if token in DAYS:
        return DAYS.index(token)
    if token in _VI_DAYS:
        return _VI_DAYS[token]
    raise HoursError("day", whole)


def _days(text: str, whole: str) -> tuple[int, ...]:
    found: list[int] = []
    for piece in text.split(","):
        if "-" in piece:
            first, last = (_day(p, whole) for p in piece.split("-", 1))
            day = first
            while True:
                found.append(day)
                if day == last:
                    break
                day = (day + 1) % 7
        else:
            found.append(_day(piece, whole))
    return tuple(sorted(set(found)))


def _minute(text: str, whole: str) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise HoursError("time", whole)
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise HoursError("time", whole)
    return hour * 60 + minute


def _spans(text: str, whole: str) -> tuple[tuple[int, int], ...]:
    spans = []
    for piece in text.split(","):
        if "-" not in piece:
            raise HoursError("time", whole)
        start, end = (_minute(p, whole) for p in piece.split("-", 1))
        if start == end:
            raise HoursError("empty", whole)
        spans.append((start, end % (24 * 60) if end == 24 * 60 and start else end))
    return tuple(spans)


_SPLIT = re.compile(r"^(?P<days>.*?[a-z]\d?)\s*:?\s+(?P<times>\d.*)$")
# "thứ 2" (Monday) folds to "thu 2", which could also be Thursday at 2 o'clock:
# it is a Vietnamese day only when another day, a colon, a time or the end follows.
_VI_WORDS = (
    (
        re.compile(r"thu\s*([2-7])(?=\s*(?:[,;\-]\s*(?:thu|t[2-7]|cn|chu)|:(?!\d\d)|\s+\d|$))"),
        r"t\1",
    ),
    (re.compile(r"chu\s*nhat"), "cn"),
)


def _plain(text: str) -> str:
    """Lower case without diacritics, keeping the punctuation hours use."""
    text = text.replace("Đ", "D").replace("đ", "d").replace("–", "-").replace("—", "-")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    for pattern, replacement in _VI_WORDS:
        plain = pattern.sub(replacement, plain)
    return plain


def parse(text: str) -> OpeningHours:
    """Read opening hours; an empty text means "not known"."""
    raw = " ".join(text.split())
    if len(raw) > MAX_LENGTH:
        raise HoursError("long")
    if not raw:
        return NOT_KNOWN
    plain = _plain(raw)
    if plain.replace(" ", "") in _ALWAYS:
        return OpeningHours(always=True)
    rules = []
    for part in plain.split(";"):
        part = part.strip()
        if not part:
            continue
        match = _SPLIT.match(part)
        if not match:
            raise HoursError("format", part)
        days = _days(match["days"].replace(" ", ""), part)
        spans = _spans(match["times"].replace(" ", ""), part)
        rules.append(Rule(days, spans))
    return OpeningHours(always=False, rules=tuple(rules))


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _day_text(days: tuple[int, ...]) -> str:
    groups: list[list[int]] = []
    for day in days:
        if groups and groups[-1][-1] == day - 1:
            groups[-1].append(day)
        else:
            groups.append([day])
    return ",".join(DAYS[g[0]] if len(g) == 1 else f"{DAYS[g[0]]}-{DAYS[g[-1]]}" for g in groups)


def canonical(hours: OpeningHours) -> str:
    """The stored form: ``24/7``, ``mon-fri 07:30-17:00; sat 07:30-11:30`` or ``""``."""
    if hours.always:
        return "24/7"
    return "; ".join(
        f"{_day_text(r.days)} " + ",".join(f"{_clock(s)}-{_clock(e)}" for s, e in r.spans)
        for r in hours.rules
    )


def normalise(text: str) -> str:
    """Parse and write back in the stored form (raises :class:`HoursError`)."""
    return canonical(parse(text))

"""What a valid activity (hoạt động) is: the parsers of what users type, and the
pydantic models that both the guided conversation and the one-line form go
through. Every rule that fails raises :class:`ActivityProblem`, whose code the
handlers turn into a sentence in the user's language."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from storage.models.activities import (
    KIND_CODES,
    TOPIC_CODES,
    ActivityKind,
    SessionLanguage,
    Topic,
)
from storage.text import clean_name, fold, starts_like_formula

MAX_PARTICIPANTS = 10_000
MAX_NOTE = 1000
MAX_PHOTOS = 5
MAX_KIND_OTHER = 200
MAX_ETHNIC_LANGUAGE = 60
DEFAULT_MAX_AGE_DAYS = 60
# Broadcasts and posts reach an audience nobody can count; every other kind
# of session has at least one participant.
UNCOUNTED_KINDS = frozenset({ActivityKind.BROADCAST, ActivityKind.DIGITAL})

COUNT_FIELDS = ("total", "women", "men", "girls", "boys", "ethnic_minority")
PEOPLE_FIELDS = ("women", "men", "girls", "boys")


class Problem(enum.Enum):
    """Why an input was refused; ``ActivityProblem.params`` gives the details."""

    NOT_A_NUMBER = "not_a_number"  # text
    NEGATIVE = "negative"  # field, value
    TOO_LARGE = "too_large"  # field, value, max
    WRONG_NUMBER_OF_COUNTS = "wrong_number_of_counts"  # found, expected
    EXCEEDS_TOTAL = "exceeds_total"  # field, value, total
    SUM_EXCEEDS_TOTAL = "sum_exceeds_total"  # parts, sum, total
    SUM_NOT_TOTAL = "sum_not_total"  # parts, sum, total
    NO_PARTICIPANTS = "no_participants"
    BAD_DATE = "bad_date"  # text
    NO_SUCH_DAY = "no_such_day"  # text
    FUTURE_DATE = "future_date"  # day, today
    TOO_OLD = "too_old"  # day, days
    UNKNOWN_KIND = "unknown_kind"  # text
    KIND_OTHER_MISSING = "kind_other_missing"
    TEXT_TOO_LONG = "text_too_long"  # field, length, max
    TEXT_EMPTY = "text_empty"  # field
    TEXT_FORMULA = "text_formula"  # field: starts with = + - @ (a spreadsheet formula)
    UNKNOWN_TOPIC = "unknown_topic"  # text
    NO_TOPIC = "no_topic"
    UNKNOWN_LANGUAGE = "unknown_language"  # text
    ETHNIC_LANGUAGE_MISSING = "ethnic_language_missing"
    TOO_MANY_PHOTOS = "too_many_photos"  # max
    PLACE_NOT_ALLOWED = "place_not_allowed"
    ONE_LINE_INCOMPLETE = "one_line_incomplete"  # missing
    INCOMPLETE = "incomplete"  # field
    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"
    EDIT_WINDOW_CLOSED = "edit_window_closed"  # days


class ActivityProblem(ValueError):
    """One rule that an input breaks."""

    def __init__(self, problem: Problem, **params: Any) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.params = params

    def __repr__(self) -> str:
        return f"ActivityProblem({self.problem.name}, {self.params})"


def problems_of(error: ValidationError) -> list[ActivityProblem]:
    """The rules a pydantic validation broke, in field order."""
    found: list[ActivityProblem] = []
    for item in error.errors():
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, ActivityProblem):
            found.append(cause)
        elif item["type"] == "too_long" and item["loc"][:1] == ("photo_file_ids",):
            found.append(ActivityProblem(Problem.TOO_MANY_PHOTOS, max=MAX_PHOTOS))
        else:
            field = str(item["loc"][0]) if item["loc"] else ""
            found.append(ActivityProblem(Problem.INCOMPLETE, field=field))
    return found


# Numbers.
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,\s]\d{3})+")
_INTEGER = re.compile(r"[+-]?\d+")


def parse_count(text: str, field: str = "total") -> int:
    """A participant count typed as digits: ``45``, ``1.200``, ``1,200``.
    Words (``forty-five``), fractions and exponents are not numbers here."""
    cleaned = text.strip()
    negative = cleaned.startswith(("-", "−"))
    body = cleaned.lstrip("+-−").strip()
    if _THOUSANDS.fullmatch(body):
        body = re.sub(r"[.,\s]", "", body)
    if not body or not _INTEGER.fullmatch(body):
        raise ActivityProblem(Problem.NOT_A_NUMBER, text=text.strip()[:40])
    if len(body) > 9:
        raise ActivityProblem(Problem.TOO_LARGE, field=field, value=None, max=MAX_PARTICIPANTS)
    value = int(body)
    if negative and value:
        raise ActivityProblem(Problem.NEGATIVE, field=field, value=-value)
    if value > MAX_PARTICIPANTS:
        raise ActivityProblem(Problem.TOO_LARGE, field=field, value=value, max=MAX_PARTICIPANTS)
    return value


def is_compact_counts(text: str) -> bool:
    return "/" in text


def parse_compact_counts(text: str) -> dict[str, int]:
    """``45/30/15/0/0/40``: total/women/men/girls/boys/ethnic-minority."""
    parts = [p for p in text.strip().split("/")]
    if len(parts) != len(COUNT_FIELDS):
        raise ActivityProblem(
            Problem.WRONG_NUMBER_OF_COUNTS, found=len(parts), expected=len(COUNT_FIELDS)
        )
    counts = {
        field: parse_count(part, field) for field, part in zip(COUNT_FIELDS, parts, strict=True)
    }
    check_counts(counts)
    return counts


def check_counts(counts: Mapping[str, int | None]) -> None:
    """The consistency rules, on as many counts as are known so far; the guided
    conversation checks each number as it comes, the models check all six."""
    known = {f: v for f, v in counts.items() if v is not None and f in COUNT_FIELDS}
    for field, value in known.items():
        if value < 0:
            raise ActivityProblem(Problem.NEGATIVE, field=field, value=value)
        if value > MAX_PARTICIPANTS:
            raise ActivityProblem(Problem.TOO_LARGE, field=field, value=value, max=MAX_PARTICIPANTS)
    total = known.get("total")
    if total is None:
        return
    for field in (*PEOPLE_FIELDS, "ethnic_minority"):
        part = known.get(field)
        if part is not None and part > total:
            raise ActivityProblem(Problem.EXCEEDS_TOTAL, field=field, value=part, total=total)
    parts = [(f, known[f]) for f in PEOPLE_FIELDS if f in known]
    people = sum(v for _, v in parts)
    if people > total:
        raise ActivityProblem(Problem.SUM_EXCEEDS_TOTAL, parts=parts, sum=people, total=total)
    if len(parts) == len(PEOPLE_FIELDS) and people != total:
        raise ActivityProblem(Problem.SUM_NOT_TOTAL, parts=parts, sum=people, total=total)


def check_total(kind: ActivityKind, total: int) -> None:
    if total == 0 and kind not in UNCOUNTED_KINDS:
        raise ActivityProblem(Problem.NO_PARTICIPANTS)


# Dates.
_TODAY = {"nay", "hom nay", "homnay", "hnay", "today"}
_YESTERDAY = {"qua", "hom qua", "homqua", "hqua", "yesterday"}
_DAY_MONTH = re.compile(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(text: str, today: date) -> date:
    """``hôm nay``, ``hôm qua``, ``20/11``, ``20/11/2024``, ``2024-11-20``. A day
    without a year is the latest such day that is not after ``today``."""
    cleaned = text.strip()
    folded = fold(cleaned)
    if folded in _TODAY:
        return today
    if folded in _YESTERDAY:
        return today - timedelta(days=1)
    if match := _ISO.fullmatch(cleaned):
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, cleaned)
    if match := _DAY_MONTH.fullmatch(cleaned):
        day, month = int(match[1]), int(match[2])
        if match[3] is None:
            found = _make_date(today.year, month, day, cleaned, leap_ok=True)
            if found > today:
                found = _make_date(today.year - 1, month, day, cleaned)
            return found
        year = int(match[3])
        return _make_date(2000 + year if year < 100 else year, month, day, cleaned)
    raise ActivityProblem(Problem.BAD_DATE, text=cleaned[:40])


def _make_date(year: int, month: int, day: int, text: str, leap_ok: bool = False) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        # 29/02 typed without a year in a common year may mean the last leap year.
        if leap_ok and (month, day) == (2, 29):
            for back in range(1, 8):
                try:
                    return date(year - back, month, day)
                except ValueError:
                    continue
        raise ActivityProblem(Problem.NO_SUCH_DAY, text=text[:40]) from None


def check_date(day: date, today: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> date:
    if day > today:
        raise ActivityProblem(Problem.FUTURE_DATE, day=day, today=today)
    if (today - day).days > max_age_days:
        raise ActivityProblem(Problem.TOO_OLD, day=day, days=max_age_days)
    return day


# Codes of the catalogue.
def _by_code(codes: Mapping[Any, str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for member, code in codes.items():
        table[fold(code)] = member
        table[fold(member.value)] = member
    return table


_KINDS_BY_CODE: dict[str, ActivityKind] = _by_code(KIND_CODES)
_TOPICS_BY_CODE: dict[str, Topic] = _by_code(TOPIC_CODES)


def parse_kind(text: str) -> tuple[ActivityKind, str | None]:
    """``tt`` → direct communication; ``khac:Tên hoạt động`` → other, with its name."""
    code, _, rest = text.strip().partition(":")
    kind = _KINDS_BY_CODE.get(fold(code))
    if kind is None:
        raise ActivityProblem(Problem.UNKNOWN_KIND, text=text.strip()[:40])
    other = clean_text(rest.replace("_", " "), "kind_other", MAX_KIND_OTHER) if rest else None
    return kind, other if kind is ActivityKind.OTHER else None


def parse_topics(text: str) -> list[Topic]:
    """``bdg,tao-hon``: topic codes separated by commas or semicolons."""
    found: list[Topic] = []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        topic = _TOPICS_BY_CODE.get(fold(part))
        if topic is None:
            raise ActivityProblem(Problem.UNKNOWN_TOPIC, text=part.strip()[:40])
        if topic not in found:
            found.append(topic)
    if not found:
        raise ActivityProblem(Problem.NO_TOPIC)
    return sort_topics(found)


def sort_topics(topics: list[Topic]) -> list[Topic]:
    order = list(Topic)
    return sorted(set(topics), key=order.index)


_LANGUAGE = re.compile(r"(vi|dt|vi\+dt|dt\+vi)(?::(.+))?", re.IGNORECASE)


def looks_like_language(token: str) -> bool:
    return _LANGUAGE.fullmatch(token.strip()) is not None


def parse_language(text: str) -> tuple[SessionLanguage, str | None]:
    """``vi``, ``dt``, ``dt:Cor``, ``vi+dt:Ca_Dong`` (``_`` stands for a space)."""
    match = _LANGUAGE.fullmatch(text.strip())
    if match is None:
        raise ActivityProblem(Problem.UNKNOWN_LANGUAGE, text=text.strip()[:40])
    code = match[1].lower()
    name = match[2]
    if code == "vi":
        return SessionLanguage.VIETNAMESE, None
    language = SessionLanguage.ETHNIC if code == "dt" else SessionLanguage.BOTH
    if name is None:
        return language, None
    return language, clean_text(name.replace("_", " "), "ethnic_language", MAX_ETHNIC_LANGUAGE)


def clean_text(text: str, field: str, max_length: int) -> str:
    """One line of free text (a name), trimmed; refused if empty or too long."""
    stripped = " ".join(text.split())
    if len(stripped) > max_length:
        raise ActivityProblem(
            Problem.TEXT_TOO_LONG, field=field, length=len(stripped), max=max_length
        )
    cleaned = clean_name(stripped, max_length)
    if cleaned is None:
        raise ActivityProblem(Problem.TEXT_EMPTY, field=field)
    if starts_like_formula(cleaned):
        raise ActivityProblem(Problem.TEXT_FORMULA, field=field)
    return cleaned


def clean_note(text: str) -> str:
    """A free-text note: line breaks kept, at most :data:`MAX_NOTE` characters."""
    note = text.strip()
    if len(note) > MAX_NOTE:
        raise ActivityProblem(Problem.TEXT_TOO_LONG, field="note", length=len(note), max=MAX_NOTE)
    if not note:
        raise ActivityProblem(Problem.TEXT_EMPTY, field="note")
    if starts_like_formula(note):
        raise ActivityProblem(Problem.TEXT_FORMULA, field="note")
    return note


# The models.
class Participants(BaseModel):
    """Người tham gia: adults by sex, children under 16 by sex, and the
    ethnic-minority participants among them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    total: int
    women: int
    men: int
    girls: int
    boys: int
    ethnic_minority: int

    @model_validator(mode="after")
    def _consistent(self) -> Participants:
        check_counts(self.model_dump())
        return self

    @property
    def children(self) -> int:
        return self.girls + self.boys

    @property
    def adults(self) -> int:
        return self.women + self.men


class ActivityInput(BaseModel):
    """An activity as entered, before it is stored. Validate with
    ``context={"today": date, "max_age_days": int}`` to check the date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ActivityKind
    kind_other: str | None = None
    held_on: date
    unit_id: int
    participants: Participants
    topics: list[Topic]
    language: SessionLanguage
    ethnic_language: str | None = None
    note: str | None = None
    photo_file_ids: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS)
    voice_file_id: str | None = None

    @field_validator("kind_other")
    @classmethod
    def _kind_other(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value, "kind_other", MAX_KIND_OTHER)

    @field_validator("held_on")
    @classmethod
    def _held_on(cls, value: date, info: ValidationInfo) -> date:
        context = info.context or {}
        today = context.get("today")
        if isinstance(today, date):
            check_date(value, today, int(context.get("max_age_days", DEFAULT_MAX_AGE_DAYS)))
        return value

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[Topic]) -> list[Topic]:
        if not value:
            raise ActivityProblem(Problem.NO_TOPIC)
        return sort_topics(value)

    @field_validator("ethnic_language")
    @classmethod
    def _ethnic_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return clean_text(value, "ethnic_language", MAX_ETHNIC_LANGUAGE)

    @field_validator("note")
    @classmethod
    def _note(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else clean_note(value)

    @model_validator(mode="before")
    @classmethod
    def _drop_unused(cls, data: Any) -> Any:
        """A name for "other" or for the ethnic language only goes with that choice."""
        if isinstance(data, dict):
            data = dict(data)
            if data.get("kind") not in (ActivityKind.OTHER, ActivityKind.OTHER.value):
                data["kind_other"] = None
            if data.get("language") in (
                SessionLanguage.VIETNAMESE,
                SessionLanguage.VIETNAMESE.value,
            ):
                data["ethnic_language"] = None
        return data

    @model_validator(mode="after")
    def _whole(self) -> ActivityInput:
        if self.kind is ActivityKind.OTHER and not self.kind_other:
            raise ActivityProblem(Problem.KIND_OTHER_MISSING)
        check_total(self.kind, self.participants.total)
        if self.language is not SessionLanguage.VIETNAMESE and not self.ethnic_language:
            raise ActivityProblem(Problem.ETHNIC_LANGUAGE_MISSING)
        return self


INPUT_FIELDS: tuple[str, ...] = tuple(ActivityInput.model_fields)


def validate(data: Mapping[str, Any], today: date | None, max_age_days: int) -> ActivityInput:
    """Validate an activity (a draft's JSON values); raises ``ValidationError``."""
    context = {"today": today, "max_age_days": max_age_days} if today else None
    values = {f: data[f] for f in INPUT_FIELDS if f in data}
    return ActivityInput.model_validate(values, context=context)

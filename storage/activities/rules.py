"""What a valid activity (hoạt động) is: the parsers of what users type, and the
pydantic models that both the guided conversation and the one-line form go
through. Every rule that fails raises :class:`ActivityProblem`, whose code the
handlers turn into a sentence in the user's language."""

from __future__ import annotations

import enum
import re
import unicodedata
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
    AUDIENCE_CODES,
    FUNDING_CODES,
    KIND_CODES,
    PRODUCT_CODES,
    TOPIC_CODES,
    ActivityKind,
    FundingSource,
    ProductKind,
    SessionLanguage,
    Topic,
    TrainingAudience,
)
from storage.text import clean_name, fold, starts_like_bullet, starts_like_formula

MAX_PARTICIPANTS = 10_000
MAX_NOTE = 1000
MAX_PHOTOS = 5
MAX_KIND_OTHER = 200
MAX_ETHNIC_LANGUAGE = 60
DEFAULT_MAX_AGE_DAYS = 60
MAX_PRODUCTS = 1_000_000
MAX_COST = 1_000_000_000_000  # đồng
# Broadcasts, posts, banners and posters, mobile exhibitions and the
# documenting of a good model reach people nobody can count; every other
# kind of session has at least one participant.
UNCOUNTED_KINDS = frozenset(
    {
        ActivityKind.BROADCAST,
        ActivityKind.DIGITAL,
        ActivityKind.VISUAL_CAMPAIGN,
        ActivityKind.EXHIBITION,
        ActivityKind.GOOD_MODEL,
    }
)
# Kinds whose communication products the guided /log asks for (any activity
# may carry some, through the one-line form or the summary card).
PRODUCT_KINDS = frozenset(
    {
        ActivityKind.VISUAL_CAMPAIGN,
        ActivityKind.LAUNCH_CEREMONY,
        ActivityKind.EXHIBITION,
        ActivityKind.GOOD_MODEL,
    }
)

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
    UNKNOWN_AUDIENCE = "unknown_audience"  # text
    UNKNOWN_PRODUCT = "unknown_product"  # text
    PRODUCT_WITHOUT_NUMBER = "product_without_number"  # text
    BAD_AMOUNT = "bad_amount"  # text
    AMOUNT_TOO_LARGE = "amount_too_large"  # max
    UNKNOWN_FUNDING = "unknown_funding"  # text
    HELD_BY_ELSEWHERE = "held_by_elsewhere"  # a team/club/group not of the activity's commune
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


# Words that may follow a count: "45 người", "30 nữ", "40 người DTTS".
_COUNT_WORDS = re.compile(
    r"\s*(?:nguoi|ng|nguoi tham gia|nguoi dttc|nguoi dtts|dtts|nu|nam|phu nu|em|chau|"
    r"people|persons?|participants?|women|men|girls|boys)?\s*$"
)


def parse_count(text: str, field: str = "total") -> int:
    """A participant count typed as digits: ``45``, ``1.200``, ``1,200``, also
    followed by a word such as ``45 người``. Words (``forty-five``), fractions
    and exponents are not numbers here."""
    cleaned = text.strip()
    match = re.fullmatch(r"([+\-−]?[\d.,\s]*\d)(\D*)", cleaned)
    if match and _COUNT_WORDS.fullmatch(fold(match[2])):
        cleaned = match[1].strip()
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
_DAY_BEFORE = {"hom kia", "homkia", "hkia", "the day before yesterday"}
_DAY_MONTH = re.compile(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAYS_AGO = re.compile(r"(\d{1,3}) (?:ngay truoc|hom truoc|days? ago)")
_WEEKDAYS = {
    **{f"thu {n}": n - 2 for n in range(2, 8)},
    **{f"t{n}": n - 2 for n in range(2, 8)},
    "thu hai": 0,
    "thu ba": 1,
    "thu tu": 2,
    "thu nam": 3,
    "thu sau": 4,
    "thu bay": 5,
    "chu nhat": 6,
    "cn": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_LAST_WEEK = re.compile(r"(.+?) (?:tuan truoc|tuan roi|last week)")
# A day and month typed without a year in the coming half year is "not yet",
# not a day of the year before (31/12 typed on 3 December).
_NOT_YET_DAYS = 183


def parse_date(text: str, today: date) -> date:
    """``hôm nay``, ``hôm qua``, ``hôm kia``, ``3 ngày trước``, ``thứ 2``, ``thứ 2
    tuần trước``, ``20/11``, ``20/11/2024``, ``2024-11-20``. A day without a year
    is the latest such day that is not after ``today``, unless that is more
    than half a year back: then it is this year's, a day still to come."""
    cleaned = text.strip()
    folded = fold(cleaned)
    if folded in _TODAY:
        return today
    if folded in _YESTERDAY:
        return today - timedelta(days=1)
    if folded in _DAY_BEFORE:
        return today - timedelta(days=2)
    if match := _DAYS_AGO.fullmatch(folded):
        return today - timedelta(days=int(match[1]))
    if (found := _weekday(folded, today)) is not None:
        return found
    if match := _ISO.fullmatch(cleaned):
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, cleaned)
    if match := _DAY_MONTH.fullmatch(cleaned):
        day, month = int(match[1]), int(match[2])
        if match[3] is None:
            found = _make_date(today.year, month, day, cleaned, leap_ok=True)
            if found > today:
                before = _make_date(today.year - 1, month, day, cleaned, leap_ok=True)
                if (today - before).days <= _NOT_YET_DAYS:
                    return before
            return found
        year = int(match[3])
        return _make_date(2000 + year if year < 100 else year, month, day, cleaned)
    raise ActivityProblem(Problem.BAD_DATE, text=cleaned[:40])


def _weekday(folded: str, today: date) -> date | None:
    """``thứ 2``: the latest Monday up to today; ``thứ 2 tuần trước``: the
    Monday of the week (Monday to Sunday) before this one."""
    last_week = _LAST_WEEK.fullmatch(folded)
    name = last_week[1] if last_week else folded
    weekday = _WEEKDAYS.get(name)
    if weekday is None:
        return None
    if last_week:
        monday = today - timedelta(days=today.weekday() + 7)
        return monday + timedelta(days=weekday)
    return today - timedelta(days=(today.weekday() - weekday) % 7)


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
_AUDIENCES_BY_CODE: dict[str, TrainingAudience] = _by_code(AUDIENCE_CODES)
# Products by code, value and the words people type (folded, without spaces).
_PRODUCTS_BY_WORD: dict[str, ProductKind] = {
    **{k.replace(" ", ""): v for k, v in _by_code(PRODUCT_CODES).items()},
    "toroi": ProductKind.LEAFLET,
    "togap": ProductKind.LEAFLET,
    "apphich": ProductKind.POSTER,
    "tranhcodong": ProductKind.POSTER,
    "pano": ProductKind.PANEL,
    "bangron": ProductKind.PANEL,
    "khauhieu": ProductKind.PANEL,
    "clip": ProductKind.VIDEO,
    "phongsu": ProductKind.VIDEO,
    "sotay": ProductKind.HANDBOOK,
    "tailieu": ProductKind.HANDBOOK,
}
_PRODUCT_PART = re.compile(r"(?P<word>[^\d=:]+?)\s*[=:]?\s*(?P<number>[\d.,\s]*\d)")


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


def parse_audience(text: str) -> TrainingAudience:
    """``truong-thon``: who a training class was for."""
    audience = _AUDIENCES_BY_CODE.get(fold(text.strip()))
    if audience is None:
        raise ActivityProblem(Problem.UNKNOWN_AUDIENCE, text=text.strip()[:40])
    return audience


def parse_products(text: str) -> dict[ProductKind, int]:
    """``to-roi=200, ap-phich 10``, ``tờ rơi 200; pa nô 2``: products and how
    many of each (the same product twice adds up)."""
    found: dict[ProductKind, int] = {}
    for part in re.split(r"[;,+]\s*(?=\D)", text):
        if not part.strip():
            continue
        match = _PRODUCT_PART.fullmatch(part.strip())
        if match is None:
            if _PRODUCTS_BY_WORD.get(fold(part).replace(" ", "").replace("-", "")):
                raise ActivityProblem(Problem.PRODUCT_WITHOUT_NUMBER, text=part.strip()[:40])
            raise ActivityProblem(Problem.UNKNOWN_PRODUCT, text=part.strip()[:40])
        word = fold(match["word"]).replace(" ", "").replace("-", "")
        product = _PRODUCTS_BY_WORD.get(word)
        if product is None:
            raise ActivityProblem(Problem.UNKNOWN_PRODUCT, text=match["word"].strip()[:40])
        quantity = parse_count(match["number"], "products")
        found[product] = found.get(product, 0) + quantity
    return check_products(found)


def check_products(products: Mapping[ProductKind, int]) -> dict[ProductKind, int]:
    """Quantities from 1 to :data:`MAX_PRODUCTS`; a zero drops the product."""
    kept: dict[ProductKind, int] = {}
    for product in ProductKind:
        quantity = products.get(product, 0)
        if quantity < 0:
            raise ActivityProblem(Problem.NEGATIVE, field="products", value=quantity)
        if quantity > MAX_PRODUCTS:
            raise ActivityProblem(
                Problem.TOO_LARGE, field="products", value=quantity, max=MAX_PRODUCTS
            )
        if quantity:
            kept[product] = quantity
    return kept


_FUNDING_BY_CODE: dict[str, FundingSource] = _by_code(FUNDING_CODES)
_MULTIPLIERS = {"tr": 1_000_000, "trieu": 1_000_000, "k": 1_000, "nghin": 1_000, "ngan": 1_000}
_AMOUNT = re.compile(r"(?P<number>\d[\d.,\s]*?)\s*(?P<unit>tr|trieu|k|nghin|ngan)?")


def parse_amount(text: str) -> int:
    """An amount of money in đồng as people type it: ``1.500.000``,
    ``1.500.000 đ``, ``1,5 triệu``, ``1.5tr``, ``500k``, ``500 nghìn``."""
    folded = _plain(text)
    for currency in ("dong", "vnd", "d"):
        folded = folded.removesuffix(currency).strip()
    match = _AMOUNT.fullmatch(folded)
    if match is None:
        raise ActivityProblem(Problem.BAD_AMOUNT, text=text.strip()[:40])
    number, unit = match["number"].strip(), match["unit"]
    if unit is None:
        if not re.fullmatch(r"\d{1,3}(?:[.,\s]\d{3})*|\d+", number):
            raise ActivityProblem(Problem.BAD_AMOUNT, text=text.strip()[:40])
        amount = int(re.sub(r"[.,\s]", "", number))
    else:
        whole, _, part = number.replace(" ", "").replace(",", ".").partition(".")
        if not whole.isdigit() or (part and not part.isdigit()) or len(part) > 6:
            raise ActivityProblem(Problem.BAD_AMOUNT, text=text.strip()[:40])
        scale = _MULTIPLIERS[unit]
        amount = int(whole) * scale + (int(part) * scale // 10 ** len(part) if part else 0)
    if amount > MAX_COST:
        raise ActivityProblem(Problem.AMOUNT_TOO_LARGE, max=MAX_COST)
    return amount


def _plain(text: str) -> str:
    """Lower case without diacritics, punctuation kept (``fold`` drops it)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def parse_funding(text: str) -> FundingSource:
    """``dtts``, ``giam-ngheo``, ``ntm``, ``nsdp``, ``xhh``."""
    found = _FUNDING_BY_CODE.get(fold(text.strip()))
    if found is None:
        raise ActivityProblem(Problem.UNKNOWN_FUNDING, text=text.strip()[:40])
    return found


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


_VIETNAMESE_WORDS = {"tieng viet", "viet", "tieng pho thong", "pho thong", "kinh", "vietnamese"}
_BOTH = re.compile(r"(.+?)\s+(?:va|và|and|\+|,)\s+(.+)", re.IGNORECASE)


def parse_language_words(text: str) -> tuple[SessionLanguage, str | None]:
    """Plain words: ``tiếng Việt``; ``tiếng Cor`` or ``Cor`` (that ethnic-minority
    language); ``tiếng Việt và Cor`` (both). Codes (``dt:Cor``) as :func:`parse_language`."""
    if looks_like_language(text):
        return parse_language(text)
    stripped = " ".join(text.split())
    if fold(stripped) in _VIETNAMESE_WORDS:
        return SessionLanguage.VIETNAMESE, None
    both = _BOTH.fullmatch(stripped)
    if both:
        first, second = both[1], both[2]
        if fold(second) in _VIETNAMESE_WORDS:
            first, second = second, first
        if fold(first) in _VIETNAMESE_WORDS and fold(second) not in _VIETNAMESE_WORDS:
            return SessionLanguage.BOTH, _language_name(second, text)
        raise ActivityProblem(Problem.UNKNOWN_LANGUAGE, text=text.strip()[:40])
    return SessionLanguage.ETHNIC, _language_name(stripped, text)


def _language_name(words: str, text: str) -> str:
    """``tiếng Cor`` → ``Cor``: a name of at most three words, with letters."""
    parts = words.split()
    if parts and fold(parts[0]) == "tieng":
        parts = parts[1:]
    if not 1 <= len(parts) <= 3 or any(ch.isdigit() for ch in "".join(parts)):
        raise ActivityProblem(Problem.UNKNOWN_LANGUAGE, text=text.strip()[:40])
    return clean_text(" ".join(parts), "ethnic_language", MAX_ETHNIC_LANGUAGE)


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
    """A free-text note: line breaks kept, at most :data:`MAX_NOTE` characters.
    A note may be a list (``- 3 chị em\n- 2 cháu``); other formula starts
    (``=``, ``@``, ``-1``) are refused, as in names."""
    note = text.strip()
    if len(note) > MAX_NOTE:
        raise ActivityProblem(Problem.TEXT_TOO_LONG, field="note", length=len(note), max=MAX_NOTE)
    if not note:
        raise ActivityProblem(Problem.TEXT_EMPTY, field="note")
    if starts_like_formula(note) and not starts_like_bullet(note):
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
    audience: TrainingAudience | None = None
    products: dict[ProductKind, int] = Field(default_factory=dict)
    cost: int | None = None  # đồng
    funding_source: FundingSource | None = None
    held_by_id: int | None = None  # the register entry (team, club, group) that held it
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

    @field_validator("cost")
    @classmethod
    def _cost(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ActivityProblem(Problem.BAD_AMOUNT, text=str(value))
        if value is not None and value > MAX_COST:
            raise ActivityProblem(Problem.AMOUNT_TOO_LARGE, max=MAX_COST)
        return value

    @field_validator("products")
    @classmethod
    def _products(cls, value: dict[ProductKind, int]) -> dict[ProductKind, int]:
        return check_products(value)

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
            if data.get("kind") not in (ActivityKind.TRAINING, ActivityKind.TRAINING.value):
                data["audience"] = None
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


def first_missing(values: Mapping[str, Any]) -> str | None:
    """The first field an activity being entered (a draft's JSON values) still
    lacks, in the order they are asked: ``participants.<field>`` for a count.
    None when nothing required is missing (the optional media and note aside)."""
    if "kind" not in values:
        return "kind"
    if values["kind"] == ActivityKind.OTHER.value and not values.get("kind_other"):
        return "kind_other"
    if values["kind"] == ActivityKind.TRAINING.value and "audience" not in values:
        return "audience"  # None once answered "not recorded" (the one-line form)
    for field in ("held_on", "unit_id"):
        if field not in values:
            return field
    counts = values.get("participants") or {}
    for field in COUNT_FIELDS:
        if field not in counts:
            return f"participants.{field}"
    if not values.get("topics"):
        return "topics"
    if "language" not in values:
        return "language"
    if values["language"] != SessionLanguage.VIETNAMESE.value and not values.get("ethnic_language"):
        return "ethnic_language"
    if values["kind"] in {k.value for k in PRODUCT_KINDS} and "products" not in values:
        return "products"
    return None


def validate(data: Mapping[str, Any], today: date | None, max_age_days: int) -> ActivityInput:
    """Validate an activity (a draft's JSON values); raises ``ValidationError``."""
    context = {"today": today, "max_age_days": max_age_days} if today else None
    values = {f: data[f] for f in INPUT_FIELDS if f in data}
    return ActivityInput.model_validate(values, context=context)

"""Targets (chỉ tiêu): set per area (a unit or a group of communes), year and
indicator, in the bot or by CSV import; and the progress of each against what
was logged, with what is behind schedule at this point of the year."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, registers
from storage.activities.rules import MAX_COST
from storage.models import (
    Activity,
    ActivityKind,
    ActivityTopic,
    FundingSource,
    Indicator,
    ParticipantField,
    Target,
    Topic,
)
from storage.models.activities import FUNDING_CODES, KIND_CODES, TOPIC_CODES
from storage.models.registers import REGISTER_CODES, RegisterKind
from storage.reports import areas
from storage.reports.aggregates import Place
from storage.reports.areas import Area, AreaKind
from storage.reports.periods import Period
from storage.reports.rollups import PEOPLE
from storage.reports.tally import Tallied, activity_rows, tally, tally_key
from storage.reports.trusted import trusted_addresses
from storage.text import fold
from storage.users import Profile

ENTITY = "target"
MAX_VALUE = 1_000_000
MAX_LABEL = 300
MAX_KEYWORD = 60
MAX_IMPORT_ROWS = 2000
CSV_COLUMNS = (
    "area",
    "year",
    "indicator",
    "kind",
    "topic",
    "field",
    "keyword",
    "value",
    "population",
    "label",
    "source",
    "register",
)
# Indicators that add up over communes, so a province without a target of
# its own shows the sum of its communes' targets.
ADDITIVE = (
    Indicator.SESSIONS,
    Indicator.PLACES,
    Indicator.TRUSTED_ADDRESSES,
    Indicator.PARTICIPANTS,
    Indicator.BUDGET,
    Indicator.ESTABLISHED,
    Indicator.RENEWED,
    Indicator.SUPPORTED,
)
# Indicators that count register entries (teams, clubs, groups, trusted addresses).
REGISTER_INDICATORS = (Indicator.ESTABLISHED, Indicator.RENEWED, Indicator.SUPPORTED)


class TargetError(ValueError):
    """A target that the rules refuse; ``code`` names the rule, ``line`` the CSV line."""

    def __init__(self, code: str, line: int | None = None, detail: str = "") -> None:
        super().__init__(f"{code} (line {line}): {detail}" if line else code)
        self.code = code
        self.line = line
        self.detail = detail


class TargetInput(BaseModel):
    """One target as typed or imported, checked the same way in both."""

    model_config = ConfigDict(frozen=True)

    indicator: Indicator
    activity_kind: ActivityKind | None = None
    topic: Topic | None = None
    field: ParticipantField | None = None
    keyword: str | None = Field(default=None, max_length=MAX_KEYWORD)
    funding_source: FundingSource | None = None
    register_kind: RegisterKind | None = None
    value: int = Field(ge=0, le=MAX_COST)
    population: int | None = Field(default=None, gt=0, le=100_000_000)
    label: str | None = Field(default=None, max_length=MAX_LABEL)

    @model_validator(mode="after")
    def _consistent(self) -> TargetInput:
        if self.indicator is not Indicator.BUDGET and self.value > MAX_VALUE:
            raise ValueError("value")
        if self.funding_source is not None and self.indicator is not Indicator.BUDGET:
            raise ValueError("source_only_for_budget")
        if self.indicator is Indicator.BUDGET and self.field:
            raise ValueError("field_only_for_participants")
        if (self.register_kind is None) == (self.indicator in REGISTER_INDICATORS):
            raise ValueError("register_kind_for_registers")
        if self.indicator in REGISTER_INDICATORS and (
            self.activity_kind or self.topic or self.keyword or self.field
        ):
            raise ValueError("no_filters_for_registers")
        if self.indicator is Indicator.SHARE:
            if self.population is None:
                raise ValueError("population_needed")
            if not 1 <= self.value <= 100:
                raise ValueError("percent_range")
        elif self.population is not None:
            raise ValueError("population_only_for_share")
        if self.indicator is Indicator.TRUSTED_ADDRESSES and (
            self.activity_kind or self.topic or self.keyword or self.field
        ):
            raise ValueError("no_filters_for_trusted_addresses")
        if self.indicator in (Indicator.SESSIONS, Indicator.PLACES) and self.field:
            raise ValueError("field_only_for_participants")
        return self

    @property
    def spec(self) -> Spec:
        return Spec.of(self)


@dataclass(frozen=True, slots=True)
class TargetRow:
    """What a report reads of a target (a child's), without an ORM object."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "indicator",
        "activity_kind",
        "topic",
        "field",
        "keyword",
        "funding_source",
        "register_kind",
        "value",
        "population",
        "label",
    )

    indicator: Indicator
    activity_kind: ActivityKind | None
    topic: Topic | None
    field: ParticipantField | None
    keyword: str | None
    funding_source: FundingSource | None
    register_kind: RegisterKind | None
    value: int
    population: int | None
    label: str | None


@dataclass(frozen=True)
class Spec:
    """What a target measures, without its value: targets of the same spec at
    different places are the same line of the plan."""

    indicator: Indicator
    activity_kind: ActivityKind | None = None
    topic: Topic | None = None
    field: ParticipantField | None = None
    keyword: str | None = None  # folded: no accents, lower case
    keyword_text: str | None = dataclasses.field(default=None, compare=False)  # as typed
    funding_source: FundingSource | None = None
    register_kind: RegisterKind | None = None

    @classmethod
    def of(cls, target: Target | TargetInput | TargetRow) -> Spec:
        counted = target.field
        if target.indicator in (Indicator.PARTICIPANTS, Indicator.SHARE) and counted is None:
            counted = ParticipantField.TOTAL
        text = " ".join(target.keyword.split()) if target.keyword else None
        keyword = fold(text) if text else None
        return cls(
            target.indicator,
            target.activity_kind,
            target.topic,
            counted,
            keyword or None,
            text if keyword else None,
            target.funding_source,
            target.register_kind,
        )


def problem_of(error: ValidationError) -> str:
    """The rule code of the first failure (``percent_range``, ``value``...)."""
    first = error.errors()[0]
    message = str(first.get("msg", ""))
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    location = first.get("loc") or ("value",)
    return str(location[0])


# Reading and writing.
def _owner(area: Area) -> dict[str, int | None]:
    if area.kind is AreaKind.UNIT:
        return {"unit_id": area.id, "group_id": None}
    if area.kind is AreaKind.GROUP:
        return {"unit_id": None, "group_id": area.id}
    raise TargetError("no_targets_for_country")


def _owned_by(area: Area) -> Any:
    if area.kind is AreaKind.UNIT:
        return Target.unit_id == area.id
    return Target.group_id == area.id


async def targets_of(session: AsyncSession, area: Area, year: int) -> list[Target]:
    if area.kind is AreaKind.COUNTRY:
        return []
    return list(
        (
            await session.scalars(
                select(Target)
                .where(_owned_by(area), Target.year == year)
                .order_by(Target.position, Target.id)
            )
        ).all()
    )


async def set_target(
    session: AsyncSession, actor: Profile, area: Area, year: int, data: TargetInput
) -> Target:
    """Add a target, or change the value of the one with the same spec."""
    target, _created = await upsert_target(session, actor, area, year, data)
    return target


async def upsert_target(
    session: AsyncSession, actor: Profile, area: Area, year: int, data: TargetInput
) -> tuple[Target, bool]:
    """:func:`set_target`, also telling whether the target is new."""
    if not await areas.may_see(session, actor, area):
        raise TargetError("not_allowed")
    if not 2000 <= year <= 2100:
        raise TargetError("year_range")
    existing = {Spec.of(t): t for t in await targets_of(session, area, year)}
    target = existing.get(data.spec)
    action = "update" if target is not None else "create"
    before = {"value": target.value, "population": target.population} if target else {}
    if target is None:
        target = Target(
            **_owner(area),
            year=year,
            indicator=data.indicator,
            activity_kind=data.activity_kind,
            topic=data.topic,
            field=data.spec.field,
            keyword=data.keyword,
            funding_source=data.funding_source,
            register_kind=data.register_kind,
            position=len(existing),
            created_by_id=actor.id,
        )
        session.add(target)
    target.value, target.population = data.value, data.population
    if data.label:
        target.label = data.label
    await session.flush()
    changes = {k: [before.get(k), getattr(target, k)] for k in ("value", "population")}
    await audit.record(session, actor.id, ENTITY, target.id, action, changes)
    return target, action == "create"


async def remove_target(session: AsyncSession, actor: Profile, target_id: int) -> bool:
    target = await session.get(Target, target_id)
    if target is None:
        return False
    area = await owner_area(session, target)
    if area is None or not await areas.may_see(session, actor, area):
        return False
    await audit.record(
        session, actor.id, ENTITY, target.id, "delete", {"value": [target.value, None]}
    )
    await session.delete(target)
    await session.flush()
    return True


async def owner_area(session: AsyncSession, target: Target) -> Area | None:
    token = f"u{target.unit_id}" if target.unit_id is not None else f"g{target.group_id}"
    return await areas.resolve(session, token)


# CSV import.
def _lookup(table: dict[Any, str], members: Iterable[Any], text: str) -> Any:
    key = fold(text)
    for member in members:
        if key in (fold(member.value), fold(table.get(member, member.value))):
            return member
    raise KeyError(text)


def parse_row(row: dict[str, str]) -> TargetInput:
    """One CSV row (columns of :data:`CSV_COLUMNS`) → a checked target."""

    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    try:
        indicator = _lookup({}, Indicator, cell("indicator"))
    except KeyError:
        raise TargetError("unknown_indicator", detail=cell("indicator")) from None
    values: dict[str, Any] = {"indicator": indicator}
    for name, enum_cls, codes in (
        ("kind", ActivityKind, KIND_CODES),
        ("topic", Topic, TOPIC_CODES),
        ("field", ParticipantField, {}),
    ):
        if cell(name):
            try:
                found = _lookup(codes, enum_cls, cell(name))
            except KeyError:
                raise TargetError(f"unknown_{name}", detail=cell(name)) from None
            values["activity_kind" if name == "kind" else name] = found
    for name in ("value", "population"):
        text = cell(name).replace(" ", "").rstrip("%").replace(".", "").replace(",", "")
        if text:
            if not text.isdigit():
                raise TargetError("not_a_number", detail=cell(name))
            values[name] = int(text)
    if "value" not in values:
        raise TargetError("value", detail="")
    if cell("source"):
        try:
            values["funding_source"] = _lookup(FUNDING_CODES, FundingSource, cell("source"))
        except KeyError:
            raise TargetError("unknown_source", detail=cell("source")) from None
    if cell("register"):
        try:
            values["register_kind"] = _lookup(REGISTER_CODES, RegisterKind, cell("register"))
        except KeyError:
            raise TargetError("unknown_register", detail=cell("register")) from None
    values["keyword"] = cell("keyword") or None
    values["label"] = " ".join(cell("label").split()) or None
    try:
        return TargetInput(**values)
    except ValidationError as exc:
        raise TargetError(problem_of(exc)) from None


@dataclass
class Imported:
    created: int = 0
    updated: int = 0


async def import_csv(session: AsyncSession, actor: Profile, text: str) -> Imported:
    """All rows or none: the first bad row raises :class:`TargetError` with its line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    required = {"area", "year", "indicator", "value"}
    if not required <= set(header):
        raise TargetError("header", 1, ", ".join(sorted(required - set(header))))
    reader.fieldnames = header
    result = Imported()
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            raise TargetError("too_many_rows", line, str(MAX_IMPORT_ROWS))
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        try:
            area = await areas.by_code(session, (row.get("area") or "").strip())
            if area is None or area.kind is AreaKind.COUNTRY:
                raise TargetError("unknown_area", detail=(row.get("area") or "")[:40])
            year_text = (row.get("year") or "").strip()
            if not year_text.isdigit():
                raise TargetError("year_range", detail=year_text[:10])
            data = parse_row(row)
            _target, created = await upsert_target(session, actor, area, int(year_text), data)
        except TargetError as exc:
            raise TargetError(exc.code, line, exc.detail) from None
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


# Progress.
class Status:
    DONE = "done"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_TARGET = "no_target"


def elapsed_share(year: int, as_of: date) -> float:
    """How much of the year has passed on ``as_of`` (1.0 once it is over)."""
    if as_of.year > year:
        return 1.0
    if as_of.year < year:
        return 0.0
    days = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    return ((as_of - date(year, 1, 1)).days + 1) / days


@dataclass(frozen=True)
class Progress:
    """Achieved against target for one spec at one place. For a share, the
    target is a percentage and ``achieved`` counts the people reached."""

    spec: Spec
    target: int | None
    achieved: int
    population: int | None = None
    expected_share: float = 1.0
    summed: bool = False  # the target is the sum of the children's targets

    @property
    def ratio(self) -> float | None:
        """Achieved / target (1.0 = done)."""
        if not self.target:
            return None
        if self.spec.indicator is Indicator.SHARE:
            reached = self.reached
            return None if reached is None else reached / (self.target / 100)
        return self.achieved / self.target

    @property
    def reached(self) -> float | None:
        """For a share: the share of the population reached so far."""
        if self.spec.indicator is not Indicator.SHARE or not self.population:
            return None
        return self.achieved / self.population

    @property
    def status(self) -> str:
        ratio = self.ratio
        if ratio is None:
            return Status.NO_TARGET
        if ratio >= 1:
            return Status.DONE
        return Status.ON_TRACK if ratio + 1e-9 >= self.expected_share else Status.BEHIND


@dataclass
class TargetLine:
    """One line of the plan: the area's progress and each child's."""

    spec: Spec
    label: str | None
    area: Progress
    children: dict[str, Progress] = field(default_factory=dict)  # by child path


@dataclass
class TargetReport:
    area: Area
    year: int
    as_of: date
    lines: list[TargetLine]

    @property
    def behind(self) -> list[TargetLine]:
        return [line for line in self.lines if line.area.status == Status.BEHIND]


async def _tallied(
    session: AsyncSession, area: Area, spec: Spec, period: Period, cache: Tallied
) -> dict[str, int]:
    """Sessions or participants of ``spec`` under each child, from one tally
    of the area grouped by kind (and topic, for a line with a topic) that
    every such line of the report shares: one statement for all of them
    instead of one each. A session counts once per topic, as with
    ``tally(topic=...)``, so the filtered rows add up to the same figures."""
    by: tuple[str, ...] = ("kind", "topic") if spec.topic is not None else ("kind",)
    key = tally_key(area, period, by)
    rows = cache.get(key)
    if rows is None:
        rows = cache[key] = await tally(session, area, period, by)
    field_name = (spec.field or ParticipantField.TOTAL).value
    found: dict[str, int] = {}
    for row in rows:
        if spec.activity_kind is not None and row.key[0] != spec.activity_kind:
            continue
        if spec.topic is not None and row.key[1] != spec.topic:
            continue
        value = (
            row.sessions
            if spec.indicator is Indicator.SESSIONS
            else row.people[PEOPLE.index(field_name)]
        )
        found[row.child] = found.get(row.child, 0) + value
    return found


async def _measure(
    session: AsyncSession,
    area: Area,
    spec: Spec,
    period: Period,
    cache: Tallied | None = None,
) -> tuple[int, dict[str, int]]:
    """The achieved value of ``spec`` over the area, and under each child of
    ``area`` (keyed by the child's path; the area's own path for what was
    logged at the area itself)."""
    if spec.indicator is Indicator.TRUSTED_ADDRESSES:
        counted = await trusted_addresses(session, area)
        return counted.total, counted.by_child
    if spec.indicator is Indicator.BUDGET:
        return await _spent(session, area, spec, period)
    if spec.indicator in REGISTER_INDICATORS:
        events = registers.COUNTED_EVENTS[spec.indicator.value]
        return await registers.counted(session, area, spec.register_kind, events, period)
    field_name = (spec.field or ParticipantField.TOTAL).value
    if not spec.keyword and spec.indicator is not Indicator.PLACES:
        found = await _tallied(session, area, spec, period, {} if cache is None else cache)
        return sum(found.values()), found
    query, _place, child = activity_rows(area, period)
    if spec.activity_kind is not None:
        query = query.where(Activity.kind == spec.activity_kind)
    if spec.topic is not None:
        query = query.where(
            exists().where(
                ActivityTopic.activity_id == Activity.id, ActivityTopic.topic == spec.topic
            )
        )
    if not spec.keyword:
        # Places without a keyword: distinct units per child, counted by the
        # database rather than read row by row.
        query = query.add_columns(child, func.count(func.distinct(Activity.unit_id))).group_by(
            child
        )
        distinct = {str(path): int(n) for path, n in (await session.execute(query)).all()}
        return sum(distinct.values()), distinct
    query = query.where((Activity.note.is_not(None)) | (Activity.kind_other.is_not(None)))
    query = query.add_columns(
        child, Activity.unit_id, getattr(Activity, field_name), Activity.note, Activity.kind_other
    )
    sums: dict[str, int] = {}
    places: dict[str, set[int]] = {}
    for path, unit_id, people, note, other in (await session.execute(query)).all():
        if spec.keyword and spec.keyword not in fold(f"{note or ''} {other or ''}"):
            continue
        key = str(path)
        if spec.indicator is Indicator.PLACES:
            places.setdefault(key, set()).add(unit_id)
        else:
            add = 1 if spec.indicator is Indicator.SESSIONS else int(people or 0)
            sums[key] = sums.get(key, 0) + add
    if spec.indicator is Indicator.PLACES:
        sums = {k: len(v) for k, v in places.items()}
    return sum(sums.values()), sums


async def _spent(
    session: AsyncSession, area: Area, spec: Spec, period: Period
) -> tuple[int, dict[str, int]]:
    """The costs recorded on activities against a budget, by child."""
    query, _place, child = activity_rows(area, period)
    query = query.where(Activity.cost.is_not(None))
    if spec.funding_source is not None:
        query = query.where(Activity.funding_source == spec.funding_source)
    if spec.activity_kind is not None:
        query = query.where(Activity.kind == spec.activity_kind)
    if spec.topic is not None:
        query = query.where(
            exists().where(
                ActivityTopic.activity_id == Activity.id, ActivityTopic.topic == spec.topic
            )
        )
    if spec.keyword:
        query = query.add_columns(child, Activity.cost, Activity.note, Activity.kind_other)
        sums: dict[str, int] = {}
        for path, cost, note, other in (await session.execute(query)).all():
            if spec.keyword in fold(f"{note or ''} {other or ''}"):
                sums[str(path)] = sums.get(str(path), 0) + int(cost or 0)
        return sum(sums.values()), sums
    query = query.add_columns(child, func.sum(Activity.cost)).group_by(child)
    found = {str(path): int(n or 0) for path, n in (await session.execute(query)).all()}
    return sum(found.values()), found


async def progress(
    session: AsyncSession,
    area: Area,
    year: int,
    as_of: date,
    *,
    with_children: bool = False,
    children: Sequence[Place] | None = None,
    tallied: Tallied | None = None,
) -> TargetReport:
    """Targets of ``area`` for ``year`` (and of its children with
    ``with_children``), each with what was achieved from 1 January to
    ``as_of``. A spec that only the children have gets the sum of their
    targets at the area level (except shares). ``tallied``: tallies the
    caller has already read (see :func:`summarize`)."""
    as_of = min(as_of, date(year, 12, 31))
    period = Period(date(year, 1, 1), max(as_of, date(year, 1, 1)))
    expected = elapsed_share(year, as_of)
    own = await targets_of(session, area, year)
    if children is None:
        children = [Place.of(u) for u in await areas.children(session, area)]
    kids = list(children)
    child_targets: dict[str, dict[Spec, TargetRow]] = {}
    if kids:
        # Plain rows: a province's communes have hundreds of targets, and
        # ORM objects for them cost more than the query.
        found = await session.execute(
            select(Target.unit_id, *(getattr(Target, name) for name in TargetRow.COLUMNS))
            .where(Target.unit_id.in_([k.id for k in kids]), Target.year == year)
            .order_by(Target.position, Target.id)
        )
        paths = {k.id: k.path for k in kids}
        for unit_id, *columns in found.all():
            target = TargetRow(*columns)
            child_targets.setdefault(paths[unit_id or 0], {})[Spec.of(target)] = target
    specs: dict[Spec, str | None] = {Spec.of(t): t.label for t in own}
    for targets in child_targets.values():
        for spec, target in targets.items():
            specs.setdefault(spec, target.label)
    own_by_spec = {Spec.of(t): t for t in own}
    lines = []
    cache: Tallied = {} if tallied is None else tallied
    for spec, label in specs.items():
        if not with_children and spec not in own_by_spec and spec.indicator not in ADDITIVE:
            continue  # a share has no meaning summed over the children
        mine = own_by_spec.get(spec)
        kid_targets = [t[spec] for t in child_targets.values() if spec in t]
        if mine is None and not with_children and spec.indicator in ADDITIVE:
            # Summed from the children that have the target: only they count,
            # each measured on its own (a province of a country, a commune).
            targeted = [k for k in kids if spec in child_targets.get(k.path, {})]
            achieved = 0
            for kid in targeted:
                sub = areas.Area(areas.AreaKind.UNIT, kid.id, kid.name, kid.path, kid.level)
                achieved += (await _measure(session, sub, spec, period, cache))[0]
            top = Progress(spec, sum(t.value for t in kid_targets), achieved, None, expected, True)
            lines.append(TargetLine(spec, label, top))
            continue
        total, measured = await _measure(session, area, spec, period, cache)
        if mine is not None:
            top = Progress(spec, mine.value, total, mine.population, expected)
        elif spec.indicator in ADDITIVE:
            summed = sum(
                measured.get(k.path, 0) for k in kids if spec in child_targets.get(k.path, {})
            )
            top = Progress(spec, sum(t.value for t in kid_targets), summed, None, expected, True)
        else:
            top = Progress(spec, None, total, None, expected)
        line = TargetLine(spec, label, top)
        if with_children:
            for kid in kids:
                theirs = child_targets.get(kid.path, {}).get(spec)
                line.children[kid.path] = Progress(
                    spec,
                    theirs.value if theirs else None,
                    measured.get(kid.path, 0),
                    theirs.population if theirs else None,
                    expected,
                )
        lines.append(line)
    return TargetReport(area, year, as_of, lines)


SEED_004_CSV = """area,year,indicator,kind,topic,field,keyword,value,population,label,source,register
{area},2024,supported,,,,,2,,Tổ/nhóm sinh kế có phụ nữ làm chủ ứng dụng công nghệ 4.0,,sinh-ke
{area},2024,sessions,policy_dialogue,,,,21,,Đối thoại chính sách cấp xã và cụm thôn (2 huyện + 19 xã),,
{area},2024,established,,,,,3,,CLB “Thủ lĩnh của sự thay đổi” được thành lập,,clb
{area},2024,renewed,,,,,4,,Địa chỉ tin cậy được củng cố hoặc thành lập mới,,dctc
{area},2024,share,,home_birth,women,,80,{population},Phụ nữ nhóm dân tộc có tỷ lệ sinh con tại nhà cao được tuyên truyền,,
{area},2024,sessions,training,,,giám sát,2,,Lớp tập huấn giám sát và đánh giá bình đẳng giới,,
{area},2024,sessions,training,,,Chương trình 3,4,,Lớp tập huấn lồng ghép giới (Chương trình 3),,
"""
"""Seed 004's table of targets (Trà Bồng, 2024) as an import file; ``{area}``
is the code of the area (``group:ID`` for the former district)."""

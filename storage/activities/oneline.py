"""The one-line form for experienced users (nhập nhanh một dòng):

    /log KIND DATE COUNTS TOPICS [LANGUAGE] [sp:PRODUCTS] [hv:AUDIENCE] [cp:COST:SOURCE] [NOTE...]
    /log tt 20/11 45/30/15/0/0/40 bdg,tao-hon dt:Cor họp dân thôn 3

Each part goes through the same parsers as the guided steps; whatever parses
becomes part of the draft, and the guided conversation asks for the rest.
See docs/activities.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from storage.activities.rules import (
    ActivityProblem,
    Problem,
    check_date,
    check_total,
    clean_note,
    is_compact_counts,
    looks_like_language,
    parse_amount,
    parse_audience,
    parse_compact_counts,
    parse_count,
    parse_date,
    parse_funding,
    parse_kind,
    parse_language,
    parse_products,
    parse_topics,
)
from storage.models.activities import ActivityKind, SessionLanguage
from storage.text import fold

PARTS = ("kind", "date", "counts", "topics")


@dataclass
class OneLine:
    """What a one-line form gave: draft values, and the problems of the parts
    that did not parse (those parts are left out of ``values``)."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[ActivityProblem] = field(default_factory=list)


def parse_one_line(text: str, today: date, max_age_days: int) -> OneLine:
    result = OneLine()
    parts = text.split(maxsplit=len(PARTS))
    if len(parts) < len(PARTS):
        result.problems.append(
            ActivityProblem(Problem.ONE_LINE_INCOMPLETE, missing=list(PARTS[len(parts) :]))
        )
    given = dict(zip(PARTS, parts, strict=False))
    values = result.values

    def attempt(step: str, fill: Any) -> None:
        if step not in given:
            return
        try:
            fill(given[step])
        except ActivityProblem as problem:
            result.problems.append(problem)

    def kind(token: str) -> None:
        found, other = parse_kind(token)
        values["kind"] = found.value
        if other:
            values["kind_other"] = other

    def held_on(token: str) -> None:
        values["held_on"] = check_date(parse_date(token, today), today, max_age_days).isoformat()

    def counts(token: str) -> None:
        if is_compact_counts(token):
            found = parse_compact_counts(token)
        else:
            found = {"total": parse_count(token)}
        if "kind" in values:
            check_total(ActivityKind(values["kind"]), found["total"])
        values["participants"] = found

    def topics(token: str) -> None:
        values["topics"] = [t.value for t in parse_topics(token)]
        values["topics_done"] = True

    attempt("kind", kind)
    attempt("date", held_on)
    attempt("counts", counts)
    attempt("topics", topics)

    rest = parts[len(PARTS)] if len(parts) > len(PARTS) else ""
    values["language"] = SessionLanguage.VIETNAMESE.value
    # Optional tokens before the note, in any order: the language, the
    # products (``sp:to-roi=200,ap-phich=10``), a class's audience (``hv:uy-tin``),
    # the cost and its funding source (``cp:1.500.000:dtts``).
    while rest:
        first, _, after = rest.partition(" ")
        prefix, _, value = first.partition(":")
        if not (looks_like_language(first) or (fold(prefix) in ("sp", "hv", "cp") and value)):
            break
        try:
            if looks_like_language(first):
                language, name = parse_language(first)
                values["language"] = language.value
                values["ethnic_language"] = name
            elif fold(prefix) == "cp":
                amount, _, source = value.partition(":")
                values["cost"] = parse_amount(amount)
                values["funding_source"] = parse_funding(source).value if source else None
            elif fold(prefix) == "sp":
                found = parse_products(value.replace("_", " "))
                values["products"] = {p.value: n for p, n in found.items()}
            else:
                values["audience"] = parse_audience(value).value
        except ActivityProblem as problem:
            result.problems.append(problem)
        rest = after.strip()
    if rest.strip():
        try:
            values["note"] = clean_note(rest)
        except ActivityProblem as problem:
            result.problems.append(problem)
    # What the line does not name is not asked afterwards: no products, and a
    # class whose audience is not recorded (the summary card can add it).
    values.setdefault("products", {})
    values.setdefault("audience", None)
    values["optional_done"] = True
    return result

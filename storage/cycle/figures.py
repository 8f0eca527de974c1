"""The figures of a period report as lines (dòng số liệu): the report's JSON
document (``storage.reports.document``) flattened into named numbers, so
that the figures frozen at submission can be set beside the live ones and
each difference shown as a correction (đính chính)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.models import ActivityKind, Indicator, ParticipantField, Topic
from storage.reports.aggregates import PEOPLE
from storage.reports.labels import FIELD_NAMES, KIND_NAMES, TOPIC_NAMES, Translate
from storage.reports.render import spec_name
from storage.reports.targets import Spec

Number = int | float
Lines = dict[str, Number]


def _number(value: Any) -> Number:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def lines_of(document: dict[str, Any] | None) -> Lines:
    """``totals:women`` → 120, ``kind:training:sessions`` → 4, ``child:CODE:total``,
    ``target:sessions|policy_dialogue|||`` → 5 (achieved)...: the lines a
    report is judged by, in the order they are shown."""
    found: Lines = {}
    if not document:
        return found
    totals = document.get("totals") or {}
    for name in ("sessions", *PEOPLE):
        found[f"totals:{name}"] = _number(totals.get(name))
    for name in ("collaborators", "reporting", "trusted_addresses"):
        found[name] = _number(document.get(name))
    for row in document.get("by_kind") or []:
        found[f"kind:{row.get('kind')}:sessions"] = _number(row.get("sessions"))
        found[f"kind:{row.get('kind')}:total"] = _number(row.get("total"))
    for row in document.get("by_topic") or []:
        found[f"topic:{row.get('topic')}"] = _number(row.get("sessions"))
    for row in document.get("children") or []:
        found[f"child:{row.get('unit')}:sessions"] = _number(row.get("sessions"))
        found[f"child:{row.get('unit')}:total"] = _number(row.get("total"))
    incidents = document.get("incidents") or {}
    if incidents.get("available"):
        found["incidents"] = _number(incidents.get("total"))
    for line in (document.get("targets") or {}).get("lines") or []:
        parts = [line.get(k) or "" for k in ("indicator", "kind", "topic", "field", "keyword")]
        key = "target:" + "|".join(str(p) for p in parts)
        while key in found:  # two budget lines of different sources
            key += "+"
        found[key] = _number(line.get("achieved"))
    return found


@dataclass(frozen=True)
class Correction:
    """A line whose figure changed after submission (đính chính)."""

    key: str
    frozen: Number
    now: Number

    @property
    def difference(self) -> Number:
        return self.now - self.frozen


def corrections(frozen: Lines, now: Lines) -> list[Correction]:
    """Every line whose live figure differs from the frozen one (a line
    missing on one side counts as 0), in the frozen order, then new lines."""
    keys = list(dict.fromkeys([*frozen, *now]))
    return [
        Correction(key, frozen.get(key, 0), now.get(key, 0))
        for key in keys
        if frozen.get(key, 0) != now.get(key, 0)
    ]


def _enum(kind: type[Any], value: str) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def line_name(key: str, t: Translate, names: dict[str, str]) -> str:
    """The line in the reader's language; ``names``: unit names by code."""
    name = _line_name(key, t, names)
    return name[:1].upper() + name[1:]


def _line_name(key: str, t: Translate, names: dict[str, str]) -> str:
    head, _, rest = key.partition(":")
    people = {
        "sessions": t("Sessions"),
        **{p: t(FIELD_NAMES[ParticipantField(p)]) for p in PEOPLE},
    }
    if head == "totals":
        return people.get(rest, rest)
    if head == "collaborators":
        return t("Collaborators")
    if head == "reporting":
        return t("Collaborators who logged sessions")
    if head == "trusted_addresses":
        return t("Trusted addresses")
    if head == "incidents":
        return t("Incidents reported")
    if head in ("kind", "child"):
        name, _, counted = rest.rpartition(":")
        kind = _enum(ActivityKind, name) if head == "kind" else None
        what = t(KIND_NAMES[kind]) if kind is not None else names.get(name, name)
        return f"{what}: {people.get(counted, counted)}"
    if head == "topic":
        topic = _enum(Topic, rest)
        return f"{people['sessions']}: {t(TOPIC_NAMES[topic]) if topic else rest}"
    if head == "target":
        parts = (rest.rstrip("+").split("|") + [""] * 5)[:5]
        indicator = _enum(Indicator, parts[0])
        if indicator is None:
            return rest
        spec = Spec(
            indicator,
            _enum(ActivityKind, parts[1]),
            _enum(Topic, parts[2]),
            _enum(ParticipantField, parts[3]),
            parts[4] or None,
        )
        return t("Target: {name}").format(name=spec_name(spec, None, t))
    return key


def child_codes(lines: Lines) -> list[str]:
    """The unit codes the lines name (to look their names up)."""
    return sorted({k.split(":")[1] for k in lines if k.startswith("child:")})

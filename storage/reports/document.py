"""The report as one JSON document (tài liệu số liệu): codes and figures only
(unit codes; kind, topic, language, indicator and status codes; numbers;
ISO dates), no display names and no generation time, so that the same area
and period always give the same document. ``binhdang report --format json``
writes it and the dashboard's ``/app/api/summary`` answers it; readers name
things from the catalogues in their own language."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit
from storage.reports.aggregates import PEOPLE, Counts
from storage.reports.areas import Area, AreaKind
from storage.reports.completeness import Standing
from storage.reports.periods import Period
from storage.reports.report import Report, build_report
from storage.reports.targets import Progress

Document = dict[str, Any]
VERSION = 1


async def area_code(session: AsyncSession, area: Area) -> str:
    """The code the CLI takes for an area: ``51``, ``group:3`` or ``VN``."""
    if area.kind is AreaKind.COUNTRY:
        return "VN"
    if area.kind is AreaKind.GROUP:
        return f"group:{area.id}"
    unit = await session.get(Unit, area.id)
    assert unit is not None
    return unit.code


def _counts(counts: Counts) -> dict[str, int]:
    return {"sessions": counts.sessions, **{name: getattr(counts, name) for name in PEOPLE}}


def _progress(found: Progress) -> dict[str, Any]:
    return {
        "target": found.target,
        "achieved": found.achieved,
        "population": found.population,
        "summed": found.summed,
        "status": found.status,
    }


def of_report(report: Report, code: str) -> Document:
    """The document of a built report (``code``: see :func:`area_code`)."""
    summary, period, found = report.summary, report.period, report.completeness
    codes = {row.place.path: row.place.code for row in summary.children}
    standings = {s.value: found.count(s) for s in Standing}
    return {
        "version": VERSION,
        "unit": code,
        "level": summary.area.level.value if summary.area.level else None,
        "period": {
            "code": period.code,
            "kind": period.kind,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "totals": _counts(summary.counts),
        "own": _counts(summary.own),
        "collaborators": summary.collaborators,
        "reporting": summary.reporting,
        "trusted_addresses": summary.trusted_addresses,
        "by_kind": [{"kind": k.value, **_counts(c)} for k, c in summary.by_kind.items()],
        "by_language": [
            {"language": k.value, **_counts(c)}
            for k, c in sorted(summary.by_language.items(), key=lambda kv: kv[0].value)
        ],
        "by_topic": [{"topic": k.value, "sessions": n} for k, n in summary.by_topic.items()],
        "by_month": [{"month": f"{m:%Y-%m}", **_counts(c)} for m, c in summary.by_month.items()],
        "children": [
            {
                "unit": row.place.code,
                "level": row.place.level.value,
                **_counts(row.counts),
                "collaborators": row.collaborators,
                "reporting": row.reporting,
            }
            for row in summary.children
        ],
        "incidents": {
            "available": summary.incidents.available,
            "total": summary.incidents.total,
            "by_kind": dict(sorted(summary.incidents.by_kind.items())),
            "by_status": dict(sorted(summary.incidents.by_status.items())),
            "escalated": summary.incidents.escalated,
            "median_to_acknowledge_s": (
                None
                if summary.incidents.median_to_acknowledge is None
                else round(summary.incidents.median_to_acknowledge.total_seconds())
            ),
        },
        "targets": {
            "year": report.targets.year,
            "as_of": report.targets.as_of.isoformat(),
            "lines": [
                {
                    "indicator": line.spec.indicator.value,
                    "kind": line.spec.activity_kind.value if line.spec.activity_kind else None,
                    "topic": line.spec.topic.value if line.spec.topic else None,
                    "field": line.spec.field.value if line.spec.field else None,
                    "keyword": line.spec.keyword,
                    **_progress(line.area),
                    "children": {
                        codes.get(path, path): _progress(p)
                        for path, p in sorted(line.children.items())
                    },
                }
                for line in report.targets.lines
            ],
        },
        "completeness": {
            "communes": found.communes,
            "villages": found.villages,
            "silent_communes": [p.code for p in found.silent_communes],
            "silent_villages": [p.code for p in found.silent_villages],
            "collaborators": standings,
        },
    }


async def summary_document(
    session: AsyncSession, area: Area, period: Period, *, today: date, zone: ZoneInfo
) -> Document:
    """What the CLI's ``--format json`` and the dashboard's API answer."""
    report = await build_report(session, area, period, today=today, zone=zone)
    return of_report(report, await area_code(session, area))


async def unit_names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    """Names of units by code, for a page that shows a document."""
    if not codes:
        return {}
    rows = await session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(set(codes))))
    return {str(code): str(name) for code, name in rows.all()}

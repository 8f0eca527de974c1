"""The activities of a submitted period report as submitted (hoạt động như
khi nộp): the rows of the export's activities sheet, consistent with the
figures frozen at submission (``storage.cycle.figures``).

Only the figures are frozen at submission, not the activities. But an
activity is never removed (``deleted`` hides it) and each correction or
deletion is in the audit trail with the value before and after
(``storage.activities.records``): the activities as they were at the
submission are today's with every later audited change undone. Each row
shows the submitted values, and a last column says what happened since:

- corrected after submission: which shown values changed, and to what;
- deleted after submission;
- moved out of the period or of the commune (a correction of its date or
  place): listed, as it was submitted, with its date or place now (one
  moved to another province is not found);
- logged after submission: listed after the submitted ones, with today's
  values, marked as not in the submitted figures;
- changed after submission with no trail (only ``updated_at`` says so):
  today's values, marked as such.

So the submitted rows add up to the "As submitted" column of the third
sheet, and the marks account for each correction there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from storage.activities.records import ENTITY
from storage.models import Activity, AuditEntry, Unit, User
from storage.reports import exports
from storage.reports.areas import Area, in_subtree
from storage.reports.labels import Translate
from storage.reports.periods import Period

# The audited fields the sheet shows, with the title of their column.
SHOWN = {
    "held_on": N_("Date"),
    "unit_id": N_("Place"),
    "kind": N_("Kind of activity"),
    "kind_other": N_("Other kind"),
    "topics": N_("Topics"),
    "language": N_("Language"),
    "ethnic_language": N_("Ethnic-minority language"),
    "total": N_("Participants"),
    "women": N_("Women"),
    "men": N_("Men"),
    "girls": N_("Girls"),
    "boys": N_("Boys"),
    "ethnic_minority": N_("Ethnic-minority participants"),
}
COUNTS = ("total", "women", "men", "girls", "boys", "ethnic_minority")
TITLE = N_("After submission")
CHUNK = 5000  # ids in one IN (...): under SQLite's and asyncpg's limits


@dataclass
class Row:
    """One activity: its values now, as submitted, and what happened since."""

    activity: Activity
    reporter: str | None
    submitted: dict[str, Any]  # the shown fields (and ``deleted``) at submission
    corrected: datetime | None = None  # the last audited change after submission
    deleted: datetime | None = None  # deleted after submission, when
    untracked: bool = False  # changed after submission with no trail


def _values(activity: Activity) -> dict[str, Any]:
    found: dict[str, Any] = {
        "held_on": activity.held_on,
        "unit_id": activity.unit_id,
        "kind": activity.kind.value,
        "kind_other": activity.kind_other,
        "topics": [t.value for t in activity.topics],
        "language": activity.language.value,
        "ethnic_language": activity.ethnic_language,
        "deleted": activity.deleted,
    }
    found.update({name: getattr(activity, name) for name in COUNTS})
    return found


def _thawed(field: str, value: Any) -> Any:
    """An audited value as :func:`_values` holds it (dates are ISO text there)."""
    if field == "held_on" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


async def _rows(session: AsyncSession, area: Area, period: Period, at: datetime) -> list[Row]:
    """Every activity that was in the area and period at ``at`` or is now,
    with its values at ``at`` (audited changes since undone)."""
    assert area.path.endswith("/")
    later = (
        select(AuditEntry.entity_id)
        .where(AuditEntry.entity == ENTITY, AuditEntry.at > at)
        .scalar_subquery()
    )
    place = select(Unit.id).where(in_subtree(Unit.path, area.path)).scalar_subquery()
    # Moved out since: looked for in the area's province (a move to another
    # province is not), so that the changes made elsewhere are not all read.
    province = f"/{area.path.strip('/').split('/')[0]}/"
    nearby = select(Unit.id).where(in_subtree(Unit.path, province)).scalar_subquery()
    query = (
        select(Activity, User.display_name)
        .join(User, User.id == Activity.reporter_id)
        .where(
            or_(
                Activity.held_on.between(period.start, period.end)
                & Activity.unit_id.in_(place)
                & (Activity.deleted.is_(False) | (Activity.updated_at > at)),
                Activity.id.in_(later) & Activity.unit_id.in_(nearby),
            )
        )
        .order_by(Activity.held_on, Activity.id)
    )
    rows = {a.id: Row(a, name, _values(a)) for a, name in (await session.execute(query)).all()}
    ids = list(rows)
    trail: list[AuditEntry] = []
    for start in range(0, len(ids), CHUNK):
        trail += await session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == ENTITY,
                AuditEntry.entity_id.in_(ids[start : start + CHUNK]),
                AuditEntry.at > at,
            )
        )
    trail.sort(key=lambda e: (e.at, e.id), reverse=True)
    for entry in trail:  # the latest first: each undone in turn
        row = rows[entry.entity_id]
        if entry.action == "delete":
            row.submitted["deleted"] = False
            row.deleted = row.deleted or entry.at
        elif entry.action == "update" and isinstance(entry.details, dict):
            shown = False
            for field, change in entry.details.items():
                if field in row.submitted and isinstance(change, list) and len(change) == 2:
                    row.submitted[field] = _thawed(field, change[0])
                    shown = shown or field in SHOWN
            if shown:
                row.corrected = row.corrected or entry.at
    for row in rows.values():
        tracked = row.corrected is not None or row.deleted is not None
        if not tracked and row.activity.updated_at > at and row.activity.created_at <= at:
            row.untracked = True  # changed, but not through the audited use cases
    return list(rows.values())


def _shown(
    field: str, value: Any, labels: exports.RawLabels, places: dict[int, str], t: Translate
) -> str:
    if value is None or value == "":
        return "–"
    if field == "held_on" and isinstance(value, date):
        return t.date(value)
    if field == "unit_id":
        return places.get(value, str(value))
    if field == "kind":
        return labels.kinds.get(value, str(value))
    if field == "language":
        return labels.languages.get(value, str(value))
    if field == "topics":
        return "; ".join(labels.topics.get(v, v) for v in value) or "–"
    return str(value)


async def as_submitted(
    session: AsyncSession,
    area: Area,
    period: Period,
    at: datetime,
    t: Translate,
    zone: ZoneInfo,
) -> exports.Activities:
    """The activities sheet of a report submitted at ``at``: the activities
    as submitted, then those logged since; each with what happened since."""
    labels = await exports.raw_labels(session, area, t)
    found = await _rows(session, area, period, at)
    unit_ids = {r.submitted["unit_id"] for r in found} | {r.activity.unit_id for r in found}
    paths = {
        u.id: (u.path, u.name)
        for u in await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))
    }
    places = {unit_id: name for unit_id, (_path, name) in paths.items()}

    def inside(values: dict[str, Any]) -> bool:
        path = paths.get(values["unit_id"], ("", ""))[0]
        held_on = values["held_on"]
        return path.startswith(area.path) and period.start <= held_on <= period.end

    def day(moment: datetime) -> str:
        return t.date(moment.astimezone(zone).date())

    def line(row: Row, values: dict[str, Any], mark: str) -> tuple[Any, ...]:
        counts = tuple(int(values[name]) for name in COUNTS)
        assert len(counts) == 6
        return (
            *labels.row(
                row.activity.id,
                values["held_on"],
                values["unit_id"],
                values["kind"],
                values["kind_other"],
                list(values["topics"]),
                values["language"],
                values["ethnic_language"],
                (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]),
                row.reporter,
            ),
            mark,
        )

    submitted: list[tuple[Any, ...]] = []
    late: list[tuple[Any, ...]] = []
    for row in found:
        now = _values(row.activity)
        if row.activity.created_at > at:
            if not now["deleted"] and inside(now):
                mark = t("Logged on {date}, after submission: not in the submitted figures")
                late.append(line(row, now, mark.format(date=day(row.activity.created_at))))
            continue
        if row.untracked:
            if inside(now) and not now["deleted"]:
                mark = t(
                    "Changed after submission, with no record of the values before: shown as they are now"
                )
                submitted.append(line(row, now, mark))
            continue
        if row.submitted["deleted"] or not inside(row.submitted):
            continue
        marks = []
        if row.deleted is not None:
            marks.append(t("Deleted on {date}").format(date=day(row.deleted)))
        if row.corrected is not None:
            changes = [
                t("{field}: now {value}").format(
                    field=t(title), value=_shown(field, now[field], labels, places, t)
                )
                for field, title in SHOWN.items()
                if now[field] != row.submitted[field]
            ]
            if changes:
                head = t("Corrected on {date}").format(date=day(row.corrected))
                marks.append(f"{head}: {'; '.join(changes)}")
        submitted.append(line(row, row.submitted, " ".join(marks)))

    async def batches() -> AsyncIterator[list[tuple[Any, ...]]]:
        for start in range(0, len(submitted) + len(late), exports.BATCH):
            yield (submitted + late)[start : start + exports.BATCH]

    return exports.Activities(batches(), [t(TITLE)])

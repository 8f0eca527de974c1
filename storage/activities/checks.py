"""Contradictions to ask about before an activity is saved (kiểm tra trước khi
lưu): the same session logged twice, and a total far above what its kind
usually has. Neither is an error; the reporter confirms once and it is saved."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.activities.rules import COUNT_FIELDS, ActivityInput
from storage.models import Activity, ActivityKind
from storage.users import Profile

# The "unusual total" table (ngưỡng tổng số bất thường): above these, the
# reporter is asked once to confirm before the session is saved. They are
# GUESSES, to be checked with collaborators and coordinators
# (docs/activities.md, "Unusual totals"): a village meeting rarely has more
# than a few hundred people; a home visit, a family. Broadcasts, posts and
# visual campaigns are not counted by head, so they have no bound. The
# operator can change any of them without a release:
# BINHDANG_ACTIVITY_USUAL_MAX="direct=500,home_visit=40" (:func:`usual_limits`).
USUAL_MAX: dict[ActivityKind, int] = {
    ActivityKind.DIRECT: 300,
    ActivityKind.STAGED: 2000,
    ActivityKind.TRAINING: 200,
    ActivityKind.POLICY_DIALOGUE: 300,
    ActivityKind.CHILDREN_CLUB: 200,
    ActivityKind.CONTEST: 2000,
    ActivityKind.HOME_VISIT: 30,
    ActivityKind.LIVELIHOOD: 200,
    ActivityKind.OTHER: 2000,
}


def usual_limits(overrides: str = "") -> dict[ActivityKind, int]:
    """:data:`USUAL_MAX` with the operator's changes, ``"kind=number"`` pairs
    separated by commas (the kind as stored, e.g. ``direct``; ``0`` removes
    the bound). Raises ValueError naming what is wrong."""
    limits = dict(USUAL_MAX)
    for part in (p.strip() for p in overrides.replace(";", ",").split(",")):
        if not part:
            continue
        name, sep, raw = part.partition("=")
        try:
            kind = ActivityKind(name.strip().lower())
        except ValueError:
            kinds = ", ".join(k.value for k in ActivityKind)
            raise ValueError(f"unknown activity kind {name.strip()!r} (one of: {kinds})") from None
        if not sep or not raw.strip().isdigit():
            raise ValueError(f"expected {kind.value}=<number>, got {part!r}")
        if int(raw) == 0:
            limits.pop(kind, None)
        else:
            limits[kind] = int(raw)
    return limits


class Doubt(enum.Enum):
    DUPLICATE = "duplicate"  # params: activity_id of the earlier one
    UNUSUAL_TOTAL = "unusual_total"  # params: total, usual


@dataclass(frozen=True)
class Found:
    doubt: Doubt
    activity_id: int = 0
    total: int = 0
    usual: int = 0


async def doubts(
    session: AsyncSession,
    reporter: Profile,
    data: ActivityInput,
    key: str,
    limits: Mapping[ActivityKind, int] = USUAL_MAX,
) -> list[Found]:
    """What to ask the reporter about before saving a new activity (``key``:
    its draft's idempotency key; a row already stored under it is itself;
    ``limits``: the unusual totals, :func:`usual_limits` of the settings)."""
    found: list[Found] = []
    counts = data.participants.model_dump()
    same = await session.scalar(
        select(Activity.id)
        .where(
            Activity.reporter_id == reporter.id,
            Activity.deleted.is_(False),
            Activity.idempotency_key != key,
            Activity.held_on == data.held_on,
            Activity.unit_id == data.unit_id,
            Activity.kind == data.kind,
            *(getattr(Activity, f) == counts[f] for f in COUNT_FIELDS),
        )
        .order_by(Activity.id)  # the first logged, if there are several
        .limit(1)
    )
    if same is not None:
        found.append(Found(Doubt.DUPLICATE, activity_id=same))
    usual = limits.get(data.kind)
    if usual is not None and data.participants.total > usual:
        found.append(Found(Doubt.UNUSUAL_TOTAL, total=data.participants.total, usual=usual))
    return found

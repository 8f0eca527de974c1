"""Contradictions to ask about before an activity is saved (kiểm tra trước khi
lưu): the same session logged twice, and a total far above what its kind
usually has. Neither is an error; the reporter confirms once and it is saved."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.activities.rules import COUNT_FIELDS, ActivityInput
from storage.models import Activity, ActivityKind
from storage.users import Profile

# Far above what a session of each kind has: a village meeting rarely has more
# than a few hundred people; a home visit, a family. Broadcasts and posts are
# not counted by head, so they have no bound.
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
    session: AsyncSession, reporter: Profile, data: ActivityInput, key: str
) -> list[Found]:
    """What to ask the reporter about before saving a new activity (``key``:
    its draft's idempotency key; a row already stored under it is itself)."""
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
        .limit(1)
    )
    if same is not None:
        found.append(Found(Doubt.DUPLICATE, activity_id=same))
    usual = USUAL_MAX.get(data.kind)
    if usual is not None and data.participants.total > usual:
        found.append(Found(Doubt.UNUSUAL_TOTAL, total=data.participants.total, usual=usual))
    return found

"""The coordinator's reminder to the silent collaborators: storage decides
who may ask it for which area (the bot's button and the dashboard share it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scheduler import nudges
from storage import outbox
from storage.models import AuditEntry, OutboxEntry, Role
from storage.reports import areas
from storage.reports.periods import month_period
from tests.storage.helpers import person, place, profile, tra_bong

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _message(language: str | None, month: date) -> tuple[str, outbox.Message]:
    return "vi", outbox.Message(text=f"Nhắc {month:%m/%Y}")


async def _queue(sessions, area, actor) -> int:
    return await nudges.queue_nudges(
        sessions, area, month_period(2026, 11), NOW.date(), NOW, ZONE, _message, actor=actor
    )


async def test_storage_refuses_a_nudge_outside_the_actors_area(sessions):
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        other = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
        chief = await profile(session, await person(session, 1, Role.COMMUNE_COORDINATOR, commune))
        outsider = await profile(session, await person(session, 2, Role.COMMUNE_COORDINATOR, other))
        collaborator = await profile(session, await person(session, 3, Role.COLLABORATOR, commune))
        area = areas.unit_area(commune)
    for actor in (outsider, collaborator):
        with pytest.raises(nudges.NudgeRefused):
            await _queue(sessions, area, actor)
    async with sessions() as session:
        assert (await session.scalars(select(OutboxEntry))).all() == []
        denied = (
            await session.scalars(
                select(AuditEntry.actor_id).where(
                    AuditEntry.entity == nudges.NUDGE_KIND, AuditEntry.action == "denied"
                )
            )
        ).all()
    assert sorted(denied) == sorted([outsider.id, collaborator.id])
    # The commune's own coordinator may: the silent collaborator is reminded.
    assert await _queue(sessions, area, chief) == 1

"""Retention (thời hạn lưu trữ) of closed reports: after
``BINHDANG_INCIDENT_RETENTION_DAYS`` (five years by default) a closed report
loses what could identify anyone: the description, photos and recordings, the
location, the reporter's identity, phone number and language, and the text and
media of its notes. What the summaries count stays: type, people affected by
kind, place, dates, status, level, referral, outcome. The daily job
(``scheduler.jobs``) calls :func:`purge_closed`; each purge is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import Incident, IncidentNote, IncidentStatus

BATCH = 500


async def purge_closed(
    session: AsyncSession, now: datetime, keep: timedelta, *, limit: int = BATCH
) -> int:
    """Erase the personal fields of up to ``limit`` reports closed before
    ``now - keep``; returns how many. Idempotent: a purged report is not
    touched again."""
    ids = list(
        (
            await session.scalars(
                select(Incident.id)
                .where(
                    Incident.status == IncidentStatus.CLOSED,
                    Incident.closed_at < now - keep,
                    Incident.purged_at.is_(None),
                )
                .order_by(Incident.id)
                .limit(limit)
            )
        ).all()
    )
    if not ids:
        return 0
    await session.execute(
        update(Incident)
        .where(Incident.id.in_(ids))
        .values(
            description_enc=None,
            media_enc=None,
            location_enc=None,
            reporter_enc=None,
            phone_enc=None,
            language=None,
            purged_at=now,
        )
    )
    await session.execute(
        update(IncidentNote)
        .where(IncidentNote.incident_id.in_(ids))
        .values(text_enc=None, media_enc=None)
    )
    for incident_id in ids:
        await audit.record(
            session, None, "incident", incident_id, "purged", {"after_days": keep.days}, at=now
        )
    return len(ids)


async def purge_all(session: AsyncSession, now: datetime, keep: timedelta) -> int:
    """Every report due, in batches of :data:`BATCH` (the daily job)."""
    total = 0
    while done := await purge_closed(session, now, keep):
        total += done
    return total

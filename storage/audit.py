"""Writing and reading the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def record(
    session: AsyncSession,
    actor_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        details=details or {},
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    await session.flush()
    return entry


async def history(session: AsyncSession, entity: str, entity_id: int) -> Sequence[AuditEntry]:
    return (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    ).all()

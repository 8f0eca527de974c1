"""Trusted addresses (địa chỉ tin cậy) of an area, for the summary and for
targets such as "04 địa chỉ tin cậy được củng cố hoặc thành lập mới".

When the directory of trusted addresses is there (tables ``trusted_addresses``
and ``trusted_address_areas``), an address counts under every place it
covers and once for the area. Before that, a place with active
trusted-address staff on the bot counts as one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Base, Role, Unit, User, UserStatus
from storage.reports import areas
from storage.reports.areas import Area


@dataclass(frozen=True)
class Counted:
    total: int  # distinct over the whole area
    by_child: dict[str, int] = field(default_factory=dict)  # by child path


async def trusted_addresses(session: AsyncSession, area: Area) -> Counted:
    place = aliased(Unit)
    directory = Base.metadata.tables.get("trusted_addresses")
    covered = Base.metadata.tables.get("trusted_address_areas")
    if directory is not None and covered is not None:
        base: Any = (
            select()
            .select_from(covered)
            .join(directory, directory.c.id == covered.c.address_id)
            .join(place, place.id == covered.c.unit_id)
            .where(directory.c.active.is_(True))
        )
        counted = func.count(func.distinct(directory.c.id))
        unit_column: Any = covered.c.unit_id
    else:
        base = (
            select()
            .select_from(User)
            .join(place, place.id == User.unit_id)
            .where(
                User.role == Role.TRUSTED_ADDRESS_STAFF,
                User.status == UserStatus.ACTIVE,
                User.bot_blocked.is_(False),
            )
        )
        counted = func.count(func.distinct(User.unit_id))
        unit_column = User.unit_id
    base, child = areas.scoped(base, area, place, unit_column)
    total = int(await session.scalar(base.add_columns(counted)) or 0)
    grouped = base.add_columns(child, counted).group_by(child)
    by_child = {str(path): int(n) for path, n in (await session.execute(grouped)).all()}
    return Counted(total, by_child)

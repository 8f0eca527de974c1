"""Who can be reached about a report's place (the responders), by their role,
status and place now: the one definition that routing (whom to alert) and
access (who may open and act) share."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import trusted_addresses, units
from storage.models import (
    EscalationLevel,
    Role,
    TrustedAddressStaff,
    Unit,
    UnitLevel,
    User,
    UserStatus,
)


@dataclass(frozen=True)
class Place:
    """Where a report is: the unit and its ancestors, read once."""

    unit: Unit
    chain: tuple[Unit, ...]  # from the province down to the unit

    def at(self, level: UnitLevel) -> Unit | None:
        return next((u for u in self.chain if u.level is level), None)

    @property
    def text(self) -> str:
        """``Thôn 3, Xã Trà Bồng, Quảng Ngãi``."""
        return ", ".join(u.name for u in reversed(self.chain))


async def place_of(session: AsyncSession, unit_id: int) -> Place:
    unit = await session.get(Unit, unit_id)
    assert unit is not None
    return Place(unit, (*await units.ancestors(session, unit), unit))


async def eligible(session: AsyncSession, place: Place, level: int) -> ColumnElement[bool] | None:
    """Who may receive and act on a report about ``place`` at ``level``, by
    their role, status and place now (``None``: nobody):

    * commune: trusted-address staff registered at its commune, or on the
      staff of an address that covers the place while registered in the same
      province (someone who moved away is no longer one); its commune's
      coordinators;
    * province: the province's coordinators;
    * national: the administrators."""
    active = User.status == UserStatus.ACTIVE
    if level == EscalationLevel.COMMUNE:
        commune, province = place.at(UnitLevel.COMMUNE), place.at(UnitLevel.PROVINCE)
        if commune is None or province is None:
            return None
        address_ids = await trusted_addresses.covering_ids(session, place.unit, place.chain)
        staff = select(TrustedAddressStaff.user_id).where(
            TrustedAddressStaff.address_id.in_(address_ids)
        )
        in_province = select(Unit.id).where(Unit.path.startswith(province.path, autoescape=True))
        return active & or_(
            and_(
                User.role == Role.TRUSTED_ADDRESS_STAFF,
                or_(
                    User.unit_id == commune.id,
                    and_(User.id.in_(staff), User.unit_id.in_(in_province)),
                ),
            ),
            and_(User.role == Role.COMMUNE_COORDINATOR, User.unit_id == commune.id),
        )
    if level == EscalationLevel.PROVINCE:
        province = place.at(UnitLevel.PROVINCE)
        if province is None:
            return None
        return active & and_(User.role == Role.PROVINCE_COORDINATOR, User.unit_id == province.id)
    return active & (User.role == Role.ADMIN)


async def who_may_act(session: AsyncSession, place: Place, level: int) -> ColumnElement[bool]:
    """Everyone who may open and act on a report about ``place`` that has
    reached ``level``: the responders of each level up to it (the province at
    most), and the administrators at any level."""
    top = min(max(level, EscalationLevel.COMMUNE), EscalationLevel.PROVINCE)
    levels = [*range(top + 1), EscalationLevel.NATIONAL]
    conditions = [await eligible(session, place, lv) for lv in levels]
    return or_(*(c for c in conditions if c is not None))

"""The administrative tree: province → commune → village, and named groups of communes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class UnitLevel(enum.Enum):
    """Cấp hành chính: tỉnh, xã, thôn."""

    PROVINCE = "province"
    COMMUNE = "commune"
    VILLAGE = "village"


class Unit(Base):
    """Đơn vị hành chính: a province (tỉnh/thành phố), a commune (xã/phường/đặc khu)
    or a village (thôn/làng/tổ dân phố).

    ``path`` is a materialised path of codes (``/51/21115/21115-03/``) so that a
    subtree is one indexed prefix match.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[UnitLevel] = mapped_column(str_enum(UnitLevel, 16))
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    search_key: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_units_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
        Index("ix_units_level_parent", "level", "parent_id"),
    )


class UnitGroup(Base):
    """Nhóm xã: a named group of communes (a former district, a Women's Union cluster)
    that is aggregated over as if it were a level."""

    __tablename__ = "unit_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnitGroupMember(Base):
    """A commune that belongs to a :class:`UnitGroup`."""

    __tablename__ = "unit_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("unit_groups.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)

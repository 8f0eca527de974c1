"""Registers (sổ theo dõi) of what the plans count that is not an activity:
community communication teams, "Leaders of Change" clubs in schools,
women-led livelihood groups, and trusted addresses, each with its place,
dated events and members (roles, a name at most)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class RegisterKind(enum.Enum):
    """Loại mô hình."""

    TEAM = "team"  # Tổ truyền thông cộng đồng
    CLUB = "club"  # CLB "Thủ lĩnh của sự thay đổi" trong trường học
    LIVELIHOOD_GROUP = "livelihood_group"  # Tổ/nhóm sinh kế do phụ nữ làm chủ (công nghệ 4.0)
    TRUSTED_ADDRESS = "trusted_address"  # Địa chỉ tin cậy (có thể kiêm nhà tạm lánh)


class RegisterEvent(enum.Enum):
    """A dated change of an entry, in the plans' words."""

    ESTABLISHED = "established"  # Thành lập mới
    STRENGTHENED = "strengthened"  # Củng cố, nâng chất lượng
    SUPPORTED = "supported"  # Được hỗ trợ (thiết bị, ứng dụng công nghệ 4.0...)
    SUSPENDED = "suspended"  # Tạm ngừng hoạt động
    RESUMED = "resumed"  # Hoạt động trở lại
    DISSOLVED = "dissolved"  # Giải thể


class RegisterStatus(enum.Enum):
    """Tình trạng: follows the latest of the events that change it."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    DISSOLVED = "dissolved"


class MemberRole(enum.Enum):
    """Vai trò of a member."""

    LEADER = "leader"  # Tổ trưởng, Chủ nhiệm CLB, Chủ nhiệm/Trưởng nhóm
    DEPUTY = "deputy"  # Tổ phó, Phó chủ nhiệm
    FACILITATOR = "facilitator"  # Dẫn trình viên (CLB), tư vấn viên (ĐCTC)
    MEMBER = "member"  # Thành viên
    VOLUNTEER = "volunteer"  # Tình nguyện viên


REGISTER_CODES: dict[RegisterKind, str] = {
    RegisterKind.TEAM: "to-truyen-thong",
    RegisterKind.CLUB: "clb",
    RegisterKind.LIVELIHOOD_GROUP: "sinh-ke",
    RegisterKind.TRUSTED_ADDRESS: "dctc",
}
EVENT_CODES: dict[RegisterEvent, str] = {
    RegisterEvent.ESTABLISHED: "thanh-lap",
    RegisterEvent.STRENGTHENED: "cung-co",
    RegisterEvent.SUPPORTED: "ho-tro",
    RegisterEvent.SUSPENDED: "tam-ngung",
    RegisterEvent.RESUMED: "hoat-dong-lai",
    RegisterEvent.DISSOLVED: "giai-the",
}
ROLE_CODES: dict[MemberRole, str] = {
    MemberRole.LEADER: "truong",
    MemberRole.DEPUTY: "pho",
    MemberRole.FACILITATOR: "dan-trinh",
    MemberRole.MEMBER: "thanh-vien",
    MemberRole.VOLUNTEER: "tinh-nguyen",
}


class RegisterEntry(Base):
    """Một mô hình: a team, club, group or trusted address at a village or
    commune. ``address_id`` links a trusted address to its directory row.
    ``shelters`` marks a trusted address that also takes people in
    (địa chỉ tin cậy – nhà tạm lánh cộng đồng); ``equipment`` lists a team's
    equipment (trang thiết bị)."""

    __tablename__ = "register_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[RegisterKind] = mapped_column(str_enum(RegisterKind))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(200))
    established_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[RegisterStatus] = mapped_column(str_enum(RegisterStatus, 16))
    shelters: Mapped[bool] = mapped_column(Boolean, default=False)
    equipment: Mapped[str | None] = mapped_column(String(500))
    # A trusted address's row in the directory (danh bạ địa chỉ tin cậy), set
    # by ``storage.registers.links.link_address``; empty for entries kept
    # before the link existed, until their address is next saved or confirmed.
    address_id: Mapped[int | None] = mapped_column(ForeignKey("trusted_addresses.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[RegisterEntryEvent]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RegisterEntryEvent.on"
    )
    members: Mapped[list[RegisterMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RegisterMember.position"
    )

    __table_args__ = (
        UniqueConstraint("kind", "unit_id", "name"),
        Index("ix_register_entries_unit_kind", "unit_id", "kind"),
        Index("ux_register_entries_address_id", "address_id", unique=True),
    )


class RegisterEntryEvent(Base):
    """A dated change (thành lập, củng cố, hỗ trợ, tạm ngừng, giải thể)."""

    __tablename__ = "register_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id", ondelete="CASCADE"))
    event: Mapped[RegisterEvent] = mapped_column(str_enum(RegisterEvent))
    on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("entry_id", "event", "on"),
        Index("ix_register_events_event_on", "event", "on"),
    )


class RegisterMember(Base):
    """A member by role, with a name at most (no other personal details)."""

    __tablename__ = "register_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id", ondelete="CASCADE"))
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, 16))
    name: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

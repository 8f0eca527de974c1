"""People and roles: users, registration requests and invitations."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class Role(enum.Enum):
    """Vai trò. Ordered from the village upwards; ``rank`` compares authority."""

    COLLABORATOR = "collaborator"  # Cộng tác viên thôn/tổ dân phố
    TEAM_MEMBER = "team_member"  # Thành viên tổ truyền thông cộng đồng
    TRUSTED_ADDRESS_STAFF = "ta_staff"  # Nhân viên địa chỉ tin cậy
    COMMUNE_COORDINATOR = "commune_coordinator"  # Cán bộ xã
    PROVINCE_COORDINATOR = "province_coordinator"  # Cán bộ tỉnh
    ADMIN = "admin"  # Quản trị viên toàn quốc

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def is_coordinator(self) -> bool:
        return self.rank >= Role.COMMUNE_COORDINATOR.rank


_RANKS = {
    Role.COLLABORATOR: 1,
    Role.TEAM_MEMBER: 1,
    Role.TRUSTED_ADDRESS_STAFF: 1,
    Role.COMMUNE_COORDINATOR: 2,
    Role.PROVINCE_COORDINATOR: 3,
    Role.ADMIN: 4,
}


class UserStatus(enum.Enum):
    """Where a user stands: a visitor has never asked to register."""

    VISITOR = "visitor"
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    DEACTIVATED = "deactivated"  # vô hiệu hóa by a coordinator; role and place are kept


class User(Base):
    """Người dùng: anyone who has written to the bot. Registered users have one
    role at one unit; administrators have no unit (the whole country)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[Role | None] = mapped_column(str_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[UserStatus] = mapped_column(str_enum(UserStatus, 16), default=UserStatus.VISITOR)
    bot_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_users_role_unit", "role", "unit_id"),)


class RequestStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


def new_public_id() -> str:
    """16 URL-safe characters (96 random bits)."""
    return secrets.token_urlsafe(12)


class RegistrationRequest(Base):
    """Yêu cầu đăng ký: a request to hold a role at a unit, decided by a coordinator.

    A village the user typed that is not in the tree yet is kept in
    ``new_village_name`` and created only when the request is approved.
    """

    __tablename__ = "registration_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the approvers' buttons carry: random, so that ids cannot be tried.
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    new_village_name: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, 16), default=RequestStatus.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The draft's key: a retried or redelivered "Send request" finds this row.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The press that decided (its callback query id): the same press handled
    # again after a crash finishes telling everyone, another one is refused.
    decision_key: Mapped[str | None] = mapped_column(String(64))


class ApprovalNotice(Base):
    """A copy of a request sent to one approver, so every copy can be updated
    once someone decides."""

    __tablename__ = "approval_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("registration_requests.id", ondelete="CASCADE"), index=True
    )
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(Integer)


class Invite(Base):
    """Lời mời: a link that registers whoever opens it with a role at a unit."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

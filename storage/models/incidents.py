"""Incidents (vụ việc): reports of violence, their routing to the people who
respond, and their notes. What could identify a person is encrypted at rest
(the ``*_enc`` columns, see ``storage.incidents.crypto`` and docs/incidents.md)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class IncidentKind(enum.Enum):
    """Loại vụ việc."""

    DOMESTIC_VIOLENCE = "domestic_violence"  # Bạo lực gia đình
    SEXUAL_VIOLENCE = "sexual_violence"  # Bạo lực tình dục, quấy rối
    CHILD_ABUSE = "child_abuse"  # Bạo lực, xâm hại trẻ em
    CHILD_MARRIAGE = "child_marriage"  # Tảo hôn
    TRAFFICKING = "trafficking"  # Mua bán người
    OTHER = "other"  # Khác


class Affected(enum.Enum):
    """Người bị ảnh hưởng: kinds of people, never a name."""

    WOMAN = "woman"  # Phụ nữ
    GIRL = "girl"  # Trẻ em gái
    BOY = "boy"  # Trẻ em trai
    MAN = "man"  # Nam giới
    OLDER = "older"  # Người cao tuổi
    DISABLED = "disabled"  # Người khuyết tật


class Occurred(enum.Enum):
    """Khi nào xảy ra."""

    NOW = "now"
    TODAY = "today"
    WEEK = "week"  # in the last 7 days
    EARLIER = "earlier"


class ContactMode(enum.Enum):
    ANONYMOUS = "anonymous"  # Ẩn danh
    TELEGRAM = "telegram"  # Liên hệ qua Telegram
    PHONE = "phone"  # Gọi điện


class IncidentStatus(enum.Enum):
    NEW = "new"  # nobody has taken it yet
    TAKEN = "taken"  # Đã tiếp nhận
    REFERRED = "referred"  # Đã chuyển tuyến
    CLOSED = "closed"  # Đã kết thúc


class Referral(enum.Enum):
    """Chuyển tuyến: where a responder sent the case on."""

    POLICE = "police"  # Công an
    HEALTH = "health"  # Trạm y tế
    LEGAL_AID = "legal_aid"  # Trợ giúp pháp lý
    CHILD_PROTECTION = "child_protection"  # Bảo vệ trẻ em


class IncidentOutcome(enum.Enum):
    """Kết quả when a case is closed."""

    SUPPORTED = "supported"  # Đã hỗ trợ
    REFERRED_ON = "referred_on"  # Đã chuyển cơ quan chức năng
    NOT_CONFIRMED = "not_confirmed"  # Không xác minh được
    DECLINED = "declined"  # Người bị hại từ chối hỗ trợ
    DUPLICATE = "duplicate"  # Trùng với tin báo khác


class EscalationLevel(enum.IntEnum):
    """Cấp xử lý: who is alerted, from the commune up."""

    COMMUNE = 0  # trusted-address staff and commune coordinators
    PROVINCE = 1  # province coordinators
    NATIONAL = 2  # administrators


class Incident(Base):
    """Tin báo vụ việc. ``code`` is the neutral reference the reporter keeps
    (``BD-7K3Q``); ``due_at`` is the escalation timer, checked by a periodic
    job; ``submission_key`` makes a retried submission land once."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[IncidentKind] = mapped_column(str_enum(IncidentKind))
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus, 16), default=IncidentStatus.NEW
    )
    danger_now: Mapped[bool] = mapped_column(Boolean, default=False)
    affected: Mapped[Any] = mapped_column(JSON, default=list)
    occurred: Mapped[Occurred] = mapped_column(str_enum(Occurred, 16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    contact: Mapped[ContactMode] = mapped_column(str_enum(ContactMode, 16))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    # Encrypted: see docs/incidents.md.
    description_enc: Mapped[str | None] = mapped_column(Text)
    media_enc: Mapped[str | None] = mapped_column(Text)
    location_enc: Mapped[str | None] = mapped_column(Text)
    reporter_enc: Mapped[str | None] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    # Handling.
    level: Mapped[int] = mapped_column(Integer, default=int(EscalationLevel.COMMUNE))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    referred_to: Mapped[Referral | None] = mapped_column(str_enum(Referral))
    outcome: Mapped[IncidentOutcome | None] = mapped_column(str_enum(IncidentOutcome))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the retention purge erased the personal fields (storage.incidents.retention).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_incidents_status_due", "status", "due_at"),
        # The summaries' figures over a period (storage.incidents.stats) read
        # only this index; it also serves anything that wants reported_at alone.
        Index(
            "ix_incidents_reported_figures",
            "reported_at",
            "kind",
            "status",
            "escalated",
            "acknowledged_at",
        ),
        Index("ix_incidents_unit_reported", "unit_id", "reported_at"),
    )


class IncidentAlert(Base):
    """A person the incident was sent to, and at which level: whom to tell
    when someone takes it, and who may open it."""

    __tablename__ = "incident_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("incident_id", "user_id", name="uq_incident_alerts_incident_user"),
    )


class IncidentNote(Base):
    """Ghi chú: a responder's note, or information the reporter added later
    with the reference code. Text and media are encrypted."""

    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_reporter: Mapped[bool] = mapped_column(Boolean, default=False)
    text_enc: Mapped[str | None] = mapped_column(Text)
    media_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyCheck(Base):
    """A known text sealed under the encryption key (giá trị kiểm tra khóa): a
    key that cannot open it is not the key the data was stored with, and the
    bot refuses to start with it (storage.incidents.keys)."""

    __tablename__ = "key_checks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

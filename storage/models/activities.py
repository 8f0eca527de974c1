"""Activities (hoạt động truyền thông): the outreach sessions that village
collaborators and community communication teams log, counted in the commune's
and the province's reports."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UTCDateTime, str_enum, utcnow


class ActivityKind(enum.Enum):
    """Loại hoạt động. The value is stored; :data:`KIND_CODES` gives the short
    code typed in the one-line form."""

    DIRECT = "direct"  # Truyền thông trực tiếp, sinh hoạt, họp dân
    STAGED = "staged"  # Sân khấu hóa, lễ hội, phiên chợ
    BROADCAST = "broadcast"  # Loa phát thanh, đài truyền thanh xã
    DIGITAL = "digital"  # Truyền thông trên nền tảng số (Zalo, Facebook)
    TRAINING = "training"  # Lớp tập huấn
    POLICY_DIALOGUE = "policy_dialogue"  # Đối thoại chính sách
    CHILDREN_CLUB = "children_club"  # CLB "Thủ lĩnh của sự thay đổi"
    CONTEST = "contest"  # Hội thi, liên hoan, giao lưu chia sẻ kinh nghiệm
    HOME_VISIT = "home_visit"  # Thăm hộ gia đình, tư vấn, địa chỉ tin cậy
    LIVELIHOOD = "livelihood"  # Hỗ trợ tổ nhóm sinh kế do phụ nữ làm chủ
    VISUAL_CAMPAIGN = "visual_campaign"  # Cổ động trực quan: băng rôn, pa nô, áp phích
    LAUNCH_CEREMONY = "launch_ceremony"  # Lễ phát động, mít tinh (tháng hành động)
    LEGAL_AID = "legal_aid"  # Trợ giúp pháp lý, hòa giải ở cơ sở
    SEMINAR = "seminar"  # Hội thảo, tọa đàm, hội nghị
    EXHIBITION = "exhibition"  # Triển lãm lưu động
    SUPERVISION = "supervision"  # Giám sát, phản biện xã hội
    GOOD_MODEL = "good_model"  # Tư liệu hóa mô hình, sáng kiến, gương điển hình
    OTHER = "other"  # Khác (ghi rõ)


class TrainingAudience(enum.Enum):
    """Đối tượng của lớp tập huấn (seed 004, Nội dung 4)."""

    LEGAL_OFFICERS = "legal_officers"  # Cán bộ tư pháp, báo cáo viên pháp luật
    VILLAGE_HEADS = "village_heads"  # Trưởng thôn, cán bộ thôn/tổ
    RESPECTED_PERSONS = "respected_persons"  # Già làng, người có uy tín
    RELIGIOUS_LEADERS = "religious_leaders"  # Chức sắc tôn giáo
    TEACHERS = "teachers"  # Giáo viên
    OFFICIALS = "officials"  # Cán bộ, công chức trong hệ thống chính trị
    MIXED = "mixed"  # Nhiều nhóm, hoặc nhóm khác


class FundingSource(enum.Enum):
    """Nguồn kinh phí of an activity (seeds 000 and 004)."""

    # CTMTQG phát triển kinh tế - xã hội vùng đồng bào DTTS và miền núi (Dự án 8 thuộc chương trình này)
    NTP_ETHNIC_MINORITY = "ntp_ethnic_minority"
    NTP_POVERTY = "ntp_poverty"  # CTMTQG giảm nghèo bền vững
    NTP_RURAL = "ntp_rural"  # CTMTQG xây dựng nông thôn mới
    LOCAL_BUDGET = "local_budget"  # Ngân sách địa phương
    SOCIALISED = "socialised"  # Nguồn xã hội hóa


class ProductKind(enum.Enum):
    """Sản phẩm truyền thông được phát hành, treo, trình chiếu tại hoạt động."""

    LEAFLET = "leaflet"  # Tờ rơi, tờ gấp
    POSTER = "poster"  # Áp phích, tranh cổ động
    PANEL = "panel"  # Pa nô, băng rôn, khẩu hiệu
    VIDEO = "video"  # Video, phóng sự, clip
    HANDBOOK = "handbook"  # Sổ tay, tài liệu


class Topic(enum.Enum):
    """Chủ đề truyền thông."""

    GENDER_EQUALITY = "gender_equality"  # Bình đẳng giới
    DOMESTIC_VIOLENCE = "domestic_violence"  # Bạo lực gia đình
    GENDER_BASED_VIOLENCE = "gender_based_violence"  # Bạo lực trên cơ sở giới
    CHILD_MARRIAGE = "child_marriage"  # Tảo hôn
    CONSANGUINEOUS_MARRIAGE = "consanguineous_marriage"  # Hôn nhân cận huyết thống
    HOME_BIRTH = "home_birth"  # Sinh đẻ tại nhà, làm mẹ an toàn
    TRAFFICKING = "trafficking"  # Mua bán người
    CHILD_SEXUAL_ABUSE = "child_sexual_abuse"  # Xâm hại tình dục trẻ em
    SCHOOL_VIOLENCE = "school_violence"  # Bạo lực học đường
    SEX_SELECTION = "sex_selection"  # Lựa chọn giới tính thai nhi
    ECONOMIC_EMPOWERMENT = "economic_empowerment"  # Nâng cao quyền năng kinh tế cho phụ nữ
    WOMEN_LEADERSHIP = "women_leadership"  # Phụ nữ tham gia lãnh đạo
    HARMFUL_CUSTOMS = "harmful_customs"  # Tập tục văn hóa có hại


class SessionLanguage(enum.Enum):
    """Ngôn ngữ của buổi truyền thông: tiếng phổ thông, tiếng dân tộc, hoặc cả hai."""

    VIETNAMESE = "vi"
    ETHNIC = "ethnic"
    BOTH = "both"


# Short codes of the one-line form (``/log tt 20/11 45/30/15/0/0/40 bdg,tao-hon``),
# ASCII abbreviations of the Vietnamese terms.
KIND_CODES: dict[ActivityKind, str] = {
    ActivityKind.DIRECT: "tt",
    ActivityKind.STAGED: "skh",
    ActivityKind.BROADCAST: "loa",
    ActivityKind.DIGITAL: "so",
    ActivityKind.TRAINING: "th",
    ActivityKind.POLICY_DIALOGUE: "dt",
    ActivityKind.CHILDREN_CLUB: "clb",
    ActivityKind.CONTEST: "hoi-thi",
    ActivityKind.HOME_VISIT: "tham",
    ActivityKind.LIVELIHOOD: "sk",
    ActivityKind.VISUAL_CAMPAIGN: "cd",
    ActivityKind.LAUNCH_CEREMONY: "mit-tinh",
    ActivityKind.LEGAL_AID: "tgpl",
    ActivityKind.SEMINAR: "hoi-thao",
    ActivityKind.EXHIBITION: "trien-lam",
    ActivityKind.SUPERVISION: "giam-sat",
    ActivityKind.GOOD_MODEL: "mo-hinh",
    ActivityKind.OTHER: "khac",
}

AUDIENCE_CODES: dict[TrainingAudience, str] = {
    TrainingAudience.LEGAL_OFFICERS: "tu-phap",
    TrainingAudience.VILLAGE_HEADS: "truong-thon",
    TrainingAudience.RESPECTED_PERSONS: "uy-tin",
    TrainingAudience.RELIGIOUS_LEADERS: "ton-giao",
    TrainingAudience.TEACHERS: "giao-vien",
    TrainingAudience.OFFICIALS: "can-bo",
    TrainingAudience.MIXED: "chung",
}

FUNDING_CODES: dict[FundingSource, str] = {
    FundingSource.NTP_ETHNIC_MINORITY: "dtts",
    FundingSource.NTP_POVERTY: "giam-ngheo",
    FundingSource.NTP_RURAL: "ntm",
    FundingSource.LOCAL_BUDGET: "nsdp",
    FundingSource.SOCIALISED: "xhh",
}

PRODUCT_CODES: dict[ProductKind, str] = {
    ProductKind.LEAFLET: "to-roi",
    ProductKind.POSTER: "ap-phich",
    ProductKind.PANEL: "pano",
    ProductKind.VIDEO: "video",
    ProductKind.HANDBOOK: "so-tay",
}

TOPIC_CODES: dict[Topic, str] = {
    Topic.GENDER_EQUALITY: "bdg",
    Topic.DOMESTIC_VIOLENCE: "blgd",
    Topic.GENDER_BASED_VIOLENCE: "blg",
    Topic.CHILD_MARRIAGE: "tao-hon",
    Topic.CONSANGUINEOUS_MARRIAGE: "can-huyet",
    Topic.HOME_BIRTH: "sinh-de",
    Topic.TRAFFICKING: "mua-ban",
    Topic.CHILD_SEXUAL_ABUSE: "xam-hai",
    Topic.SCHOOL_VIOLENCE: "hoc-duong",
    Topic.SEX_SELECTION: "chon-gioi",
    Topic.ECONOMIC_EMPOWERMENT: "kinh-te",
    Topic.WOMEN_LEADERSHIP: "lanh-dao",
    Topic.HARMFUL_CUSTOMS: "tap-tuc",
}

LANGUAGE_CODES: dict[SessionLanguage, str] = {
    SessionLanguage.VIETNAMESE: "vi",
    SessionLanguage.ETHNIC: "dt",
    SessionLanguage.BOTH: "vi+dt",
}


class Activity(Base):
    """Hoạt động: one session held on a local date (Asia/Ho_Chi_Minh) at a
    village or a commune, with its participants counted by sex and age.

    ``cost`` (chi phí, in đồng) and ``funding_source`` (nguồn kinh phí) are
    optional. ``women`` and ``men`` are adults; ``girls`` and ``boys`` are children under
    16, so ``women + men + girls + boys == total``. ``ethnic_minority`` counts
    the ethnic-minority participants among the total. Rows are never removed:
    ``deleted`` hides them from lists and reports.
    """

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind))
    kind_other: Mapped[str | None] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(Integer)
    women: Mapped[int] = mapped_column(Integer)
    men: Mapped[int] = mapped_column(Integer)
    girls: Mapped[int] = mapped_column(Integer)
    boys: Mapped[int] = mapped_column(Integer)
    ethnic_minority: Mapped[int] = mapped_column(Integer)
    language: Mapped[SessionLanguage] = mapped_column(str_enum(SessionLanguage, 16))
    ethnic_language: Mapped[str | None] = mapped_column(String(60))
    audience: Mapped[TrainingAudience | None] = mapped_column(str_enum(TrainingAudience))
    cost: Mapped[int | None] = mapped_column(BigInteger)  # đồng
    funding_source: Mapped[FundingSource | None] = mapped_column(str_enum(FundingSource))
    # The team, club or group that held it (tổ/CLB/nhóm tổ chức), if any.
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("register_entries.id"))
    note: Mapped[str | None] = mapped_column(String(1000))
    photo_file_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    voice_file_id: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topic_links: Mapped[list[ActivityTopic]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    product_links: Mapped[list[ActivityProduct]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint(
            "total >= 0 AND women >= 0 AND men >= 0 AND girls >= 0 AND boys >= 0"
            " AND ethnic_minority >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint("women + men + girls + boys = total", name="counts_add_up"),
        CheckConstraint("ethnic_minority <= total", name="ethnic_within_total"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
        Index("ix_activities_unit_held_on_kind", "unit_id", "held_on", "kind"),
        Index("ix_activities_held_on_kind", "held_on", "kind"),
        Index("ix_activities_reporter_created", "reporter_id", "created_at"),
        # Who logged sessions held on a few days (the edges of a report's
        # period, outside the monthly rollups), from the index alone.
        Index("ix_activities_held_on_reporter", "held_on", "reporter_id", "deleted"),
        # Classes by audience, and costs by source, are summed over the few
        # activities that carry one.
        Index(
            "ix_activities_audience",
            "held_on",
            "unit_id",
            sqlite_where=text("audience IS NOT NULL"),
            postgresql_where=text("audience IS NOT NULL"),
        ),
        Index(
            "ix_activities_costed",
            "held_on",
            "unit_id",
            sqlite_where=text("cost IS NOT NULL"),
            postgresql_where=text("cost IS NOT NULL"),
        ),
    )

    @property
    def topics(self) -> list[Topic]:
        """The topics in catalogue order."""
        order = list(Topic)
        return sorted((link.topic for link in self.topic_links), key=order.index)

    @property
    def products(self) -> dict[ProductKind, int]:
        """Communication products and their quantities, in catalogue order."""
        found = {link.product: link.quantity for link in self.product_links}
        return {p: found[p] for p in ProductKind if p in found}


class ActivityTopic(Base):
    """A topic (chủ đề) covered by an activity; an activity has one or more."""

    __tablename__ = "activity_topics"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[Topic] = mapped_column(str_enum(Topic), primary_key=True)

    __table_args__ = (Index("ix_activity_topics_topic", "topic", "activity_id"),)


class ActivityProduct(Base):
    """Sản phẩm truyền thông of an activity: how many leaflets, posters,
    panels, videos or handbooks it handed out, put up or showed."""

    __tablename__ = "activity_products"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    product: Mapped[ProductKind] = mapped_column(str_enum(ProductKind), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("quantity > 0", name="product_quantity_positive"),)

"""targets (chỉ tiêu) and "no activity this month" declarations

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-22 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base
from storage.reports import rollups

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003"

INDICATORS = ("sessions", "places", "trusted_addresses", "participants", "share")
KINDS = (
    "direct",
    "staged",
    "broadcast",
    "digital",
    "training",
    "policy_dialogue",
    "children_club",
    "contest",
    "home_visit",
    "livelihood",
    "other",
)
TOPICS = (
    "gender_equality",
    "domestic_violence",
    "gender_based_violence",
    "child_marriage",
    "consanguineous_marriage",
    "home_birth",
    "trafficking",
    "child_sexual_abuse",
    "school_violence",
    "sex_selection",
    "economic_empowerment",
    "women_leadership",
    "harmful_customs",
)
FIELDS = ("total", "women", "men", "girls", "boys", "ethnic_minority")


def _sums() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(name, sa.Integer(), nullable=False)
        for name in ("sessions", "total", "women", "men", "girls", "boys", "ethnic_minority")
    ]


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "indicator",
            sa.Enum(*INDICATORS, name="indicator", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "activity_kind",
            sa.Enum(*KINDS, name="activitykind", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column(
            "topic", sa.Enum(*TOPICS, name="topic", native_enum=False, length=32), nullable=True
        ),
        sa.Column(
            "field",
            sa.Enum(*FIELDS, name="participantfield", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("keyword", sa.String(length=60), nullable=True),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(unit_id IS NULL AND group_id IS NOT NULL) OR (unit_id IS NOT NULL AND group_id IS NULL)",
            name=op.f("ck_targets_one_owner"),
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_targets_value_not_negative")),
        sa.CheckConstraint(
            "population IS NULL OR population > 0", name=op.f("ck_targets_population_positive")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_targets_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["unit_groups.id"],
            name=op.f("fk_targets_group_id_unit_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_targets_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index("ix_targets_unit_year", ["unit_id", "year"])
        batch_op.create_index("ix_targets_group_year", ["group_id", "year"])

    op.create_table(
        "no_activity_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_no_activity_reports_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_no_activity_reports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_activity_reports")),
        sa.UniqueConstraint("user_id", "month", name="uq_no_activity_reports_user_month"),
    )
    with op.batch_alter_table("no_activity_reports", schema=None) as batch_op:
        batch_op.create_index("ix_no_activity_reports_month_unit", ["month", "unit_id"])

    op.create_table(
        "activity_rollups",
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "kind", sa.Enum(*KINDS, name="activitykind", native_enum=False, length=32), nullable=False
        ),
        sa.Column(
            "language",
            sa.Enum("vi", "ethnic", "both", name="sessionlanguage", native_enum=False, length=16),
            nullable=False,
        ),
        *_sums(),
        sa.ForeignKeyConstraint(
            ["scope_id"], ["units.id"], name=op.f("fk_activity_rollups_scope_id_units")
        ),
        sa.PrimaryKeyConstraint(
            "scope_id", "month", "kind", "language", name=op.f("pk_activity_rollups")
        ),
    )
    op.create_table(
        "activity_topic_rollups",
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "kind", sa.Enum(*KINDS, name="activitykind", native_enum=False, length=32), nullable=False
        ),
        sa.Column(
            "topic", sa.Enum(*TOPICS, name="topic", native_enum=False, length=32), nullable=False
        ),
        *_sums(),
        sa.ForeignKeyConstraint(
            ["scope_id"], ["units.id"], name=op.f("fk_activity_topic_rollups_scope_id_units")
        ),
        sa.PrimaryKeyConstraint(
            "scope_id", "month", "kind", "topic", name=op.f("pk_activity_topic_rollups")
        ),
    )
    op.create_table(
        "reporter_months",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reporter_months_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "month", name=op.f("pk_reporter_months")),
    )
    # The rollups follow activities through triggers; they need the
    # activities tables (revision 0003) to exist.
    rollups.install_triggers(op.get_bind())


def downgrade() -> None:
    rollups.drop_triggers(op.get_bind())
    op.drop_table("reporter_months")
    op.drop_table("activity_topic_rollups")
    op.drop_table("activity_rollups")
    with op.batch_alter_table("no_activity_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_no_activity_reports_month_unit")
    op.drop_table("no_activity_reports")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index("ix_targets_group_year")
        batch_op.drop_index("ix_targets_unit_year")
    op.drop_table("targets")

"""activities

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="activitykind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("kind_other", sa.String(length=200), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("women", sa.Integer(), nullable=False),
        sa.Column("men", sa.Integer(), nullable=False),
        sa.Column("girls", sa.Integer(), nullable=False),
        sa.Column("boys", sa.Integer(), nullable=False),
        sa.Column("ethnic_minority", sa.Integer(), nullable=False),
        sa.Column(
            "language",
            sa.Enum("vi", "ethnic", "both", name="sessionlanguage", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("ethnic_language", sa.String(length=60), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("photo_file_ids", sa.JSON(), nullable=False),
        sa.Column("voice_file_id", sa.String(length=255), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "total >= 0 AND women >= 0 AND men >= 0 AND girls >= 0 AND boys >= 0"
            " AND ethnic_minority >= 0",
            name=op.f("ck_activities_counts_not_negative"),
        ),
        sa.CheckConstraint(
            "women + men + girls + boys = total", name=op.f("ck_activities_counts_add_up")
        ),
        sa.CheckConstraint(
            "ethnic_minority <= total", name=op.f("ck_activities_ethnic_within_total")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_activities_reporter_id_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_activities_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_activities_idempotency_key")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index("ix_activities_unit_held_on_kind", ["unit_id", "held_on", "kind"])
        batch_op.create_index("ix_activities_held_on_kind", ["held_on", "kind"])
        batch_op.create_index("ix_activities_reporter_created", ["reporter_id", "created_at"])

    op.create_table(
        "activity_topics",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column(
            "topic",
            sa.Enum(*TOPICS, name="topic", native_enum=False, length=32),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_topics_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "topic", name=op.f("pk_activity_topics")),
    )
    with op.batch_alter_table("activity_topics", schema=None) as batch_op:
        batch_op.create_index("ix_activity_topics_topic", ["topic", "activity_id"])


def downgrade() -> None:
    with op.batch_alter_table("activity_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_topics_topic")
    op.drop_table("activity_topics")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_reporter_created")
        batch_op.drop_index("ix_activities_held_on_kind")
        batch_op.drop_index("ix_activities_unit_held_on_kind")
    op.drop_table("activities")

"""plans: what the local plans count on an activity (issue 16)

Revision ID: 0016_plans
Revises: 0008_rollup_scopes
Create Date: 2026-12-03 09:45:00

New activity kinds need no change here (kinds are stored as their value).
A training class may name its audience (``activities.audience``, empty for
every activity logged so far), and an activity may carry the communication
products it handed out or put up (``activity_products``, none so far), and
its cost in đồng and funding source (``activities.cost``,
``activities.funding_source``, empty so far). A target may be a budget in đồng
of one funding source (``targets.funding_source``; ``targets.value`` widened
to BIGINT, every value kept). Registers of teams, clubs, livelihood groups
and trusted addresses (``register_entries`` with their dated
``register_events`` and ``register_members``), empty to begin with; an
activity may name the entry that held it (``activities.held_by_id``).
Shelter intakes at trusted addresses (``shelter_intakes``, none so far).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0016_plans"
down_revision: str | None = "0008_rollup_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("audience", sa.String(length=32), nullable=True))
    op.add_column("activities", sa.Column("funding_source", sa.String(length=32), nullable=True))
    # SQLite cannot add a constraint to a table without copying it (and the
    # rollup triggers on ``activities`` forbid the copy): there the check
    # goes with the new column.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE activities ADD COLUMN cost BIGINT"
            " CONSTRAINT ck_activities_cost_not_negative CHECK (cost IS NULL OR cost >= 0)"
        )
    else:
        op.add_column("activities", sa.Column("cost", sa.BigInteger(), nullable=True))
        op.create_check_constraint(
            op.f("ck_activities_cost_not_negative"), "activities", "cost IS NULL OR cost >= 0"
        )
    op.create_table(
        "activity_products",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_activity_products_product_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_products_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "product", name=op.f("pk_activity_products")),
    )


    op.create_index(
        "ix_activities_audience",
        "activities",
        ["held_on", "unit_id"],
        unique=False,
        sqlite_where=sa.text("audience IS NOT NULL"),
        postgresql_where=sa.text("audience IS NOT NULL"),
    )
    op.create_index(
        "ix_activities_costed",
        "activities",
        ["held_on", "unit_id"],
        unique=False,
        sqlite_where=sa.text("cost IS NOT NULL"),
        postgresql_where=sa.text("cost IS NOT NULL"),
    )
    _registers()
    _shelter_intakes()
    # A budget target (kinh phí) is an amount in đồng, beyond an Integer's range.
    op.add_column("targets", sa.Column("funding_source", sa.String(length=32), nullable=True))
    op.add_column("targets", sa.Column("register_kind", sa.String(length=32), nullable=True))
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("value", existing_type=sa.Integer(), type_=sa.BigInteger())


def _registers() -> None:
    op.create_table(
        "register_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shelters", sa.Boolean(), nullable=False),
        sa.Column("equipment", sa.String(length=500), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_register_entries_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entries")),
        sa.UniqueConstraint(
            "kind", "unit_id", "name", name=op.f("uq_register_entries_kind")
        ),
    )
    op.create_index(
        "ix_register_entries_unit_kind", "register_entries", ["unit_id", "kind"], unique=False
    )
    op.create_table(
        "register_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_events_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_events")),
        sa.UniqueConstraint(
            "entry_id", "event", "on", name=op.f("uq_register_events_entry_id")
        ),
    )
    op.create_index("ix_register_events_event_on", "register_events", ["event", "on"], unique=False)
    op.create_table(
        "register_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_register_members_entry_id_register_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_members")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE activities ADD COLUMN held_by_id INTEGER"
            " CONSTRAINT fk_activities_held_by_id_register_entries"
            " REFERENCES register_entries (id)"
        )
    else:
        op.add_column("activities", sa.Column("held_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_activities_held_by_id_register_entries"),
            "activities",
            "register_entries",
            ["held_by_id"],
            ["id"],
        )


def _shelter_intakes() -> None:
    op.create_table(
        "shelter_intakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("taken_in_on", sa.Date(), nullable=False),
        sa.Column("nights", sa.Integer(), nullable=False),
        sa.Column("shelter", sa.Boolean(), nullable=False),
        sa.Column("counselling", sa.Boolean(), nullable=False),
        sa.Column("medical", sa.Boolean(), nullable=False),
        sa.Column("legal", sa.Boolean(), nullable=False),
        sa.Column("referral", sa.Boolean(), nullable=False),
        sa.Column("referral_enc", sa.Text(), nullable=True),
        sa.Column("incident_code_enc", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "nights >= 0 AND nights <= 366", name=op.f("ck_shelter_intakes_nights_range")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["register_entries.id"],
            name=op.f("fk_shelter_intakes_entry_id_register_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_shelter_intakes_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_shelter_intakes_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shelter_intakes")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_shelter_intakes_idempotency_key")
        ),
    )
    op.create_index(
        "ix_shelter_intakes_unit_day", "shelter_intakes", ["unit_id", "taken_in_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_shelter_intakes_unit_day", table_name="shelter_intakes")
    op.drop_table("shelter_intakes")
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("value", existing_type=sa.BigInteger(), type_=sa.Integer())
    op.drop_column("targets", "register_kind")
    op.drop_column("targets", "funding_source")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_activities_held_by_id_register_entries"), "activities", type_="foreignkey"
        )
    op.drop_column("activities", "held_by_id")
    op.drop_table("register_members")
    op.drop_table("register_events")
    op.drop_index("ix_register_entries_unit_kind", table_name="register_entries")
    op.drop_table("register_entries")
    op.drop_table("activity_products")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_activities_cost_not_negative"), "activities", type_="check")
    op.drop_index("ix_activities_costed", table_name="activities")
    op.drop_index("ix_activities_audience", table_name="activities")
    for column in ("cost", "funding_source", "audience"):
        op.drop_column("activities", column)

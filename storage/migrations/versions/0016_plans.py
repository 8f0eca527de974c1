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
to BIGINT, every value kept).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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


    # A budget target (kinh phí) is an amount in đồng, beyond an Integer's range.
    op.add_column("targets", sa.Column("funding_source", sa.String(length=32), nullable=True))
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("value", existing_type=sa.Integer(), type_=sa.BigInteger())


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("value", existing_type=sa.BigInteger(), type_=sa.Integer())
    op.drop_column("targets", "funding_source")
    op.drop_table("activity_products")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_activities_cost_not_negative"), "activities", type_="check")
    for column in ("cost", "funding_source", "audience"):
        op.drop_column("activities", column)

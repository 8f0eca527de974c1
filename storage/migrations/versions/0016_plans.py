"""plans: what the local plans count on an activity (issue 16)

Revision ID: 0016_plans
Revises: 0008_rollup_scopes
Create Date: 2026-12-03 09:45:00

New activity kinds need no change here (kinds are stored as their value).
A training class may name its audience (``activities.audience``, empty for
every activity logged so far), and an activity may carry the communication
products it handed out or put up (``activity_products``, none so far).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_plans"
down_revision: str | None = "0008_rollup_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("audience", sa.String(length=32), nullable=True))
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


def downgrade() -> None:
    op.drop_table("activity_products")
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("audience")

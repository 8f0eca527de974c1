"""links: a trusted address in the registers points at its directory row

Revision ID: 0021_links
Revises: 0016_plans
Create Date: 2026-12-03 12:30:00

``register_entries.address_id`` (nullable, at most one entry per directory
row): a register entry of kind trusted address refers to its row in the
trusted-address directory. Every entry kept so far stays valid with no link;
it is linked when its address is next saved or confirmed in the directory
(matched by place and name), or by the ``address`` column of the register CSV.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_links"
down_revision: str | None = "0016_plans"
branch_labels: str | Sequence[str] | None = None
# The directory (trusted_addresses) comes from the incidents branch.
depends_on: str | Sequence[str] | None = "0006"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference, never a constraint later.
        op.execute(
            "ALTER TABLE register_entries ADD COLUMN address_id INTEGER"
            " CONSTRAINT fk_register_entries_address_id_trusted_addresses"
            " REFERENCES trusted_addresses (id)"
        )
    else:
        op.add_column("register_entries", sa.Column("address_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_register_entries_address_id_trusted_addresses"),
            "register_entries",
            "trusted_addresses",
            ["address_id"],
            ["id"],
        )
    op.create_index(
        "ux_register_entries_address_id", "register_entries", ["address_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_register_entries_address_id", table_name="register_entries")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_register_entries_address_id_trusted_addresses"),
            "register_entries",
            type_="foreignkey",
        )
    op.drop_column("register_entries", "address_id")

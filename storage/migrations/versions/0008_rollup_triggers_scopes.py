"""reports: rollup triggers find a topic's commune and province by index

Revision ID: 0008_rollup_scopes
Revises: 0005
Create Date: 2026-12-01 16:30:00

The topic triggers of 0005 named the activity's unit through a joined table,
and PostgreSQL then scanned every unit for each topic (19 ms per topic with
the official tree alone, more with every village added). The triggers are
installed again from ``storage.reports.rollups``, whose statements now name
the unit by a subquery on the trigger's row. The rollups' contents do not
change.
"""

from collections.abc import Sequence

from alembic import op

from storage.reports import rollups

revision: str = "0008_rollup_scopes"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rollups.install_triggers(op.get_bind())


def downgrade() -> None:
    # The earlier statements gave the same rows, only slower: nothing to undo.
    pass

"""outbox: leases (who claimed an entry, and until when)

Revision ID: 0010_multi
Revises: 0008_rollup_scopes
Create Date: 2026-12-03 09:45:00

Several processes may run a sender one after the other (a standby takes over
from a leader that died), so a ``sending`` entry is no longer reset at start:
it belongs to its claimer until ``lease_until``. Entries left ``sending`` by
an earlier version have no lease: they count as lapsed and are taken over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision: str = "0010_multi"
down_revision: str | None = "0008_rollup_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0004"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")

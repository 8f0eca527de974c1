"""incidents: the key check value, and when a report's personal fields were purged

Revision ID: 0012_privacy
Revises: 0007_incident_figures
Create Date: 2026-12-03 10:00:00

``key_checks`` holds a known text sealed under the encryption key, so that a
wrong or changed ``BINHDANG_SECRET_KEY`` stops the start (storage.incidents.keys);
``incidents.purged_at`` records the retention purge (storage.incidents.retention).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision: str = "0012_privacy"
down_revision: str | None = "0007_incident_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_checks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_checks")),
    )
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("purged_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("purged_at")
    op.drop_table("key_checks")

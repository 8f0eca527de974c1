"""incidents: a covering index for the summaries' figures

Revision ID: 0007_incident_figures
Revises: 0006
Create Date: 2026-11-24 12:00:00

The national summary counts a year of reports by kind, status and escalation
and takes the median wait to acknowledgement; with this index (which starts
with ``reported_at`` and so replaces ``ix_incidents_reported_at``) both read
the index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_incident_figures"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_incidents_reported_figures",
        "incidents",
        ["reported_at", "kind", "status", "escalated", "acknowledged_at"],
        unique=False,
    )
    op.drop_index("ix_incidents_reported_at", table_name="incidents")


def downgrade() -> None:
    op.create_index("ix_incidents_reported_at", "incidents", ["reported_at"], unique=False)
    op.drop_index("ix_incidents_reported_figures", table_name="incidents")

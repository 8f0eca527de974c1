"""reports: who logged sessions on given days, from an index alone

Revision ID: 0018_perf
Revises: 0016_plans
Create Date: 2026-12-03 13:00:00

Reports count a collaborator as having reported from ``reporter_months`` for
the whole months of a period and from the activities for the days at its
edges (1 to 5 June of a half-year that ends on the six-month deadline). Those
days' reporters were read row by row from ``activities`` (7,000 rows, 60 ms
at the benchmark's scale, twice per report); this covering index
``(held_on, reporter_id, deleted)`` answers them alone. Nothing is rewritten:
the index is built from the rows as they are.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_perf"
down_revision: str | None = "0016_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_activities_held_on_reporter",
        "activities",
        ["held_on", "reporter_id", "deleted"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_activities_held_on_reporter", table_name="activities")

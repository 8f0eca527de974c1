"""durable at every step: discreet mode's erase rows, and the registration
request's submission key

Revision ID: 0009_durable
Revises: 0008_rollup_scopes
Create Date: 2026-12-03 09:50:00

``discreet_erasures``: one row per open /report in discreet mode ("erase
chat C from message id A"). ``registration_requests.submission_key``: the
draft's key, unique, so a redelivered "Send request" finds the request it
already filed; ``decision_key``: the press that decided it, so that the same
press handled again after a crash finishes what it started. Existing
requests keep NULL (several NULLs are allowed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision: str = "0009_durable"
down_revision: str | None = "0008_rollup_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discreet_erasures",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("from_message_id", sa.BigInteger(), nullable=False),
        sa.Column("open_update", sa.BigInteger(), nullable=True),
        sa.Column("gap_from", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    with op.batch_alter_table("registration_requests") as batch:
        batch.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("decision_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(
            "uq_registration_requests_submission_key", ["submission_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("registration_requests") as batch:
        batch.drop_constraint("uq_registration_requests_submission_key", type_="unique")
        batch.drop_column("decision_key")
        batch.drop_column("submission_key")
    op.drop_table("discreet_erasures")

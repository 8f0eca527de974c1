"""access: random public ids for registration requests, commune People's
Committees and Art. 36 notices, and wrong reference codes kept apart

Revision ID: 0011_access
Revises: 0008_rollup_scopes
Create Date: 2026-12-03 09:30:00

``registration_requests.public_id`` is what the approvers' buttons carry
(sequential ids could be tried one after another); existing requests get one
each. ``commune_committees`` holds each commune's People's Committee contact,
``art36_notices`` each notice a trusted address gave it (2022 Law on Domestic
Violence Prevention, Art. 36). ``incident_code_attempts`` keeps the wrong
codes typed with ``/report CODE`` without the user's id.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision: str = "0011_access"
down_revision: str | None = "0008_rollup_scopes"
branch_labels: str | Sequence[str] | None = None
# art36_notices refers to incidents (0006, on the other branch).
depends_on: str | Sequence[str] | None = "0007_incident_figures"


def upgrade() -> None:
    with op.batch_alter_table("registration_requests") as batch:
        batch.add_column(sa.Column("public_id", sa.String(length=24), nullable=True))
    bind = op.get_bind()
    table = sa.table("registration_requests", sa.column("id"), sa.column("public_id"))
    ids = bind.execute(sa.select(table.c.id)).scalars().all()
    for request_id in ids:
        bind.execute(
            table.update()
            .where(table.c.id == request_id)
            .values(public_id=secrets.token_urlsafe(12))
        )
    with op.batch_alter_table("registration_requests") as batch:
        batch.alter_column("public_id", existing_type=sa.String(length=24), nullable=False)
        batch.create_unique_constraint("uq_registration_requests_public_id", ["public_id"])

    op.create_table(
        "commune_committees",
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column(
            "updated_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "art36_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=64), nullable=False, unique=True),
        sa.Column("commune_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incidents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("informed", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_art36_notices_commune_id", "art36_notices", ["commune_id"])
    op.create_index("ix_art36_notices_incident_id", "art36_notices", ["incident_id"])
    op.create_table(
        "incident_code_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_incident_code_attempts_subject", "incident_code_attempts", ["subject"])


def downgrade() -> None:
    op.drop_table("incident_code_attempts")
    op.drop_table("art36_notices")
    op.drop_table("commune_committees")
    with op.batch_alter_table("registration_requests") as batch:
        batch.drop_constraint("uq_registration_requests_public_id", type_="unique")
        batch.drop_column("public_id")

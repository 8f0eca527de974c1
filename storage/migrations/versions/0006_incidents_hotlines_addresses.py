"""incidents, hotlines, trusted-address directory

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hotlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('descriptions', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotlines')),
    sa.UniqueConstraint('number', name=op.f('uq_hotlines_number'))
    )
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('submission_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('domestic_violence', 'sexual_violence', 'child_abuse', 'child_marriage', 'trafficking', 'other', name='incidentkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('new', 'taken', 'referred', 'closed', name='incidentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('danger_now', sa.Boolean(), nullable=False),
    sa.Column('affected', sa.JSON(), nullable=False),
    sa.Column('occurred', sa.Enum('now', 'today', 'week', 'earlier', name='occurred', native_enum=False, length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('contact', sa.Enum('anonymous', 'telegram', 'phone', name='contactmode', native_enum=False, length=16), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('description_enc', sa.Text(), nullable=True),
    sa.Column('media_enc', sa.Text(), nullable=True),
    sa.Column('location_enc', sa.Text(), nullable=True),
    sa.Column('reporter_enc', sa.Text(), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('due_at', storage.models.base.UTCDateTime(), nullable=True),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('referred_to', sa.Enum('police', 'health', 'legal_aid', 'child_protection', name='referral', native_enum=False, length=32), nullable=True),
    sa.Column('outcome', sa.Enum('supported', 'referred_on', 'not_confirmed', 'declined', 'duplicate', name='incidentoutcome', native_enum=False, length=32), nullable=True),
    sa.Column('reported_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', storage.models.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', storage.models.base.UTCDateTime(), nullable=True),
    sa.Column('updated_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['responsible_id'], ['users.id'], name=op.f('fk_incidents_responsible_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_incidents_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('code', name=op.f('uq_incidents_code')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_incidents_submission_key'))
    )
    op.create_index('ix_incidents_reported_at', 'incidents', ['reported_at'], unique=False)
    op.create_index('ix_incidents_status_due', 'incidents', ['status', 'due_at'], unique=False)
    op.create_index('ix_incidents_unit_reported', 'incidents', ['unit_id', 'reported_at'], unique=False)
    op.create_table('trusted_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phones', sa.JSON(), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('confirmed_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.Column('check_sent_at', storage.models.base.UTCDateTime(), nullable=True),
    sa.Column('stale_notified_at', storage.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_trusted_addresses_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_addresses'))
    )
    op.create_table('incident_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_alerts_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_incident_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_alerts')),
    sa.UniqueConstraint('incident_id', 'user_id', name='uq_incident_alerts_incident_user')
    )
    op.create_index(op.f('ix_incident_alerts_user_id'), 'incident_alerts', ['user_id'], unique=False)
    op.create_table('incident_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('from_reporter', sa.Boolean(), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=True),
    sa.Column('media_enc', sa.Text(), nullable=True),
    sa.Column('created_at', storage.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_incident_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_notes_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_notes'))
    )
    op.create_index(op.f('ix_incident_notes_incident_id'), 'incident_notes', ['incident_id'], unique=False)
    op.create_table('trusted_address_areas',
    sa.Column('address_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['address_id'], ['trusted_addresses.id'], name=op.f('fk_trusted_address_areas_address_id_trusted_addresses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_trusted_address_areas_unit_id_units')),
    sa.PrimaryKeyConstraint('address_id', 'unit_id', name=op.f('pk_trusted_address_areas'))
    )
    op.create_index(op.f('ix_trusted_address_areas_unit_id'), 'trusted_address_areas', ['unit_id'], unique=False)
    op.create_table('trusted_address_staff',
    sa.Column('address_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['address_id'], ['trusted_addresses.id'], name=op.f('fk_trusted_address_staff_address_id_trusted_addresses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trusted_address_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('address_id', 'user_id', name=op.f('pk_trusted_address_staff'))
    )
    op.create_index(op.f('ix_trusted_address_staff_user_id'), 'trusted_address_staff', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_trusted_address_staff_user_id'), table_name='trusted_address_staff')
    op.drop_table('trusted_address_staff')
    op.drop_index(op.f('ix_trusted_address_areas_unit_id'), table_name='trusted_address_areas')
    op.drop_table('trusted_address_areas')
    op.drop_index(op.f('ix_incident_notes_incident_id'), table_name='incident_notes')
    op.drop_table('incident_notes')
    op.drop_index(op.f('ix_incident_alerts_user_id'), table_name='incident_alerts')
    op.drop_table('incident_alerts')
    op.drop_table('trusted_addresses')
    op.drop_index('ix_incidents_unit_reported', table_name='incidents')
    op.drop_index('ix_incidents_status_due', table_name='incidents')
    op.drop_index('ix_incidents_reported_at', table_name='incidents')
    op.drop_table('incidents')
    op.drop_table('hotlines')

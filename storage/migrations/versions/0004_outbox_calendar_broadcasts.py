"""outbox, calendar and reminders, broadcasts

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base


revision: str = '0004'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table('outbox_payloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_payloads'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('payload_id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=160), nullable=True),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'blocked', 'failed', 'expired', 'cancelled', name='outboxstatus', native_enum=False, length=16), nullable=False),
    sa.Column('not_before', UTC(), nullable=False),
    sa.Column('expires_at', UTC(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', UTC(), nullable=True),
    sa.Column('finished_at', UTC(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('created_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['payload_id'], ['outbox_payloads.id'], name=op.f('fk_outbox_payload_id_outbox_payloads')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_chat_status', ['chat_id', 'status'], unique=False)
        batch_op.create_index('ix_outbox_due', ['status', 'priority', 'not_before', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_payload_id'), ['payload_id'], unique=False)
        batch_op.create_index('ix_outbox_ref_status', ['ref', 'status'], unique=False)

    op.create_table('calendar_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.Enum('action_month', 'day', 'deadline', name='eventkind', native_enum=False, length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('translatable', sa.Boolean(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('base_id', sa.Integer(), nullable=True),
    sa.Column('start_month', sa.SmallInteger(), nullable=False),
    sa.Column('start_day', sa.SmallInteger(), nullable=False),
    sa.Column('end_month', sa.SmallInteger(), nullable=False),
    sa.Column('end_day', sa.SmallInteger(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['calendar_events.id'], name=op.f('fk_calendar_events_base_id_calendar_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_calendar_events_created_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_calendar_events_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_events')),
    sa.UniqueConstraint('code', name=op.f('uq_calendar_events_code'))
    )
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_events_base_id'), ['base_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_events_unit_id'), ['unit_id'], unique=False)

    op.create_table('reminder_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('anchor', sa.Enum('start', 'end', name='anchor', native_enum=False, length=8), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('at_minute', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('ahead', 'starts', 'last_day', 'today', 'deadline', name='reminderpurpose', native_enum=False, length=16), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('only_incomplete', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['calendar_events.id'], name=op.f('fk_reminder_rules_event_id_calendar_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_rules'))
    )
    with op.batch_alter_table('reminder_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_rules_event_id'), ['event_id'], unique=False)

    op.create_table('reminder_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('occurs_on', sa.Date(), nullable=False),
    sa.Column('due_at', UTC(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['calendar_events.id'], name=op.f('fk_reminder_runs_event_id_calendar_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['reminder_rules.id'], name=op.f('fk_reminder_runs_rule_id_reminder_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_runs')),
    sa.UniqueConstraint('rule_id', 'event_id', 'occurs_on', name=op.f('uq_reminder_runs_rule_id'))
    )
    op.create_table('reminder_opt_outs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('action_month', 'day', 'deadline', name='eventkind', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_opt_outs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_reminder_opt_outs'))
    )
    with op.batch_alter_table('reminder_opt_outs', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_opt_outs_kind', ['kind'], unique=False)

    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('places', sa.JSON(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photo', sa.String(length=255), nullable=True),
    sa.Column('document', sa.String(length=255), nullable=True),
    sa.Column('first_at', UTC(), nullable=False),
    sa.Column('repeat', sa.Enum('none', 'daily', 'weekly', name='repeat', native_enum=False, length=8), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('next_at', UTC(), nullable=True),
    sa.Column('status', sa.Enum('active', 'done', 'cancelled', name='broadcaststatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('cancelled_at', UTC(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_broadcasts_author_id_users')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_broadcasts_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_broadcasts_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcasts_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_broadcasts_status_next_at', ['status', 'next_at'], unique=False)

    op.create_table('broadcast_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('scheduled_for', UTC(), nullable=False),
    sa.Column('status', sa.Enum('sending', 'done', 'cancelled', 'skipped', name='runstatus', native_enum=False, length=16), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('progress_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('progress_message_id', sa.BigInteger(), nullable=True),
    sa.Column('progress_shown', sa.String(length=64), nullable=True),
    sa.Column('started_at', UTC(), nullable=False),
    sa.Column('finished_at', UTC(), nullable=True),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_broadcast_runs_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_runs')),
    sa.UniqueConstraint('broadcast_id', 'scheduled_for', name=op.f('uq_broadcast_runs_broadcast_id'))
    )
    with op.batch_alter_table('broadcast_runs', schema=None) as batch_op:
        batch_op.create_index('ix_broadcast_runs_status', ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('broadcast_runs')
    op.drop_table('broadcasts')
    op.drop_table('reminder_opt_outs')
    op.drop_table('reminder_runs')
    op.drop_table('reminder_rules')
    op.drop_table('calendar_events')
    op.drop_table('outbox')
    op.drop_table('outbox_payloads')

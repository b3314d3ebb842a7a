"""cases: staff members, staff codes, staff group, cases, case messages, reply relays (merges surveys and referrals)

Revision ID: 0004_cases
Revises: 0002_surveys, 0003_referrals
Create Date: 2026-11-23 16:53:15.998617
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.base

revision: str = '0004_cases'
down_revision: str | Sequence[str] | None = ('0002_surveys', '0003_referrals')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_staff_codes_code_hash'))
    )
    op.create_table('staff_groups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_group_id', sa.String(length=64), nullable=False),
    sa.Column('linked_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unlinked_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_groups')),
    sa.UniqueConstraint('line_group_id', name=op.f('uq_staff_groups_line_group_id'))
    )
    op.create_table('staff_members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('enrolled_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members'))
    )
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.create_index('uq_staff_members_active_line_user', ['line_user_id'], unique=True, sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))

    op.create_table('cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('sentiment', sa.Float(), nullable=True),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('opened_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_due_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolve_due_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('claimed_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('resolved_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_alerted_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recovery_invitation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recovery_rating', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['staff_members.id'], name=op.f('fk_cases_claimed_by_id_staff_members')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_cases_customer_id_customers')),
    sa.ForeignKeyConstraint(['recovery_invitation_id'], ['survey_invitations.id'], name=op.f('fk_cases_recovery_invitation_id_survey_invitations')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['staff_members.id'], name=op.f('fk_cases_resolved_by_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_status_opened', ['status', 'opened_at'], unique=False)
        batch_op.create_index('uq_cases_one_active_per_customer', ['customer_id'], unique=True, sqlite_where=sa.text("status <> 'resolved'"), postgresql_where=sa.text("status <> 'resolved'"))

    op.create_table('case_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['event_id'], ['webhook_events.id'], name=op.f('fk_case_messages_event_id_webhook_events')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_case_messages_staff_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages'))
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_messages_case_id'), ['case_id'], unique=False)

    op.create_table('reply_relays',
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('started_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reply_relays_case_id_cases')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_reply_relays_staff_id_staff_members')),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_reply_relays'))
    )


def downgrade() -> None:
    op.drop_table('reply_relays')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_messages_case_id'))

    op.drop_table('case_messages')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_one_active_per_customer', sqlite_where=sa.text("status <> 'resolved'"), postgresql_where=sa.text("status <> 'resolved'"))
        batch_op.drop_index('ix_cases_status_opened')

    op.drop_table('cases')
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_index('uq_staff_members_active_line_user', sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))

    op.drop_table('staff_members')
    op.drop_table('staff_groups')
    op.drop_table('staff_codes')

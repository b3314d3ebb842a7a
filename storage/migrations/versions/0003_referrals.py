"""referrals: campaigns, codes, referrals, rewards, code attempts, first purchases

Revision ID: 0003_referrals
Revises: 0001_foundation
Create Date: 2026-11-23 16:32:06.117787
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import storage.base

revision: str = '0003_referrals'
down_revision: str | Sequence[str] | None = '0001_foundation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('referral_campaigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('starts_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('loaded_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_campaigns')),
    sa.UniqueConstraint('slug', name=op.f('uq_referral_campaigns_slug'))
    )
    op.create_table('first_purchases',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recorded_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_first_purchases_customer_id_customers')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_first_purchases'))
    )
    op.create_table('referral_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_referral_attempts_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_attempts'))
    )
    with op.batch_alter_table('referral_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_referral_attempts_customer_created', ['customer_id', 'created_at'], unique=False)

    op.create_table('referral_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_referral_codes_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_referral_codes_code')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_referral_codes_customer_id'))
    )
    op.create_table('referrals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referrer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pair_low', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pair_high', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('qualified_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('qualified_reason', sa.String(length=32), nullable=True),
    sa.CheckConstraint('pair_low < pair_high', name=op.f('ck_referrals_pair_ordered')),
    sa.CheckConstraint('referrer_id <> referee_id', name=op.f('ck_referrals_not_self')),
    sa.ForeignKeyConstraint(['campaign_id'], ['referral_campaigns.id'], name=op.f('fk_referrals_campaign_id_referral_campaigns')),
    sa.ForeignKeyConstraint(['code_id'], ['referral_codes.id'], name=op.f('fk_referrals_code_id_referral_codes')),
    sa.ForeignKeyConstraint(['referee_id'], ['customers.id'], name=op.f('fk_referrals_referee_id_customers')),
    sa.ForeignKeyConstraint(['referrer_id'], ['customers.id'], name=op.f('fk_referrals_referrer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('pair_low', 'pair_high', name='uq_referrals_pair'),
    sa.UniqueConstraint('referee_id', name=op.f('uq_referrals_referee_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_referrer_id'), ['referrer_id'], unique=False)

    op.create_table('rewards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('grant_key', sa.String(length=96), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referral_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('vip', sa.Boolean(), nullable=False),
    sa.Column('issued_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('redeemed_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('redeemed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['referral_campaigns.id'], name=op.f('fk_rewards_campaign_id_referral_campaigns')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_rewards_customer_id_customers')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_rewards_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rewards')),
    sa.UniqueConstraint('code', name=op.f('uq_rewards_code')),
    sa.UniqueConstraint('grant_key', name=op.f('uq_rewards_grant_key'))
    )
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.create_index('ix_rewards_customer_redeemed', ['customer_id', 'redeemed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.drop_index('ix_rewards_customer_redeemed')

    op.drop_table('rewards')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_referrer_id'))

    op.drop_table('referrals')
    op.drop_table('referral_codes')
    with op.batch_alter_table('referral_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_attempts_customer_created')

    op.drop_table('referral_attempts')
    op.drop_table('first_purchases')
    op.drop_table('referral_campaigns')

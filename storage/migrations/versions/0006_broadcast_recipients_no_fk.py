"""broadcast recipients without foreign keys: a 100k snapshot is one INSERT … SELECT, not 200k row checks

Revision ID: 0006_broadcast_recipients_no_fk
Revises: 0005_broadcasts
Create Date: 2026-11-23 18:09:22.759229
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006_broadcast_recipients_no_fk'
down_revision: str | Sequence[str] | None = '0005_broadcasts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('broadcast_recipients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_broadcast_recipients_customer_id_customers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_broadcast_recipients_broadcast_id_broadcasts'), type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('broadcast_recipients', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_broadcast_recipients_broadcast_id_broadcasts'), 'broadcasts',
                                    ['broadcast_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_broadcast_recipients_customer_id_customers'), 'customers',
                                    ['customer_id'], ['id'])

"""webhook events without an index on the sender: no query reads by it, and every webhook paid a page write for it

Revision ID: 0007_events_no_user_index
Revises: 0006_broadcast_recipients_no_fk
Create Date: 2026-12-02 14:55:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007_events_no_user_index'
down_revision: str | Sequence[str] | None = '0006_broadcast_recipients_no_fk'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_webhook_events_source_user_id', table_name='webhook_events')


def downgrade() -> None:
    op.create_index('ix_webhook_events_source_user_id', 'webhook_events', ['source_user_id'], unique=False)

"""survey invitations per occasion: a follow-up (the recovery survey after case N) is its own invitation

Revision ID: 0008_invitation_occasion
Revises: 0007_events_no_user_index
Create Date: 2026-12-08 01:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_invitation_occasion'
down_revision: str | Sequence[str] | None = '0007_events_no_user_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occasion', sa.String(length=32), server_default='', nullable=False))
        batch_op.drop_constraint('uq_survey_invitations_customer_id', type_='unique')
        batch_op.create_unique_constraint('uq_survey_invitations_customer_version_occasion',
                                          ['customer_id', 'version_id', 'occasion'])


def downgrade() -> None:
    # a customer's later follow-ups of one version have no place under the old key: forget them
    doomed = ("SELECT id FROM survey_invitations WHERE id NOT IN "
              "(SELECT min(id) FROM survey_invitations GROUP BY customer_id, version_id)")
    op.execute(f"UPDATE cases SET recovery_invitation_id = NULL WHERE recovery_invitation_id IN ({doomed})")
    op.execute(f"UPDATE survey_responses SET invitation_id = NULL WHERE invitation_id IN ({doomed})")
    op.execute(f"DELETE FROM survey_invitations WHERE id IN ({doomed})")
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_survey_invitations_customer_version_occasion', type_='unique')
        batch_op.create_unique_constraint('uq_survey_invitations_customer_id', ['customer_id', 'version_id'])
        batch_op.drop_column('occasion')

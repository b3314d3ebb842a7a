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
    # the old key holds one invitation per customer and version: keep the ordinary one (broadcasts count
    # their starts by it), else the first follow-up, and forget the rest
    doomed = ("SELECT id FROM survey_invitations s WHERE id != (SELECT t.id FROM survey_invitations t "
              "WHERE t.customer_id = s.customer_id AND t.version_id = s.version_id "
              "ORDER BY t.occasion != '', t.id LIMIT 1)")
    op.execute(f"UPDATE cases SET recovery_invitation_id = NULL WHERE recovery_invitation_id IN ({doomed})")
    op.execute(f"UPDATE survey_responses SET invitation_id = NULL WHERE invitation_id IN ({doomed})")
    op.execute(f"DELETE FROM survey_invitations WHERE id IN ({doomed})")
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_survey_invitations_customer_version_occasion', type_='unique')
        batch_op.create_unique_constraint('uq_survey_invitations_customer_id', ['customer_id', 'version_id'])
        batch_op.drop_column('occasion')

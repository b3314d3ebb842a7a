"""What a broadcast achieved: survey starts and completions of its recipients, over time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from storage.models import (
    BatchStatus,
    BroadcastBatch,
    BroadcastRecipient,
    ResponseState,
    SurveyInvitation,
    SurveyResponse,
)


def _by(customer, condition):
    return func.count(func.distinct(case((condition, customer), else_=None)))


def response_counts(session: Session, *, broadcast_id: int, version_id: int,
                    moments: Sequence[datetime]) -> tuple[int, int, list[int]]:
    """Recipients who started and who completed the survey from this broadcast's invitation,
    and how many had completed by each moment."""
    customer = SurveyResponse.customer_id
    completed = SurveyResponse.state == ResponseState.COMPLETED
    columns = [func.count(func.distinct(customer)), _by(customer, completed)]
    columns += [_by(customer, and_(completed, SurveyResponse.completed_at <= moment)) for moment in moments]
    # only recipients whose batch LINE accepted: a cancelled or failed batch's people may be invited by another send
    query = (select(*columns).select_from(BroadcastRecipient)
             .join(BroadcastBatch, and_(BroadcastBatch.broadcast_id == BroadcastRecipient.broadcast_id,
                                        BroadcastBatch.number == BroadcastRecipient.batch_number,
                                        BroadcastBatch.status == BatchStatus.SENT))
             .join(SurveyInvitation, and_(SurveyInvitation.customer_id == BroadcastRecipient.customer_id,
                                          SurveyInvitation.version_id == version_id,
                                          SurveyInvitation.occasion == ""))
             .join(SurveyResponse, SurveyResponse.invitation_id == SurveyInvitation.id)
             .where(BroadcastRecipient.broadcast_id == broadcast_id))
    starts, completions, *by_moment = session.execute(query).one()
    return starts, completions, list(by_moment)

"""A free-text survey answer that reads as a complaint opens a case, as the same words would in the chat."""

from __future__ import annotations

from handlers.complaint_detection import classify
from handlers.complaints import handle_complaint
from handlers.context import HandlerContext
from handlers.escalation.options import complaint_thresholds
from handlers.replies import Outgoing
from handlers.routing import Router
from handlers.surveys import on_free_text
from storage.models import CaseSource, Customer, SurveyAnswer


def open_case_if_complaint(ctx: HandlerContext, customer: Customer, answer: SurveyAnswer) -> list[Outgoing]:
    """Open (or join) the customer's case when the answer is a complaint by the chat's own rules."""
    verdict = classify(answer.text, complaint_thresholds(ctx.options))
    if not verdict.is_complaint:
        return []
    return handle_complaint(ctx, customer=customer, text=answer.text, score=verdict.complaint_probability,
                            source=CaseSource.SURVEY, sentiment=answer.sentiment, event_id=answer.event_id)


def register(router: Router) -> None:
    """Hand every free-text survey answer to complaint handling."""
    on_free_text(open_case_if_complaint)

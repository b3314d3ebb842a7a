"""Closing the loop: a resolved case invites the customer to the service-recovery survey, and a
customer who rates the handling 4–5 is offered their referral code (a recovered customer is the best advocate).
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.context import HandlerContext
from handlers.referrals import code_reply
from handlers.replies import Notify, Outgoing, Text
from handlers.surveys import EntrySource, invite
from storage import cases, referrals
from storage.models import Case, Customer, SurveyAnswer, SurveyResponse

RECOVERY_SURVEY = "service_recovery"
RATING_QUESTION = "rating"
RECOVERED_AT_LEAST = 4


def follow_up(ctx: HandlerContext, *, case: Case, customer: Customer) -> tuple[list[Outgoing], str | None]:
    """Invite the customer to the recovery survey; when the survey rules forbid it, push a closing note instead.

    Returns the pushes and, when no survey went out, the survey module's reason (``Refusal``).
    """
    t = ctx.catalogue.translator(customer.language)
    result = invite(ctx, customer=customer, survey_key=RECOVERY_SURVEY, source=EntrySource.TRIGGER,
                    follow_up=f"case:{case.id}", about=t("case.recovery.card_about", number=case.id))
    if result.invitation is not None:
        case.recovery_invitation_id = result.invitation.id
        return result.outgoing, None
    closing = Notify(to=customer.line_user_id, messages=(Text(t("case.closed_customer", number=case.id)),),
                     customer_id=customer.id)
    return [closing], str(result.refused)


def _case_of(ctx: HandlerContext, customer: Customer, response: SurveyResponse) -> Case | None:
    """The case this survey followed up: by its invitation, else the customer's latest resolved case that
    got no card of its own (one that did is rated from its card, not from a survey sent for anything else)."""
    if response.invitation_id is not None:
        case = cases.get_by_recovery_invitation(ctx.session, invitation_id=response.invitation_id)
        if case is not None:
            return case
    latest = cases.get_latest_resolved(ctx.session, customer_id=customer.id)
    if latest is None or latest.recovery_rating is not None or latest.recovery_invitation_id is not None:
        return None
    return latest


def on_recovery_completed(ctx: HandlerContext, customer: Customer, response: SurveyResponse,
                          answers: Mapping[str, SurveyAnswer]) -> list[Outgoing]:
    """Record the recovery rating on the case; offer a recovered customer (4–5) their referral code."""
    case = _case_of(ctx, customer, response)
    if case is None:
        return []
    answer = answers.get(RATING_QUESTION)
    rating = answer.number if answer is not None else None
    case.recovery_rating = rating
    if rating is None or rating < RECOVERED_AT_LEAST:
        return []
    if referrals.get_active_campaign(ctx.session, now=ctx.now) is None:
        return []
    return [Text(ctx.catalogue.text("case.recovery.referral_offer", customer.language)), *code_reply(ctx)]

"""The SLA job: unclaimed cases go up to the managers, unresolved ones raise an alert, each exactly once.

Several workers may run the job at the same moment; each case is claimed with a conditional
UPDATE (``escalated_at IS NULL`` / ``overdue_alerted_at IS NULL``), so only one of them sends.
"""

from __future__ import annotations

from handlers.escalation import cards
from handlers.jobs import JobContext
from handlers.replies import Notify
from storage import cases
from storage.models import Customer

JOB_NAME = "case_sla"
EVERY_MINUTES = 1


def _announce(ctx: JobContext, case_id: int, headline: str) -> list[Notify]:
    case = cases.get_case(ctx.session, case_id=case_id)
    customer = ctx.session.get(Customer, case.customer_id)
    return cards.announce_case(ctx.session, ctx.catalogue, case=case, customer=customer, headline=headline,
                               now=ctx.now, zone=ctx.zone, managers=True)


def check_sla(ctx: JobContext) -> list[Notify]:
    """Re-escalate cases nobody claimed in time; alert about cases still unresolved at their deadline."""
    pushes: list[Notify] = []
    for case_id in cases.list_unclaimed_overdue_ids(ctx.session, now=ctx.now):
        if cases.mark_escalated(ctx.session, case_id=case_id, now=ctx.now):
            pushes += _announce(ctx, case_id, "case.card.unclaimed")
    for case_id in cases.list_unresolved_overdue_ids(ctx.session, now=ctx.now):
        if cases.mark_overdue_alerted(ctx.session, case_id=case_id, now=ctx.now):
            pushes += _announce(ctx, case_id, "case.card.overdue")
    return pushes

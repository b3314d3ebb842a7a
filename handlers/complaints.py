"""Complaints become cases: an apology with a promise to the customer, a card to the staff.

Other modules (a survey's negative free-text answer) open cases with ``open_or_join_case`` and
turn the outcome into messages with ``complaint_replies`` — or do both with ``handle_complaint``.
Detection (snownlp and the n-gram model) runs here, in the worker, never in the web process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from handlers.actions import Action
from handlers.catalogue import Translator
from handlers.complaint_detection import classify
from handlers.context import HandlerContext
from handlers.escalation import cards
from handlers.escalation.options import CaseOptions, complaint_thresholds, local_time
from handlers.events import InboundEvent
from handlers.menu import asks_for_menu
from handlers.replies import Button, Message, Notify, Outgoing, Postback, Text
from handlers.routing import Router
from storage import cases, staff
from storage.models import Case, CaseMessageKind, CaseSource, Customer

log = logging.getLogger(__name__)

COMPLAINT_PRIORITY = 80
VERDICT = "complaint.verdict"


@dataclass(frozen=True)
class CaseOutcome:
    """The case a complaint went to, and whether it was opened just now (so it needs acknowledging)."""

    case: Case
    opened: bool


def open_or_join_case(session: Session, *, customer: Customer, text: str, score: float, now: datetime,
                      source: CaseSource, sentiment: float | None = None, options: Mapping[str, str] | None = None,
                      event_id: int | None = None) -> CaseOutcome:
    """Open a case for the customer's complaint, or add the message to the case already in progress.

    ``score`` is the complaint probability (0 … 1): ``verdict.complaint_probability`` from
    ``classify``, or ``1 - sentiment`` when only a sentiment score is at hand.
    """
    timing = CaseOptions.from_options(options or {})
    case = cases.get_active_case(session, customer_id=customer.id)
    opened = False
    if case is None:
        case = cases.create_case(session, customer_id=customer.id, source=source, score=score, sentiment=sentiment,
                                 excerpt=text, now=now, claim_due_at=timing.claim_due(now),
                                 resolve_due_at=timing.resolve_due(now))
        opened = case is not None
        # None: a message sent at the same instant opened it first; join that one
        case = case or cases.get_active_case(session, customer_id=customer.id)
    cases.add_message(session, case=case, kind=CaseMessageKind.CUSTOMER, text=text, now=now, event_id=event_id)
    return CaseOutcome(case, opened)


def _to_customer(ctx: HandlerContext, customer: Customer, message: Message) -> Outgoing:
    """A reply when the customer is the one writing, else a push."""
    if ctx.customer is not None and ctx.customer.id == customer.id:
        return message
    return Notify(to=customer.line_user_id, messages=(message,), customer_id=customer.id)


def _acknowledgement(ctx: HandlerContext, case: Case, customer: Customer) -> Message:
    t = ctx.catalogue.translator(customer.language)
    return Text(t("complaint.acknowledgement", name=cards.customer_name(t, customer), number=case.id,
                  due=local_time(t, case.claim_due_at, ctx.now, ctx.zone)))


def _forward(ctx: HandlerContext, case: Case, customer: Customer, text: str) -> list[Notify]:
    """Pass a follow-up message to whoever handles the case (the staff at large while nobody has)."""
    def build(t: Translator) -> tuple[Message, ...]:
        reply = Button(label=t("case.button.reply"), postback=Postback(Action.CASE_REPLY, {"c": str(case.id)}),
                       display_text=t("case.button.reply_display", number=case.id))
        return (Text(t("case.followup", number=case.id, name=cards.customer_name(t, customer), text=text),
                     quick_replies=(reply,)),)

    handler = staff.get_member(ctx.session, staff_id=case.claimed_by_id) if case.claimed_by_id else None
    if handler is not None and cards.reachable(ctx.session, handler):  # else the staff at large: it must reach someone
        return cards.notify_members(ctx.session, ctx.catalogue, [handler], build)
    return cards.notify_staff(ctx.session, ctx.catalogue, build)


def complaint_replies(ctx: HandlerContext, outcome: CaseOutcome, *, customer: Customer, text: str) -> list[Outgoing]:
    """What a complaint causes: apology and staff card for a new case; a note and a forward for a follow-up."""
    case = outcome.case
    if not outcome.opened:
        t = ctx.catalogue.translator(customer.language)
        return [_to_customer(ctx, customer, Text(t("case.joined", number=case.id))),
                *_forward(ctx, case, customer, text)]
    notifications = cards.announce_case(ctx.session, ctx.catalogue, case=case, customer=customer,
                                        headline="case.card.new", now=ctx.now, zone=ctx.zone)
    if not notifications:
        log.warning("case %s opened but no staff group or on-duty staff to tell", case.id)
    return [_to_customer(ctx, customer, _acknowledgement(ctx, case, customer)), *notifications]


def handle_complaint(ctx: HandlerContext, *, customer: Customer, text: str, score: float, source: CaseSource,
                     sentiment: float | None = None, event_id: int | None = None) -> list[Outgoing]:
    """Open or join the customer's case and return the acknowledgement and staff notifications."""
    outcome = open_or_join_case(ctx.session, customer=customer, text=text, score=score, now=ctx.now, source=source,
                                sentiment=sentiment, options=ctx.options, event_id=event_id)
    return complaint_replies(ctx, outcome, customer=customer, text=text)


def on_message(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """A customer's text: joins their case in progress, or opens one if it is a complaint; else not ours."""
    if event.is_group or ctx.customer is None or not (event.text or "").strip():
        return None
    active = cases.get_active_case(ctx.session, customer_id=ctx.customer.id)
    if active is not None:
        if asks_for_menu(ctx, event.text):  # still shows the menu while a case is open
            return None
        return handle_complaint(ctx, customer=ctx.customer, text=event.text, score=active.score,
                                source=CaseSource.CHAT, event_id=event.id)
    verdict = ctx.memo.get(VERDICT) or classify(event.words, complaint_thresholds(ctx.options))
    if not verdict.is_complaint:
        return None
    return handle_complaint(ctx, customer=ctx.customer, text=event.text, score=verdict.complaint_probability,
                            source=CaseSource.CHAT, sentiment=verdict.sentiment, event_id=event.id)


def classify_ahead(options: Mapping[str, str], event: InboundEvent) -> dict:
    """Score a customer's text before the event's transaction: the costly part of complaint detection."""
    if event.type != "message" or event.is_group or not (event.text or "").strip():
        return {}
    return {VERDICT: classify(event.words, complaint_thresholds(options))}


def register(router: Router) -> None:
    """Attach complaint detection after surveys, keywords and codes, before the help menu."""
    router.prepare(classify_ahead)
    router.on_message(COMPLAINT_PRIORITY, on_message)

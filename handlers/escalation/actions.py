"""The card's buttons: 認領 (claim), 回覆 (reply) and 已解決 (resolve), for enrolled staff only."""

from __future__ import annotations

import re
from collections.abc import Callable

from handlers.context import HandlerContext
from handlers.escalation import cards, recovery
from handlers.escalation.options import CaseOptions
from handlers.events import InboundEvent
from handlers.replies import Message, Outgoing, Text
from handlers.staff import get_actor
from storage import cases, staff
from storage.models import Case, CaseMessageKind, CaseStatus, Customer, StaffMember, StaffRole

CASE_NUMBER = re.compile(r"[0-9]{1,18}")
ReplyFn = Callable[[HandlerContext, InboundEvent, StaffMember, Case], list[Outgoing]]


def _handler_name(ctx: HandlerContext, case: Case) -> str:
    member = staff.get_member(ctx.session, staff_id=case.claimed_by_id) if case.claimed_by_id else None
    return member.name if member else "?"


def _state_refusal(ctx: HandlerContext, case: Case, actor: StaffMember) -> list[Outgoing]:
    """Why a button does nothing now: the case is closed, or someone else has it."""
    if case.status == CaseStatus.RESOLVED:
        resolver = staff.get_member(ctx.session, staff_id=case.resolved_by_id) if case.resolved_by_id else None
        return [Text(ctx.t("case.already_resolved", number=case.id, name=resolver.name if resolver else "?"))]
    if case.claimed_by_id == actor.id:
        return [Text(ctx.t("case.already_yours", number=case.id))]
    return [Text(ctx.t("case.already_claimed", number=case.id, name=_handler_name(ctx, case)))]


def _up_for_grabs(ctx: HandlerContext, case: Case) -> bool:
    """Open, or claimed by someone removed from the staff since: anyone may take it."""
    if case.status == CaseStatus.OPEN:
        return True
    if case.status != CaseStatus.CLAIMED or case.claimed_by_id is None:
        return False
    member = staff.get_member(ctx.session, staff_id=case.claimed_by_id)
    return member is None or member.removed_at is not None


def _may_handle(ctx: HandlerContext, case: Case, actor: StaffMember) -> bool:
    """The one who claimed a case handles it; managers may step in; an open (or orphaned) case is anyone's."""
    return case.claimed_by_id == actor.id or actor.role == StaffRole.MANAGER or _up_for_grabs(ctx, case)


def staff_only(step: ReplyFn) -> Callable[[HandlerContext, InboundEvent], list[Outgoing]]:
    """Check the actor and the case before a button does anything; refuse everyone else politely."""
    def handler(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
        actor = get_actor(ctx, event)
        if actor is None:
            return [Text(ctx.t("staff.not_allowed"))]
        raw = event.postback.params.get("c", "") if event.postback else ""
        # ASCII digits only, within a database integer: str.isdigit() also takes '²', which int() refuses
        case = cases.get_case(ctx.session, case_id=int(raw)) if CASE_NUMBER.fullmatch(raw) else None
        if case is None:
            return [Text(ctx.t("case.not_found"))]
        return step(ctx, event, actor, case)

    return handler


def _claim(ctx: HandlerContext, event: InboundEvent, actor: StaffMember, case: Case) -> list[Outgoing]:
    if not cases.claim_case(ctx.session, case_id=case.id, staff_id=actor.id, now=ctx.now):
        return _state_refusal(ctx, cases.get_case(ctx.session, case_id=case.id), actor)
    return [Text(ctx.t("case.claimed", number=case.id, name=actor.name))]


def _to_actor(ctx: HandlerContext, event: InboundEvent, actor: StaffMember, message: Message) -> list[Outgoing]:
    """A message for the actor's 1:1 chat: the reply itself there, a push when they tapped in the group."""
    if not event.is_group:
        return [message]
    return [cards.to_member(ctx.session, actor, (message,))]


def _reply(ctx: HandlerContext, event: InboundEvent, actor: StaffMember, case: Case) -> list[Outgoing]:
    if case.status == CaseStatus.RESOLVED or not _may_handle(ctx, case, actor):
        return _state_refusal(ctx, case, actor)
    if _up_for_grabs(ctx, case) and not cases.claim_case(ctx.session, case_id=case.id, staff_id=actor.id,
                                                         now=ctx.now):
        case = cases.get_case(ctx.session, case_id=case.id)
        if case.status == CaseStatus.RESOLVED or not _may_handle(ctx, case, actor):
            return _state_refusal(ctx, case, actor)
    window = CaseOptions.from_options(ctx.options).reply_window
    cases.start_relay(ctx.session, staff_id=actor.id, case_id=case.id, now=ctx.now, expires_at=ctx.now + window)
    customer = ctx.session.get(Customer, case.customer_id)
    t = cards.staff_translator(ctx.session, ctx.catalogue, actor)
    said = [m.text for m in cases.list_messages(ctx.session, case_id=case.id) if m.kind == CaseMessageKind.CUSTOMER]
    prompt = Text(t("case.reply_prompt", number=case.id, name=cards.customer_name(t, customer),
                    text=cards.excerpt(said[-1] if said else case.excerpt, 200),
                    minutes=int(window.total_seconds() // 60)))
    answer = _to_actor(ctx, event, actor, prompt)
    if event.is_group:
        answer.insert(0, Text(ctx.t("case.replying", number=case.id, name=actor.name)))
    return answer


def _resolve(ctx: HandlerContext, event: InboundEvent, actor: StaffMember, case: Case) -> list[Outgoing]:
    if case.status == CaseStatus.RESOLVED or not _may_handle(ctx, case, actor):
        return _state_refusal(ctx, case, actor)
    if not cases.resolve_case(ctx.session, case_id=case.id, staff_id=actor.id, now=ctx.now):
        return _state_refusal(ctx, cases.get_case(ctx.session, case_id=case.id), actor)
    cases.drop_relays(ctx.session, case_id=case.id)
    case = cases.get_case(ctx.session, case_id=case.id)
    customer = ctx.session.get(Customer, case.customer_id)
    follow_up, skipped = recovery.follow_up(ctx, case=case, customer=customer)
    outcome = ctx.t(f"case.recovery_skipped.{skipped}") if skipped else ctx.t("case.recovery_sent")
    return [Text(ctx.t("case.resolved", number=case.id, name=actor.name) + "\n" + outcome), *follow_up]


on_claim = staff_only(_claim)
on_reply = staff_only(_reply)
on_resolve = staff_only(_resolve)

"""The reply relay: after 回覆, a staff member's next 1:1 message goes to the customer as the shop."""

from __future__ import annotations

from handlers.context import HandlerContext
from handlers.escalation import cards
from handlers.events import InboundEvent
from handlers.keywords import is_keyword
from handlers.menu import asks_for_menu, menu_buttons
from handlers.replies import Notify, Outgoing, Text, clip_to_line_length
from handlers.staff import get_actor
from storage import cases, customers
from storage.models import CaseMessageKind, CaseStatus, Customer

RELAY_PRIORITY = 20
STAFF_CHAT_PRIORITY = 70  # after surveys, keywords and codes (which staff may use too), before complaints
MAX_RELAYED = 4900  # LINE's 5,000-character limit (UTF-16 code units), less the catalogue's wrapper


def on_message(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """Relay the message of a staff member who tapped 回覆; anyone else's message is not ours."""
    if event.is_group or event.text is None:
        return None
    actor = get_actor(ctx, event)
    relay = cases.get_relay(ctx.session, staff_id=actor.id) if actor is not None else None
    if relay is None:
        return None
    case = cases.get_case(ctx.session, case_id=relay.case_id)
    if is_keyword(ctx.catalogue, event.text, "case.reply_cancel_keyword"):  # 取消, 取消。, cancel
        cases.take_relay(ctx.session, staff_id=actor.id, case_id=case.id)
        return [Text(ctx.t("case.reply_cancelled", number=case.id))]
    if relay.expires_at <= ctx.now:
        # consumed rather than passed on: a late reply must not turn into the staff member's own complaint
        cases.take_relay(ctx.session, staff_id=actor.id, case_id=case.id)
        return [Text(ctx.t("case.reply_expired", number=case.id))]
    if case.status == CaseStatus.RESOLVED:
        cases.take_relay(ctx.session, staff_id=actor.id, case_id=case.id)
        return [Text(ctx.t("case.reply_closed", number=case.id))]
    if not cases.take_relay(ctx.session, staff_id=actor.id, case_id=case.id):
        return []  # a message sent at the same instant was relayed instead
    customer = ctx.session.get(Customer, case.customer_id)
    if not customers.can_push(customer):
        return [Text(ctx.t("case.reply_unreachable", number=case.id, name=cards.customer_name(ctx.t, customer)))]
    sent = clip_to_line_length(event.text, MAX_RELAYED)
    cases.add_message(ctx.session, case=case, kind=CaseMessageKind.STAFF, text=sent, now=ctx.now,
                      staff_id=actor.id, event_id=event.id)
    cases.mark_first_response(ctx.session, case_id=case.id, now=ctx.now)
    shop = ctx.catalogue.text("case.reply_to_customer", customer.language, text=sent)
    confirmation = ctx.t("case.reply_sent", number=case.id, name=cards.customer_name(ctx.t, customer))
    if sent != event.text:  # staff must know the end did not reach the customer
        confirmation += "\n" + ctx.t("case.reply_clipped", kept=len(sent))
    return [Text(confirmation), Notify(to=customer.line_user_id, messages=(Text(shop),), customer_id=customer.id)]


def on_staff_message(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """A staff member's 1:1 text that no relay or keyword took: say it reached nobody.

    Staff write to the bot to answer cases; a second message after a relayed one, or an answer
    typed without tapping 回覆, is not the staff member's own complaint and must not open a case.
    """
    if event.is_group or not (event.text or "").strip() or asks_for_menu(ctx, event.text):
        return None
    if get_actor(ctx, event) is None:
        return None
    return [Text(ctx.t("case.staff_message_not_sent"), quick_replies=menu_buttons(ctx.t))]

"""Who hears about a case, and the card they see: customer, excerpt, score, number, and three buttons."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.actions import Action
from handlers.catalogue import Catalogue, Translator
from handlers.escalation.options import local_time, minutes_between
from handlers.replies import Button, Card, Message, Notify, Postback
from storage import customers, staff
from storage.models import Case, Customer, StaffMember

EXCERPT_LENGTH = 60
CardBuilder = Callable[[Translator], tuple[Message, ...]]  # builds one recipient's messages in their language


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a message, on one line, for a card."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length - 1] + "…"


def customer_name(t: Translator, customer: Customer) -> str:
    """How staff see the customer: their LINE name, or a neutral word."""
    return customer.display_name or t("customer.default_name")


def waited(t: Translator, minutes: int) -> str:
    """How long a case has waited, as people say it: 31 分鐘, or 34 小時 30 分鐘 after a night closed."""
    if minutes < 120:
        return t("case.waited.minutes", minutes=minutes)
    return t("case.waited.hours", hours=minutes // 60, minutes=minutes % 60)


def case_buttons(t: Translator, case: Case) -> tuple[Button, ...]:
    """認領, 回覆 and 已解決, each naming the case in the postback."""
    params = {"c": str(case.id)}
    return tuple(Button(label=t(f"case.button.{name}"), postback=Postback(action, params),
                        display_text=t(f"case.button.{name}_display", number=case.id))
                 for name, action in (("claim", Action.CASE_CLAIM), ("reply", Action.CASE_REPLY),
                                      ("resolve", Action.CASE_RESOLVE)))


def case_card(t: Translator, *, case: Case, customer: Customer, headline: str, now: datetime, zone: ZoneInfo,
              handler: StaffMember | None = None) -> Card:
    """The Flex card staff act on; the headline says why they see it (new, unclaimed, overdue, follow-up)."""
    name = customer_name(t, customer)
    lines = [t("case.card.customer", name=name),
             t("case.card.excerpt", text=excerpt(case.excerpt)),
             t("case.card.score", score=round(case.score * 100)),
             t("case.card.opened", time=local_time(t, case.opened_at, now, zone))]
    if handler is not None:
        lines.append(t("case.card.handler", name=handler.name))
    else:
        lines.append(t("case.card.claim_by", time=local_time(t, case.claim_due_at, now, zone)))
    minutes = minutes_between(case.opened_at, now)
    title = t(headline, number=case.id, minutes=minutes, waited=waited(t, minutes),
              hours=round((now - case.opened_at).total_seconds() / 3600))
    return Card(alt_text=t("case.card.alt", title=title, name=name, text=excerpt(case.excerpt, 40)),
                title=title, lines=tuple(lines), buttons=case_buttons(t, case))


def staff_translator(session: Session, catalogue: Catalogue, member: StaffMember) -> Translator:
    """Texts in the staff member's LINE language."""
    known = customers.get_by_line_id(session, line_user_id=member.line_user_id)
    return catalogue.translator(known.language if known else None)


def to_member(session: Session, member: StaffMember, messages: tuple[Message, ...]) -> Notify:
    """A push to one staff member's 1:1 chat (skipped if they blocked the account)."""
    known = customers.get_by_line_id(session, line_user_id=member.line_user_id)
    return Notify(to=member.line_user_id, messages=messages, customer_id=known.id if known else None)


def reachable(session: Session, member: StaffMember) -> bool:
    """Still on the staff and not blocking the account: a push to them can arrive."""
    known = customers.get_by_line_id(session, line_user_id=member.line_user_id)
    return member.removed_at is None and (known is None or customers.can_push(known))


def notify_members(session: Session, catalogue: Catalogue, members: Iterable[StaffMember],
                   build: CardBuilder) -> list[Notify]:
    """One push per member, each built in that member's language by ``build(t)``."""
    return [to_member(session, member, build(staff_translator(session, catalogue, member))) for member in members]


def notify_staff(session: Session, catalogue: Catalogue, build: CardBuilder) -> list[Notify]:
    """Tell the staff group, or each on-duty staff member when no group is linked."""
    group = staff.get_staff_group(session)
    if group is not None:
        return [Notify(to=group.line_group_id, messages=build(catalogue.translator(None)))]
    return notify_members(session, catalogue, staff.list_on_duty(session), build)


def notify_managers(session: Session, catalogue: Catalogue, build: CardBuilder,
                    also: StaffMember | None = None) -> list[Notify]:
    """Tell every manager (and ``also``, e.g. who claimed the case); the staff at large when none can be reached."""
    members = {m.id: m for m in staff.list_managers(session) if reachable(session, m)}
    if also is not None and reachable(session, also):
        members.setdefault(also.id, also)
    if not members:
        return notify_staff(session, catalogue, build)
    return notify_members(session, catalogue, members.values(), build)


def announce_case(session: Session, catalogue: Catalogue, *, case: Case, customer: Customer, headline: str,
                  now: datetime, zone: ZoneInfo, managers: bool = False) -> list[Notify]:
    """Push a case card to the staff (or, for SLA breaches, to the managers)."""
    handler = staff.get_member(session, staff_id=case.claimed_by_id) if case.claimed_by_id else None

    def build(t: Translator) -> tuple[Message, ...]:
        return (case_card(t, case=case, customer=customer, headline=headline, now=now, zone=zone, handler=handler),)

    if managers:
        return notify_managers(session, catalogue, build, also=handler)
    return notify_staff(session, catalogue, build)

"""Queries and changes on complaint cases; every state change that two people could race is one UPDATE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Case, CaseMessage, CaseStatus, ReplyRelay, StaffMember

ACTIVE = (CaseStatus.OPEN, CaseStatus.CLAIMED)


def get_case(session: Session, *, case_id: int) -> Case | None:
    """Find a case by its number, reading the latest committed state."""
    return session.get(Case, case_id, populate_existing=True)


# built once: every message from a customer asks it
_ACTIVE_CASE = select(Case).where(Case.customer_id == bindparam("customer_id"), Case.status.in_(ACTIVE))


def get_active_case(session: Session, *, customer_id: int) -> Case | None:
    """The customer's case still in progress (open or claimed), if any."""
    return session.scalar(_ACTIVE_CASE, {"customer_id": customer_id})


def create_case(session: Session, *, customer_id: int, source: str, score: float, sentiment: float | None,
                excerpt: str, now: datetime, claim_due_at: datetime, resolve_due_at: datetime) -> Case | None:
    """Open a case; None when the customer already has one in progress (the partial unique index says so)."""
    case = Case(customer_id=customer_id, status=CaseStatus.OPEN, source=source, score=score, sentiment=sentiment,
                excerpt=excerpt, opened_at=now, last_message_at=now, acknowledged_at=now,
                claim_due_at=claim_due_at, resolve_due_at=resolve_due_at)
    try:
        with session.begin_nested():
            session.add(case)
    except IntegrityError:
        return None
    return case


def add_message(session: Session, *, case: Case, kind: str, text: str, now: datetime, staff_id: int | None = None,
                event_id: int | None = None) -> CaseMessage:
    """Log a message on a case."""
    row = CaseMessage(case_id=case.id, kind=kind, text=text, staff_id=staff_id, event_id=event_id, created_at=now)
    session.add(row)
    case.last_message_at = now
    return row


def list_messages(session: Session, *, case_id: int) -> Sequence[CaseMessage]:
    """A case's messages, oldest first."""
    return session.scalars(select(CaseMessage).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)).all()


def _transition(session: Session, case_id: int, condition: ColumnElement[bool], **values: object) -> bool:
    session.flush()  # pending changes first: the UPDATE below bypasses the identity map
    result = session.execute(update(Case).where(Case.id == case_id, condition).values(**values)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def claim_case(session: Session, *, case_id: int, staff_id: int, now: datetime) -> bool:
    """Take an open case, or one whose claimer was removed from the staff since; False when someone else
    (or a resolve) got there first. A taken-over case keeps its first ``claimed_at``."""
    removed = select(StaffMember.id).where(StaffMember.removed_at.is_not(None))
    orphaned = (Case.status == CaseStatus.CLAIMED) & Case.claimed_by_id.in_(removed)
    return _transition(session, case_id, (Case.status == CaseStatus.OPEN) | orphaned,
                       status=CaseStatus.CLAIMED, claimed_by_id=staff_id,
                       claimed_at=func.coalesce(Case.claimed_at, literal(now, Case.claimed_at.type)))


def resolve_case(session: Session, *, case_id: int, staff_id: int, now: datetime) -> bool:
    """Close a case in progress; False when it was already resolved."""
    return _transition(session, case_id, Case.status.in_(ACTIVE),
                       status=CaseStatus.RESOLVED, resolved_by_id=staff_id, resolved_at=now)


def mark_first_response(session: Session, *, case_id: int, now: datetime) -> bool:
    """Record when the customer first heard from a person; later replies leave it as it is."""
    return _transition(session, case_id, Case.first_response_at.is_(None), first_response_at=now)


def list_unclaimed_overdue_ids(session: Session, *, now: datetime) -> Sequence[int]:
    """Open cases past their claim deadline that were not re-escalated yet."""
    return session.scalars(select(Case.id).where(Case.status == CaseStatus.OPEN, Case.claim_due_at <= now,
                                                 Case.escalated_at.is_(None)).order_by(Case.id)).all()


def mark_escalated(session: Session, *, case_id: int, now: datetime) -> bool:
    """Claim the re-escalation of one case: only one of several workers sees True."""
    return _transition(session, case_id, (Case.status == CaseStatus.OPEN) & Case.escalated_at.is_(None),
                       escalated_at=now)


def list_unresolved_overdue_ids(session: Session, *, now: datetime) -> Sequence[int]:
    """Cases in progress past their resolution deadline that nobody was alerted about yet."""
    return session.scalars(select(Case.id).where(Case.status.in_(ACTIVE), Case.resolve_due_at <= now,
                                                 Case.overdue_alerted_at.is_(None)).order_by(Case.id)).all()


def mark_overdue_alerted(session: Session, *, case_id: int, now: datetime) -> bool:
    """Claim the overdue alert of one case: only one of several workers sees True."""
    return _transition(session, case_id, Case.status.in_(ACTIVE) & Case.overdue_alerted_at.is_(None),
                       overdue_alerted_at=now)


def get_by_recovery_invitation(session: Session, *, invitation_id: int) -> Case | None:
    """The case whose follow-up survey this invitation was."""
    return session.scalar(select(Case).where(Case.recovery_invitation_id == invitation_id))


def get_latest_resolved(session: Session, *, customer_id: int) -> Case | None:
    """The customer's most recently resolved case."""
    return session.scalar(select(Case).where(Case.customer_id == customer_id, Case.status == CaseStatus.RESOLVED)
                          .order_by(Case.resolved_at.desc(), Case.id.desc()))


def list_claimed_ids(session: Session, *, staff_id: int) -> Sequence[int]:
    """The cases this staff member has claimed and not resolved, oldest first."""
    return session.scalars(select(Case.id).where(Case.claimed_by_id == staff_id, Case.status == CaseStatus.CLAIMED)
                           .order_by(Case.id)).all()


def list_cases(session: Session, *, since: datetime | None = None) -> Sequence[Case]:
    """Cases opened since a moment (all of them without one), oldest first."""
    query = select(Case).order_by(Case.id)
    if since is not None:
        query = query.where(Case.opened_at >= since)
    return session.scalars(query).all()


def start_relay(session: Session, *, staff_id: int, case_id: int, now: datetime, expires_at: datetime) -> ReplyRelay:
    """Route the staff member's next message to a case's customer (replacing any earlier 回覆)."""
    relay = session.get(ReplyRelay, staff_id)
    if relay is None:
        relay = ReplyRelay(staff_id=staff_id, case_id=case_id, started_at=now, expires_at=expires_at)
        session.add(relay)
    else:
        relay.case_id, relay.started_at, relay.expires_at = case_id, now, expires_at
    session.flush()
    return relay


def get_relay(session: Session, *, staff_id: int) -> ReplyRelay | None:
    """The staff member's pending reply, if any."""
    return session.get(ReplyRelay, staff_id)


def take_relay(session: Session, *, staff_id: int, case_id: int) -> bool:
    """Consume a pending reply: of two messages sent at once, only one is relayed."""
    result = session.execute(delete(ReplyRelay).where(ReplyRelay.staff_id == staff_id, ReplyRelay.case_id == case_id)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def drop_relays(session: Session, *, case_id: int | None = None, staff_id: int | None = None) -> None:
    """Forget pending replies for a closed case or a removed staff member."""
    query = delete(ReplyRelay)
    if case_id is not None:
        query = query.where(ReplyRelay.case_id == case_id)
    if staff_id is not None:
        query = query.where(ReplyRelay.staff_id == staff_id)
    session.execute(query.execution_options(synchronize_session=False))

"""Complaint cases: the messages that make them, who handles them, and the pending staff replies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntId, intpk


class CaseStatus(StrEnum):
    """Where a case is: waiting for someone, being handled, or closed."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class CaseSource(StrEnum):
    """What opened the case."""

    CHAT = "chat"
    SURVEY = "survey"


class CaseMessageKind(StrEnum):
    """Who wrote a message on the case."""

    CUSTOMER = "customer"
    STAFF = "staff"


class Case(Base):
    """One unhappy customer's problem, from the first complaint to the follow-up survey."""

    __tablename__ = "cases"
    __table_args__ = (
        # one case in progress per customer: a second complaint sent at the same instant joins the first
        Index("uq_cases_one_active_per_customer", "customer_id", unique=True,
              sqlite_where=text("status <> 'resolved'"), postgresql_where=text("status <> 'resolved'")),
        Index("ix_cases_status_opened", "status", "opened_at"),
    )

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    source: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)  # complaint probability, 0 … 1
    sentiment: Mapped[float | None] = mapped_column(Float)
    excerpt: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime]
    last_message_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    claim_due_at: Mapped[datetime]
    resolve_due_at: Mapped[datetime]
    claimed_by_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("staff_members.id"))
    claimed_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("staff_members.id"))
    resolved_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]  # re-escalated to managers by the SLA job
    overdue_alerted_at: Mapped[datetime | None]
    recovery_invitation_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("survey_invitations.id"))
    recovery_rating: Mapped[int | None] = mapped_column(Integer)


class CaseMessage(Base):
    """A message on a case: what the customer wrote, or what staff sent back as the shop."""

    __tablename__ = "case_messages"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("staff_members.id"))
    event_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("webhook_events.id"))
    created_at: Mapped[datetime]


class ReplyRelay(Base):
    """A staff member who tapped 回覆: their next message goes to the case's customer."""

    __tablename__ = "reply_relays"

    staff_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("staff_members.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("cases.id"))
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime]

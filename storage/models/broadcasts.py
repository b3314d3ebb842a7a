"""Survey broadcasts: customer tags for segments, broadcasts, their batches and the recipients snapshot."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntId, JSONType, created_at, intpk


class BroadcastStatus(StrEnum):
    """Where a broadcast is: waiting for its time, sending, or finished one way or another."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    PARTIAL = "partial"  # finished, but some batches failed after their retries
    STOPPED = "stopped"  # LINE's monthly limit: the rest waits for `flask broadcast resume`
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({BroadcastStatus.SENT, BroadcastStatus.PARTIAL, BroadcastStatus.STOPPED,
                            BroadcastStatus.CANCELLED})


class BatchStatus(StrEnum):
    """Delivery state of one multicast call (up to 500 recipients)."""

    PENDING = "pending"
    SENDING = "sending"  # recorded before the call: after a crash the outcome is unknown
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CustomerTag(Base):
    """A label staff gave a customer (VIP, 台北店...), for choosing broadcast segments."""

    __tablename__ = "customer_tags"
    __table_args__ = (Index("ix_customer_tags_tag", "tag"),)

    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[created_at]


class Broadcast(Base):
    """A survey invitation sent to a segment by multicast, now or at a set time."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[intpk]
    survey_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("surveys.id"))
    # fixed when the recipients are snapshotted: the invitations and fatigue rules refer to it
    version_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("survey_versions.id"))
    segment: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SCHEDULED)
    scheduled_at: Mapped[datetime]
    created_at: Mapped[created_at]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    previewed_recipients: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[int | None] = mapped_column(Integer)
    exclusions: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # the rendered invitation per language, stored before the first call so a resume sends the same thing
    messages: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(Text)


class BroadcastBatch(Base):
    """One multicast call: its recipients are fixed and its retry key never changes."""

    __tablename__ = "broadcast_batches"
    __table_args__ = (UniqueConstraint("broadcast_id", "number"),)

    id: Mapped[intpk]
    broadcast_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("broadcasts.id"))
    number: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    maybe_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    first_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)


class BroadcastRecipient(Base):
    """A customer in a broadcast's snapshot; the primary key makes a second row for them impossible.

    No foreign keys: the rows are copied from customers by one INSERT … SELECT in the transaction that
    starts the broadcast, and PostgreSQL's row-by-row checks would double the time of a 100k snapshot.
    """

    __tablename__ = "broadcast_recipients"
    __table_args__ = (Index("ix_broadcast_recipients_batch", "broadcast_id", "batch_number"),)

    broadcast_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    batch_number: Mapped[int] = mapped_column(Integer)


__all__ = ["FINAL_STATUSES", "BatchStatus", "Broadcast", "BroadcastBatch", "BroadcastRecipient",
           "BroadcastStatus", "CustomerTag"]

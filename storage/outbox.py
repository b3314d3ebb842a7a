"""The outbox: outbound messages written in the same transaction as their cause."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, aliased

from storage.db import DriverTransaction
from storage.driver_sql import DriverStatement
from storage.models import DeliveryKind, OutboundMessage, OutboxStatus


@dataclass(frozen=True)
class QueuedMessage:
    """An outbox row as just written: what its first attempt needs, without an ORM entity."""

    id: int
    kind: str
    recipient: str
    reply_token: str | None
    reply_token_expires_at: datetime | None
    messages: list[dict[str, Any]]
    retry_key: str
    attempts: int
    maybe_delivered: bool
    lease_until: datetime | None


def create_outbound(session: Session, *, kind: DeliveryKind, recipient: str,
                    messages: list[dict[str, Any]], now: datetime, customer_id: int | None = None,
                    event_id: int | None = None, reply_token: str | None = None,
                    reply_token_expires_at: datetime | None = None,
                    held_until: datetime | None = None) -> QueuedMessage:
    """Queue messages for one recipient; the retry key is fixed now so every attempt reuses it.

    ``held_until`` writes the row already claimed (first attempt under way) by a worker that sends
    it right after the commit; if that worker dies, the row is taken over like any expired lease.
    A Core ``INSERT … RETURNING`` in the caller's transaction: every answer writes one, and the
    ORM's unit of work cost more than the insert itself.
    """
    values = dict(
        kind=kind, recipient=recipient, messages=messages, customer_id=customer_id,
        event_id=event_id, reply_token=reply_token, reply_token_expires_at=reply_token_expires_at,
        retry_key=str(uuid.uuid4()), status=OutboxStatus.PENDING if held_until is None else OutboxStatus.SENDING,
        attempts=0 if held_until is None else 1, lease_until=held_until, maybe_delivered=False,
        next_attempt_at=now, created_at=now,
    )
    table = OutboundMessage.__table__
    new_id = session.connection().execute(insert(table).returning(table.c.id), values).scalar_one()
    return QueuedMessage(new_id, kind, recipient, reply_token, reply_token_expires_at, messages,
                         values["retry_key"], values["attempts"], False, held_until)


def claim_outbound(session: Session, *, outbound_id: int, now: datetime,
                   lease: timedelta) -> OutboundMessage | None:
    """Take a due message for sending unless another worker holds a live lease on it.

    Not while an earlier message to the same chat waits for its retry: it goes first.
    """
    claimable = or_(
        (OutboundMessage.status == OutboxStatus.PENDING) & (OutboundMessage.next_attempt_at <= now),
        (OutboundMessage.status == OutboxStatus.SENDING) & (OutboundMessage.lease_until < now),
    )
    earlier = aliased(OutboundMessage)
    waits_behind = (select(earlier.id)
                    .where(earlier.recipient == OutboundMessage.recipient, earlier.id < OutboundMessage.id,
                           earlier.status == OutboxStatus.PENDING)
                    .exists())
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == outbound_id, claimable, ~waits_behind)
        .values(status=OutboxStatus.SENDING, attempts=OutboundMessage.attempts + 1,
                lease_until=now + lease,
                # a lease that ran out means a sender died mid-call: LINE may have the message
                maybe_delivered=OutboundMessage.maybe_delivered
                | (OutboundMessage.status == OutboxStatus.SENDING))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(OutboundMessage, outbound_id, populate_existing=True)


def first_waiting(session: Session, *, recipients: set[str], held: Collection[int] = ()) -> dict[str, int]:
    """Each chat's earliest message not yet out, by recipient: waiting for its retry, handed back behind
    one, or held by another worker (its send may still come first); ``held`` are the caller's own."""
    rows = session.execute(
        select(OutboundMessage.recipient, func.min(OutboundMessage.id))
        .where(OutboundMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
               OutboundMessage.recipient.in_(recipients), OutboundMessage.id.not_in(list(held)))
        .group_by(OutboundMessage.recipient)
    )
    return dict(rows.all())


def next_waiting(session: Session, *, recipient: str, after_id: int, now: datetime) -> int | None:
    """The chat's next message due once an earlier one is sent or given up."""
    return session.scalars(
        select(OutboundMessage.id)
        .where(OutboundMessage.recipient == recipient, OutboundMessage.id > after_id,
               OutboundMessage.status == OutboxStatus.PENDING, OutboundMessage.next_attempt_at <= now)
        .order_by(OutboundMessage.id).limit(1)
    ).first()


def still_held(session: Session, *, outbound_id: int, lease_until: datetime) -> OutboundMessage | None:
    """The row, if it is still being sent under this lease (a worker past its lease may have lost it)."""
    return session.scalars(
        select(OutboundMessage).where(OutboundMessage.id == outbound_id,
                                      OutboundMessage.status == OutboxStatus.SENDING,
                                      OutboundMessage.lease_until == lease_until)
    ).one_or_none()


def give_back(session: Session, *, outbound_id: int, lease_until: datetime, now: datetime) -> bool:
    """Hand back a row held under this lease before any call was made: due now, nothing maybe delivered."""
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == outbound_id, OutboundMessage.status == OutboxStatus.SENDING,
               OutboundMessage.lease_until == lease_until)
        .values(status=OutboxStatus.PENDING, lease_until=None, next_attempt_at=now,
                attempts=OutboundMessage.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


_SENT_COLUMNS = ("status", "sent_at", "lease_until", "line_request_id", "last_error")


@functools.cache
def _record_sent(dialect: Dialect) -> DriverStatement:
    table = OutboundMessage.__table__
    statement = update(table).where(table.c.id == bindparam("outbound_id"))
    return DriverStatement(statement, dialect, _SENT_COLUMNS)


def record_sent(tx: DriverTransaction, *, outbound_id: int, now: datetime, request_id: str | None) -> None:
    """Record that LINE accepted the message: one UPDATE on the driver's cursor, after every delivery."""
    _record_sent(tx.dialect).execute(tx.cursor, [{
        "outbound_id": outbound_id, "status": OutboxStatus.SENT, "sent_at": now, "lease_until": None,
        "line_request_id": request_id, "last_error": None,
    }])


def mark_retry(row: OutboundMessage, *, at: datetime, error: str, uncertain: bool) -> None:
    """Put the message back in the queue; an uncertain failure may have reached LINE."""
    row.status = OutboxStatus.PENDING
    row.maybe_delivered = row.maybe_delivered or uncertain
    row.next_attempt_at = at
    row.lease_until = None
    row.last_error = error


def mark_sent_earlier(row: OutboundMessage, *, now: datetime, note: str) -> None:
    """An earlier attempt of unknown outcome turned out to have delivered the message."""
    row.status = OutboxStatus.SENT
    row.sent_at = now
    row.lease_until = None
    row.last_error = note


def mark_failed(row: OutboundMessage, *, status: OutboxStatus, error: str) -> None:
    """Give up on the message, keeping LINE's reason for people to read."""
    row.status = status
    row.lease_until = None
    row.last_error = error


def convert_to_push(row: OutboundMessage, *, now: datetime) -> None:
    """The reply token can no longer be used: deliver by push instead."""
    row.kind = DeliveryKind.PUSH
    row.reply_token = None
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = now
    row.lease_until = None


def list_due_ids(session: Session, *, now: datetime, older_than: timedelta,
                 limit: int = 500) -> Sequence[int]:
    """Messages nobody is sending: due for a while, or sending past their lease."""
    due = or_(
        (OutboundMessage.status == OutboxStatus.PENDING)
        & (OutboundMessage.next_attempt_at < now - older_than),
        (OutboundMessage.status == OutboxStatus.SENDING) & (OutboundMessage.lease_until < now),
    )
    query = select(OutboundMessage.id).where(due).order_by(OutboundMessage.id).limit(limit)
    return session.scalars(query).all()


def count_by_status(session: Session) -> dict[str, int]:
    """Count outbound messages per delivery status, for health checks."""
    rows = session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status))
    return {status: count for status, count in rows}

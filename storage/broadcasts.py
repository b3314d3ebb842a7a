"""Broadcasts and their batches: created, claimed, leased, recorded before and after each multicast."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Row, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.base import UTCDateTime
from storage.models import (
    BatchStatus,
    Broadcast,
    BroadcastBatch,
    BroadcastRecipient,
    BroadcastStatus,
    ConversationMessage,
    Customer,
    Direction,
    EntrySource,
    SurveyInvitation,
)
from storage.segments import no_longer_reachable

OPEN_BATCHES = (BatchStatus.PENDING, BatchStatus.SENDING)


def create_broadcast(session: Session, *, survey_id: int, segment: str, scheduled_at: datetime,
                     previewed_recipients: int, now: datetime) -> Broadcast:
    """Record a confirmed broadcast; it waits as SCHEDULED until its time comes."""
    broadcast = Broadcast(survey_id=survey_id, segment=segment, status=BroadcastStatus.SCHEDULED,
                          scheduled_at=scheduled_at, previewed_recipients=previewed_recipients, created_at=now)
    session.add(broadcast)
    session.flush()
    return broadcast


def get_broadcast(session: Session, *, broadcast_id: int) -> Broadcast | None:
    """Find a broadcast by id."""
    return session.get(Broadcast, broadcast_id)


def list_broadcasts(session: Session, *, limit: int = 20) -> Sequence[Broadcast]:
    """The latest broadcasts, newest first."""
    return session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)).all()


def list_due_ids(session: Session, *, now: datetime) -> Sequence[int]:
    """Scheduled broadcasts whose time has come."""
    return session.scalars(select(Broadcast.id).where(Broadcast.status == BroadcastStatus.SCHEDULED,
                                                      Broadcast.scheduled_at <= now).order_by(Broadcast.id)).all()


def mark_started(session: Session, *, broadcast_id: int, version_id: int, now: datetime) -> bool:
    """Claim a due broadcast for sending; False when another worker (or a cancel) got there first."""
    result = session.execute(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SCHEDULED,
                                Broadcast.scheduled_at <= now)
        .values(status=BroadcastStatus.SENDING, version_id=version_id, started_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def create_batches(session: Session, *, broadcast_id: int, batches: Sequence[tuple[int, str, int]]) -> None:
    """Write the batches of a snapshot, each with the retry key every attempt will reuse."""
    rows = [{"broadcast_id": broadcast_id, "number": number, "language": language, "size": size,
             "retry_key": str(uuid.uuid4()), "status": BatchStatus.PENDING, "attempts": 0,
             "maybe_delivered": False} for number, language, size in batches]
    if rows:
        session.execute(BroadcastBatch.__table__.insert(), rows)


def get_invitation(session: Session, *, customer_id: int, version_id: int) -> SurveyInvitation | None:
    """The customer's invitation to a survey version (a broadcast card names no person, so look it up)."""
    return session.scalar(select(SurveyInvitation).where(SurveyInvitation.customer_id == customer_id,
                                                         SurveyInvitation.version_id == version_id,
                                                         SurveyInvitation.occasion == ""))


def list_batch_languages(session: Session, *, broadcast_id: int) -> list[str]:
    """The languages a broadcast's batches are in."""
    return list(session.scalars(select(BroadcastBatch.language).where(BroadcastBatch.broadcast_id == broadcast_id)
                                .distinct().order_by(BroadcastBatch.language)))


def take_lease(session: Session, *, broadcast_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Become the one sender of a broadcast unless a live sender holds it."""
    free = or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < now, Broadcast.lease_owner == owner)
    result = session.execute(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING, free)
        .values(lease_owner=owner, lease_until=now + lease).execution_options(synchronize_session=False))
    return result.rowcount == 1


def renew_lease(session: Session, *, broadcast_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend the sender's lease; False when it was lost (the broadcast is no longer this sender's)."""
    result = session.execute(
        update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.lease_owner == owner)
        .values(lease_until=now + lease).execution_options(synchronize_session=False))
    return result.rowcount == 1


def release_lease(session: Session, *, broadcast_id: int, owner: str) -> None:
    """Let another sender take over at once."""
    session.execute(update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.lease_owner == owner)
                    .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))


def list_unattended_ids(session: Session, *, now: datetime) -> Sequence[int]:
    """Broadcasts in SENDING that no live sender holds (never picked up, or their worker died)."""
    return session.scalars(select(Broadcast.id).where(
        Broadcast.status == BroadcastStatus.SENDING,
        or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < now)).order_by(Broadcast.id)).all()


def list_open_batch_ids(session: Session, *, broadcast_id: int) -> Sequence[int]:
    """Batches still to send (or of unknown outcome), in order."""
    return session.scalars(select(BroadcastBatch.id).where(
        BroadcastBatch.broadcast_id == broadcast_id, BroadcastBatch.status.in_(OPEN_BATCHES))
        .order_by(BroadcastBatch.number)).all()


def claim_batch(session: Session, *, batch_id: int, now: datetime) -> Row | None:
    """Record an attempt before the call; a batch found SENDING was cut off, so LINE may have it.

    Returns the batch's id, number, language, retry_key, maybe_delivered and first_attempt_at,
    or None when it is settled or its broadcast no longer sends (cancelled, stopped).
    """
    sending = select(Broadcast.id).where(Broadcast.status == BroadcastStatus.SENDING)
    return session.execute(
        update(BroadcastBatch)
        .where(BroadcastBatch.id == batch_id, BroadcastBatch.status.in_(OPEN_BATCHES),
               BroadcastBatch.broadcast_id.in_(sending))
        .values(status=BatchStatus.SENDING, attempts=BroadcastBatch.attempts + 1,
                first_attempt_at=func.coalesce(BroadcastBatch.first_attempt_at, literal(now, UTCDateTime())),
                maybe_delivered=BroadcastBatch.maybe_delivered | (BroadcastBatch.status == BatchStatus.SENDING))
        .returning(BroadcastBatch.id, BroadcastBatch.number, BroadcastBatch.language, BroadcastBatch.retry_key,
                   BroadcastBatch.maybe_delivered, BroadcastBatch.first_attempt_at)
        .execution_options(synchronize_session=False)).one_or_none()


def drop_unreachable(session: Session, *, broadcast_id: int, batch_id: int, number: int, version_id: int) -> int:
    """Take out of a batch LINE has never had the recipients who may no longer get it; return how many."""
    members = (BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.batch_number == number)
    # correlated on the batch's own rows: a batch is 500 people, the customers table may be 100,000
    gone = (select(Customer.id).where(Customer.id == BroadcastRecipient.customer_id, no_longer_reachable(version_id))
            .correlate(BroadcastRecipient).exists())
    dropped = session.execute(delete(BroadcastRecipient).where(*members, gone)
                              .execution_options(synchronize_session=False)).rowcount
    if dropped:
        session.execute(update(BroadcastBatch).where(BroadcastBatch.id == batch_id)
                        .values(size=BroadcastBatch.size - dropped).execution_options(synchronize_session=False))
        session.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                        .values(recipients=Broadcast.recipients - dropped).execution_options(synchronize_session=False))
    return dropped


def list_batch_recipients(session: Session, *, broadcast_id: int, number: int) -> list[str]:
    """The LINE user IDs of one batch."""
    return list(session.scalars(
        select(Customer.line_user_id).join(BroadcastRecipient, BroadcastRecipient.customer_id == Customer.id)
        .where(BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.batch_number == number)))


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def mark_batch_sent(session: Session, *, broadcast_id: int, batch_id: int, number: int, version_id: int,
                    now: datetime, request_id: str | None, summary: str) -> None:
    """Record LINE's acceptance, the invitations (for the fatigue rules) and the conversation log lines."""
    session.execute(update(BroadcastBatch).where(BroadcastBatch.id == batch_id).values(
        status=BatchStatus.SENT, sent_at=now, line_request_id=request_id, last_error=None)
        .execution_options(synchronize_session=False))
    members = (BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.batch_number == number)
    at = literal(now, UTCDateTime())
    invitations = select(literal(version_id), BroadcastRecipient.customer_id, literal(str(EntrySource.BROADCAST)),
                         at).where(*members)
    # the unique (customer, version) pair keeps an invitation another path recorded meanwhile
    session.execute(_insert(session, SurveyInvitation).from_select(
        ["version_id", "customer_id", "source", "sent_at"], invitations).on_conflict_do_nothing())
    log = (select(BroadcastRecipient.customer_id, Customer.line_user_id, literal(str(Direction.OUT)),
                  literal("flex"), literal(summary), at)
           .join(Customer, Customer.id == BroadcastRecipient.customer_id).where(*members))
    session.execute(ConversationMessage.__table__.insert().from_select(
        ["customer_id", "chat_id", "direction", "message_type", "text", "created_at"], log))


def mark_batch_retry(session: Session, *, batch_id: int, error: str, uncertain: bool) -> None:
    """Put a batch back for another attempt; an uncertain failure may have reached LINE.

    If the broadcast was cancelled while LINE answered, the batch is cancelled instead: a pending
    batch of a cancelled broadcast would never be sent, yet be counted as waiting for good.
    """
    cancelled = select(Broadcast.status).where(Broadcast.id == BroadcastBatch.broadcast_id).scalar_subquery() \
        == BroadcastStatus.CANCELLED
    values = {"status": case((cancelled, BatchStatus.CANCELLED), else_=BatchStatus.PENDING), "last_error": error}
    if uncertain:
        values["maybe_delivered"] = True
    session.execute(update(BroadcastBatch).where(BroadcastBatch.id == batch_id).values(**values)
                    .execution_options(synchronize_session=False))


def mark_batch_failed(session: Session, *, batch_id: int, error: str, uncertain: bool = False) -> None:
    """Give up on a batch, keeping LINE's reason; an uncertain last failure may have reached LINE."""
    values = {"status": BatchStatus.FAILED, "last_error": error}
    if uncertain:
        values["maybe_delivered"] = True
    session.execute(update(BroadcastBatch).where(BroadcastBatch.id == batch_id).values(**values)
                    .execution_options(synchronize_session=False))


def finish(session: Session, *, broadcast_id: int, now: datetime) -> str | None:
    """Close a sending broadcast whose batches are all done: SENT, or PARTIAL when some failed."""
    counts = dict(session.execute(select(BroadcastBatch.status, func.count()).where(
        BroadcastBatch.broadcast_id == broadcast_id).group_by(BroadcastBatch.status)).all())
    if any(counts.get(status) for status in OPEN_BATCHES):
        return None
    status = BroadcastStatus.PARTIAL if counts.get(BatchStatus.FAILED) else BroadcastStatus.SENT
    result = session.execute(update(Broadcast).where(
        Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING).values(
        status=status, finished_at=now, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False))
    return status if result.rowcount == 1 else None


def stop(session: Session, *, broadcast_id: int, reason: str, now: datetime) -> None:
    """Stop sending (LINE's monthly limit); the remaining batches wait for a resume."""
    session.execute(update(Broadcast).where(Broadcast.id == broadcast_id,
                                            Broadcast.status == BroadcastStatus.SENDING)
                    .values(status=BroadcastStatus.STOPPED, stop_reason=reason, finished_at=now,
                            lease_owner=None, lease_until=None).execution_options(synchronize_session=False))


def cancel(session: Session, *, broadcast_id: int, now: datetime) -> bool:
    """Cancel a broadcast that has not finished; batches not yet attempted are never sent."""
    result = session.execute(update(Broadcast).where(
        Broadcast.id == broadcast_id,
        Broadcast.status.in_((BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING, BroadcastStatus.STOPPED)))
        .values(status=BroadcastStatus.CANCELLED, finished_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session.execute(update(BroadcastBatch).where(BroadcastBatch.broadcast_id == broadcast_id,
                                                 BroadcastBatch.status == BatchStatus.PENDING)
                    .values(status=BatchStatus.CANCELLED).execution_options(synchronize_session=False))
    return True


def reopen(session: Session, *, broadcast_id: int) -> int:
    """Resume a stopped or partly failed broadcast: its failed batches go back in line; return how many."""
    result = session.execute(update(Broadcast).where(
        Broadcast.id == broadcast_id, Broadcast.status.in_((BroadcastStatus.STOPPED, BroadcastStatus.PARTIAL)))
        .values(status=BroadcastStatus.SENDING, finished_at=None, stop_reason=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return 0
    retried = session.execute(update(BroadcastBatch).where(BroadcastBatch.broadcast_id == broadcast_id,
                                                           BroadcastBatch.status == BatchStatus.FAILED)
                              .values(status=BatchStatus.PENDING).execution_options(synchronize_session=False))
    return retried.rowcount


def batch_progress(session: Session, *, broadcast_id: int) -> dict[str, tuple[int, int]]:
    """Per batch status: (batches, recipients)."""
    rows = session.execute(select(BroadcastBatch.status, func.count(), func.coalesce(func.sum(BroadcastBatch.size), 0))
                           .where(BroadcastBatch.broadcast_id == broadcast_id).group_by(BroadcastBatch.status))
    return {status: (batches, recipients) for status, batches, recipients in rows}


def list_failed_batches(session: Session, *, broadcast_id: int) -> Sequence[BroadcastBatch]:
    """Batches LINE refused, with its reason."""
    return session.scalars(select(BroadcastBatch).where(BroadcastBatch.broadcast_id == broadcast_id,
                                                        BroadcastBatch.status == BatchStatus.FAILED)
                           .order_by(BroadcastBatch.number)).all()

"""Process one stored event: build the context, route it, write replies to the outbox.

First, without the write lock: read the event, fetch a new sender's profile (HTTP never runs in a
transaction) and let handlers do their CPU-heavy work (complaint scoring). Then one short write
transaction: the claim, the handlers' changes, the outbox rows (written already held for this
worker to send) and the conversation log commit together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row
from sqlalchemy.orm import Session

from bot import delivery, outbox_writer
from bot import postback as postback_codec
from bot.services import Services
from handlers.context import HandlerContext, Profile
from handlers.customers import resolve_customer
from handlers.events import InboundEvent
from storage import conversations, customers, events
from storage.models import Customer, Direction, EventStatus, WebhookEvent

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 3


@dataclass(frozen=True)
class _Prepared:
    """What an event needs before its transaction: the sender's profile and the handlers' slow work."""

    profile: Profile | None
    memo: dict


def to_inbound(row: WebhookEvent | Row) -> InboundEvent:
    """Reduce a stored LINE event to what handlers read."""
    raw = row.payload
    message = raw.get("message") or {}
    data = (raw.get("postback") or {}).get("data")
    return InboundEvent(
        id=row.id, type=row.event_type, timestamp=row.line_timestamp or row.received_at,
        user_id=row.source_user_id,
        group_id=row.source_group_id if row.source_type in ("group", "room") else None,
        reply_token=row.reply_token, message_type=message.get("type"),
        text=message.get("text") if message.get("type") == "text" else None,
        postback=postback_codec.decode(data), postback_data=data, raw=raw,
    )


def _log_inbound(session: Session, event: InboundEvent, customer: Customer | None, now: datetime) -> None:
    if event.type != "message" or event.chat_id is None:
        return
    conversations.log_message(
        session, chat_id=event.chat_id, direction=Direction.IN, message_type=event.message_type or "?",
        text=event.text, now=now, customer_id=customer.id if customer else None, event_id=event.id,
    )


def _prepare(services: Services, event_id: int) -> _Prepared | None:
    """Read the event without taking the write lock, fetch a new sender's profile, run the preparers."""
    with services.db.read_scope() as session:
        row = session.get(WebhookEvent, event_id)
        if not events.is_claimable(row, services.clock()):
            return None
        event = to_inbound(row)
        user_id = row.source_user_id if row.source_type == "user" else None
        new_sender = user_id is not None and (
            row.event_type == "follow" or customers.get_by_line_id(session, line_user_id=user_id) is None)
    profile = None
    if new_sender:
        profile = services.line.get_profile(user_id) or Profile(user_id=user_id)
    return _Prepared(profile, services.router.prepared(services.settings.extra, event))


def _handle(services: Services, session: Session, event_id: int, prepared: _Prepared) -> list[delivery.Attempt]:
    """Claim and process the event; nothing when another worker has it or it is finished."""
    now = services.clock()
    settings = services.settings
    row = events.claim_event(session, event_id=event_id, now=now,
                             lease=timedelta(seconds=settings.event_lease_seconds))
    if row is None:
        return []
    event = to_inbound(row)
    customer = None
    if row.source_type == "user" and event.user_id:
        known = customers.get_by_line_id(session, line_user_id=event.user_id)
        customer = resolve_customer(session, user_id=event.user_id, profile=prepared.profile, now=now, known=known)
    ctx = HandlerContext(session=session, now=now, catalogue=services.catalogue, customer=customer,
                         profile=prepared.profile, options=settings.extra, basic_id=settings.line_bot_basic_id,
                         memo=dict(prepared.memo))
    outgoing = services.router.route(ctx, event)
    _log_inbound(session, event, customer, now)
    # this worker sends the rows right after the commit, so they are written already claimed
    held_until = now + timedelta(seconds=settings.delivery_lease_seconds)
    rows = outbox_writer.queue_answer(session, services, event, customer, outgoing, now, held_until=held_until)
    session.flush()
    events.mark_event(session, event_id=event_id, status=EventStatus.DONE, now=now)
    return [delivery.held_attempt(row, now) for row in rows]


def process_event(services: Services, event_id: int) -> list[delivery.Attempt]:
    """Process a stored event once; return the outbox rows it created, held for this worker to send."""
    try:
        prepared = _prepare(services, event_id)
        if prepared is None:
            return []
        with services.db.session_scope() as session:
            return _handle(services, session, event_id, prepared)
    except Exception as exc:
        log.exception("event %s failed", event_id)
        _after_failure(services, event_id, exc)
        raise


def _after_failure(services: Services, event_id: int, exc: Exception) -> None:
    """Count the failed attempt; the sweeper retries it unless it failed too often to be a passing fault."""
    now = services.clock()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with services.db.session_scope() as session:
        row = events.claim_event(session, event_id=event_id, now=now, lease=timedelta(0))
        if row is None:
            return
        status = EventStatus.FAILED if row.attempts >= MAX_EVENT_ATTEMPTS else EventStatus.PROCESSING
        events.mark_event(session, event_id=event_id, status=status, now=now, error=error)

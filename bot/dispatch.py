"""Process one stored event: build the context, route it, write replies to the outbox."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import outbox_writer
from bot import postback as postback_codec
from bot.services import Services
from handlers.context import HandlerContext, Profile
from handlers.customers import resolve_customer
from handlers.events import InboundEvent
from storage import conversations, customers, events
from storage.models import Customer, Direction, EventStatus, WebhookEvent

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 3


def to_inbound(row: WebhookEvent) -> InboundEvent:
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


def _claim(services: Services, event_id: int) -> tuple[bool, str | None, bool]:
    """Take the event; say whose profile to fetch before the real unit of work."""
    with services.db.session_scope() as session:
        lease = timedelta(seconds=services.settings.event_lease_seconds)
        row = events.claim_event(session, event_id=event_id, now=services.clock(), lease=lease)
        if row is None:
            return False, None, False
        user_id = row.source_user_id if row.source_type == "user" else None
        known = user_id is not None and customers.get_by_line_id(session, line_user_id=user_id) is not None
        return True, user_id, user_id is not None and (row.event_type == "follow" or not known)


def _log_inbound(session: Session, event: InboundEvent, customer: Customer | None, now: datetime) -> None:
    if event.type != "message" or event.chat_id is None:
        return
    conversations.log_message(
        session, chat_id=event.chat_id, direction=Direction.IN, message_type=event.message_type or "?",
        text=event.text, now=now, customer_id=customer.id if customer else None, event_id=event.id,
    )


def _handle(services: Services, session: Session, event_id: int, profile: Profile | None) -> list[int]:
    now = services.clock()
    row = session.get(WebhookEvent, event_id)
    if row is None or row.status != EventStatus.PROCESSING:
        return []
    event = to_inbound(row)
    customer = None
    if row.source_type == "user" and event.user_id:
        customer = resolve_customer(session, user_id=event.user_id, profile=profile, now=now)
    ctx = HandlerContext(session=session, now=now, catalogue=services.catalogue, customer=customer,
                         profile=profile, options=services.settings.extra,
                         basic_id=services.settings.line_bot_basic_id)
    outgoing = services.router.route(ctx, event)
    _log_inbound(session, event, customer, now)
    rows = outbox_writer.queue_answer(session, services, event, customer, outgoing, now)
    events.mark_event(session, event=row, status=EventStatus.DONE, now=now)
    session.flush()
    return [r.id for r in rows]


def process_event(services: Services, event_id: int) -> list[int]:
    """Process a stored event once; return the outbox rows it created, for immediate delivery."""
    claimed, user_id, needs_profile = _claim(services, event_id)
    if not claimed:
        return []
    profile = services.line.get_profile(user_id) if needs_profile and user_id else None
    try:
        with services.db.session_scope() as session:
            return _handle(services, session, event_id, profile)
    except Exception as exc:
        log.exception("event %s failed", event_id)
        _after_failure(services, event_id, exc)
        raise


def _after_failure(services: Services, event_id: int, exc: Exception) -> None:
    """Let the sweeper try again, unless the event has failed too often to be a passing fault."""
    with services.db.session_scope() as session:
        row = session.get(WebhookEvent, event_id)
        if row is None:
            return
        if row.attempts >= MAX_EVENT_ATTEMPTS:
            events.mark_event(session, event=row, status=EventStatus.FAILED, now=services.clock(),
                              error=f"{type(exc).__name__}: {exc}"[:2000])
        else:
            row.lease_until = services.clock()
            row.error = f"{type(exc).__name__}: {exc}"[:2000]

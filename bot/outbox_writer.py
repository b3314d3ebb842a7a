"""Turn handlers' answers into outbox rows (and conversation log lines) inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import render
from bot.services import Services
from handlers.events import InboundEvent
from handlers.replies import Message, Notify, Outgoing
from storage import conversations, customers, outbox
from storage.models import Customer, DeliveryKind, Direction
from storage.outbox import QueuedMessage


def queue_messages(session: Session, *, kind: DeliveryKind, recipient: str, messages: Sequence[Message],
                   now: datetime, customer_id: int | None = None, event_id: int | None = None,
                   reply_token: str | None = None, reply_expires: datetime | None = None,
                   held_until: datetime | None = None) -> list[QueuedMessage]:
    """Write messages for one recipient, five per LINE call, and log each one."""
    rows = []
    for chunk in render.render_all(messages):
        row = outbox.create_outbound(
            session, kind=kind, recipient=recipient, messages=chunk, now=now, customer_id=customer_id,
            event_id=event_id, reply_token=reply_token, reply_token_expires_at=reply_expires if reply_token else None,
            held_until=held_until,
        )
        rows.append(row)
        for message in chunk:
            conversations.log_message(session, chat_id=recipient, direction=Direction.OUT,
                                      message_type=message["type"], text=render.summary(message), now=now,
                                      customer_id=customer_id, outbound_id=row.id)
        # a reply token answers one call only: further chunks go by push
        kind, reply_token = DeliveryKind.PUSH, None
    return rows


def queue_notifications(session: Session, notifications: Iterable[Notify], *, now: datetime,
                        event_id: int | None = None, held_until: datetime | None = None) -> list[QueuedMessage]:
    """Push messages to other people, skipping customers who blocked the account."""
    rows: list[QueuedMessage] = []
    for notify in notifications:
        target = session.get(Customer, notify.customer_id) if notify.customer_id else None
        if target is not None and not customers.can_push(target):
            continue
        rows += queue_messages(session, kind=DeliveryKind.PUSH, recipient=notify.to, messages=notify.messages,
                               now=now, customer_id=notify.customer_id, event_id=event_id, held_until=held_until)
    return rows


def queue_answer(session: Session, services: Services, event: InboundEvent, customer: Customer | None,
                 outgoing: list[Outgoing], now: datetime, held_until: datetime | None = None) -> list[QueuedMessage]:
    """A handler's answer: replies to the sender (reply token first), pushes to anyone else."""
    replies = [item for item in outgoing if not isinstance(item, Notify)]
    rows: list[QueuedMessage] = []
    if replies and event.chat_id:
        customer_id = customer.id if customer else None
        expires = event.timestamp + timedelta(seconds=services.settings.reply_token_ttl_seconds)
        if event.reply_token and expires > now:  # an expired token would only be refused: push at once
            rows += queue_messages(session, kind=DeliveryKind.REPLY, recipient=event.chat_id, messages=replies,
                                   now=now, customer_id=customer_id, event_id=event.id,
                                   reply_token=event.reply_token, reply_expires=expires, held_until=held_until)
        elif customer is None or customers.can_push(customer):
            rows += queue_messages(session, kind=DeliveryKind.PUSH, recipient=event.chat_id, messages=replies,
                                   now=now, customer_id=customer_id, event_id=event.id, held_until=held_until)
    notifications = [item for item in outgoing if isinstance(item, Notify)]
    return rows + queue_notifications(session, notifications, now=now, event_id=event.id, held_until=held_until)

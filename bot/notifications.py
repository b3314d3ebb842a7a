"""Pushes raised outside any webhook event (CLI, API): written to the outbox, sent after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import render
from bot.services import Services
from bot.tasks import deliver_now
from handlers.replies import Notify
from storage import conversations, customers, outbox
from storage.models import Customer, DeliveryKind, Direction


def queue_notifications(session: Session, *, notifications: list[Notify], now: datetime) -> list[int]:
    """Write each Notify to the outbox (never to someone who blocked the account); return the row ids."""
    ids = []
    for notify in notifications:
        target = session.get(Customer, notify.customer_id) if notify.customer_id else None
        if target is not None and not customers.can_push(target):
            continue
        for chunk in render.render_all(notify.messages):
            row = outbox.create_outbound(session, kind=DeliveryKind.PUSH, recipient=notify.to, messages=chunk,
                                         now=now, customer_id=notify.customer_id)
            ids.append(row.id)
            for message in chunk:
                conversations.log_message(session, chat_id=notify.to, direction=Direction.OUT,
                                          message_type=message["type"], text=render.summary(message), now=now,
                                          customer_id=notify.customer_id, outbound_id=row.id)
    return ids


def send_queued(services: Services, outbound_ids: list[int]) -> None:
    """Deliver committed outbox rows now; failures are retried by the queue as usual."""
    deliver_now(services, outbound_ids)

"""Pushes raised outside any webhook event (CLI, API): written to the outbox, sent after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import outbox_writer
from bot.services import Services
from bot.tasks import deliver_now
from handlers.replies import Notify


def queue_notifications(session: Session, *, notifications: list[Notify], now: datetime) -> list[int]:
    """Write each Notify to the outbox (never to someone who blocked the account); return the row ids."""
    return [row.id for row in outbox_writer.queue_notifications(session, notifications, now=now)]


def send_queued(services: Services, outbound_ids: list[int]) -> None:
    """Deliver committed outbox rows now; failures are retried by the queue as usual."""
    deliver_now(services, outbound_ids)

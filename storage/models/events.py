"""Inbound webhook events: the durable log the webhook writes before answering LINE."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, created_at, intpk


class EventStatus(StrEnum):
    """Where an event is in its processing."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class WebhookEvent(Base):
    """One event exactly as LINE sent it, stored once per webhookEventId."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_status_received", "status", "received_at"),)

    id: Mapped[intpk]
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str | None] = mapped_column(String(16))
    source_user_id: Mapped[str | None] = mapped_column(String(64))
    source_group_id: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="active")
    is_redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_token: Mapped[str | None] = mapped_column(String(255))
    line_timestamp: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[created_at]
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

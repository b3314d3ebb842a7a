"""Outbound messages (the outbox) and the conversation log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntId, JSONType, created_at, intpk


class DeliveryKind(StrEnum):
    """How a message reaches LINE: a free reply or a paid push."""

    REPLY = "reply"
    PUSH = "push"


class OutboxStatus(StrEnum):
    """Delivery state of an outbound message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    QUOTA_EXCEEDED = "quota_exceeded"


class Direction(StrEnum):
    """Who wrote a logged message."""

    IN = "in"
    OUT = "out"


class OutboundMessage(Base):
    """Up to five LINE messages for one recipient, written with the change that caused them."""

    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("customers.id"))
    event_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("webhook_events.id"))
    reply_token: Mapped[str | None] = mapped_column(String(255))
    reply_token_expires_at: Mapped[datetime | None]
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    maybe_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime | None]
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)


class ConversationMessage(Base):
    """One line of the conversation log, inbound or outbound, for people to read."""

    __tablename__ = "conversation_messages"

    id: Mapped[intpk]
    customer_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("customers.id"), index=True)
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    direction: Mapped[str] = mapped_column(String(4))
    message_type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("webhook_events.id"))
    outbound_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("outbound_messages.id"))
    created_at: Mapped[created_at]

"""The conversation log: every inbound and outbound message, for people to read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.models import ConversationMessage, Direction


def log_message(session: Session, *, chat_id: str, direction: Direction, message_type: str,
                text: str | None, now: datetime, customer_id: int | None = None,
                event_id: int | None = None, outbound_id: int | None = None) -> None:
    """Append one message to the log (a Core insert in the caller's transaction: every message writes one)."""
    session.connection().execute(insert(ConversationMessage.__table__), dict(
        chat_id=chat_id, direction=direction, message_type=message_type, text=text,
        customer_id=customer_id, event_id=event_id, outbound_id=outbound_id, created_at=now,
    ))


def list_for_chat(session: Session, *, chat_id: str, limit: int = 100) -> Sequence[ConversationMessage]:
    """Return the latest messages of one chat, oldest first."""
    query = (
        select(ConversationMessage)
        .where(ConversationMessage.chat_id == chat_id)
        .order_by(ConversationMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(query).all()))

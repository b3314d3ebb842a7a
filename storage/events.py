"""Queries on the webhook event log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import EventStatus, WebhookEvent


def _event_row(raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    source = raw.get("source") or {}
    delivery = raw.get("deliveryContext") or {}
    timestamp = raw.get("timestamp")
    mode = raw.get("mode", "active")
    return {
        "webhook_event_id": raw["webhookEventId"],
        "event_type": raw["type"],
        "source_type": source.get("type"),
        "source_user_id": source.get("userId"),
        "source_group_id": source.get("groupId") or source.get("roomId"),
        "mode": mode,
        "is_redelivery": bool(delivery.get("isRedelivery", False)),
        "reply_token": raw.get("replyToken"),
        "line_timestamp": datetime.fromtimestamp(timestamp / 1000, UTC) if timestamp else None,
        "payload": raw,
        "received_at": now,
        "status": EventStatus.RECEIVED if mode == "active" else EventStatus.SKIPPED,
        "attempts": 0,
    }


def record_events(conn: Connection, *, events: Iterable[dict[str, Any]], now: datetime) -> list[int]:
    """Store events once each; return the ids of those that are new and need processing.

    Core on a plain connection, not the ORM: this runs in every webhook request.
    """
    rows = [_event_row(raw, now) for raw in events]
    if not rows:
        return []
    dialect = conn.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = WebhookEvent.__table__
    # rows go as parameters, not .values(rows): the statement then compiles once and is cached
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(table.c.id, table.c.status)
    )
    result = conn.execute(statement, rows).all()
    return sorted(row.id for row in result if row.status == EventStatus.RECEIVED)


def is_claimable(row: WebhookEvent | None, now: datetime) -> bool:
    """claim_event's condition on a row already read: received, or processing past its lease."""
    return row is not None and (row.status == EventStatus.RECEIVED
                                or (row.status == EventStatus.PROCESSING and row.lease_until < now))


def claim_event(session: Session, *, event_id: int, now: datetime, lease: timedelta) -> WebhookEvent | None:
    """Take an event for processing unless another worker holds a live lease on it."""
    claimable = or_(
        WebhookEvent.status == EventStatus.RECEIVED,
        (WebhookEvent.status == EventStatus.PROCESSING) & (WebhookEvent.lease_until < now),
    )
    # UPDATE … RETURNING the row (SQLite ≥ 3.35, PostgreSQL): claim and load in one statement
    return session.scalar(
        update(WebhookEvent)
        .where(WebhookEvent.id == event_id, claimable)
        .values(status=EventStatus.PROCESSING, attempts=WebhookEvent.attempts + 1,
                lease_until=now + lease)
        .returning(WebhookEvent)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


def mark_event(session: Session, *, event: WebhookEvent, status: EventStatus, now: datetime,
               error: str | None = None) -> None:
    """Record how processing ended."""
    event.status = status
    event.processed_at = now
    event.lease_until = None
    event.error = error


def list_stale_event_ids(session: Session, *, now: datetime, older_than: timedelta,
                         limit: int = 500) -> Sequence[int]:
    """Events a crash left behind: received long ago, or processing past their lease."""
    stale = or_(
        (WebhookEvent.status == EventStatus.RECEIVED) & (WebhookEvent.received_at < now - older_than),
        (WebhookEvent.status == EventStatus.PROCESSING) & (WebhookEvent.lease_until < now),
    )
    return session.scalars(select(WebhookEvent.id).where(stale).order_by(WebhookEvent.id).limit(limit)).all()


def count_by_status(session: Session) -> dict[str, int]:
    """Count events per processing status, for health checks."""
    rows = session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status))
    return {status: count for status, count in rows}

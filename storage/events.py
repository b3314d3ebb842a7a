"""Queries on the webhook event log."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from storage.db import DriverTransaction
from storage.driver_sql import DriverStatement
from storage.models import EventStatus, WebhookEvent

_EVENT_COLUMNS = ("webhook_event_id", "event_type", "source_type", "source_user_id", "source_group_id", "mode",
                  "is_redelivery", "reply_token", "line_timestamp", "payload", "received_at", "status", "attempts")


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


@functools.cache
def _insert(dialect: Dialect) -> DriverStatement:
    """INSERT … ON CONFLICT DO NOTHING RETURNING, compiled once per engine's dialect."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    table = WebhookEvent.__table__
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(table.c.id, table.c.status)
    )
    return DriverStatement(statement, dialect, list(_EVENT_COLUMNS))


def record_events(tx: DriverTransaction, *, events: Iterable[dict[str, Any]], now: datetime) -> list[int]:
    """Store events once each; return the ids of those that are new and need processing.

    On the driver's cursor, not through SQLAlchemy's Connection: this runs in every webhook request.
    """
    rows = [_event_row(raw, now) for raw in events]
    returned = _insert(tx.dialect).execute(tx.cursor, rows)
    return sorted(event_id for event_id, status in returned if status == EventStatus.RECEIVED)


def is_claimable(row: WebhookEvent | None, now: datetime) -> bool:
    """claim_event's condition on a row already read: received, or processing past its lease."""
    return row is not None and (row.status == EventStatus.RECEIVED
                                or (row.status == EventStatus.PROCESSING and row.lease_until < now))


def claim_event(session: Session, *, event_id: int, now: datetime, lease: timedelta) -> Row | None:
    """Take an event for processing unless another worker holds a live lease on it; return its columns.

    One Core ``UPDATE … RETURNING`` (SQLite ≥ 3.35, PostgreSQL) on the session's connection: it
    runs inside the worker's write transaction, where an ORM entity's bookkeeping only lengthens
    the time the webhook waits for SQLite's write lock.
    """
    table = WebhookEvent.__table__
    claimable = or_(
        table.c.status == EventStatus.RECEIVED,
        (table.c.status == EventStatus.PROCESSING) & (table.c.lease_until < now),
    )
    statement = (
        update(table)
        .where(table.c.id == event_id, claimable)
        .values(status=EventStatus.PROCESSING, attempts=table.c.attempts + 1, lease_until=now + lease)
        .returning(*table.c)
    )
    return session.connection().execute(statement).first()


def mark_event(session: Session, *, event_id: int, status: EventStatus, now: datetime,
               error: str | None = None) -> None:
    """Record how processing ended (or, with status PROCESSING, why an attempt failed)."""
    table = WebhookEvent.__table__
    done = status != EventStatus.PROCESSING
    session.connection().execute(
        update(table).where(table.c.id == event_id)
        .values(status=status, error=error, **({"processed_at": now, "lease_until": None} if done else {}))
    )


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

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


def _claimable(table, now: datetime):
    """Received, or processing past its lease (its worker died)."""
    return or_(table.c.status == EventStatus.RECEIVED,
               (table.c.status == EventStatus.PROCESSING) & (table.c.lease_until < now))


def claim_batch(session: Session, *, event_id: int, now: datetime, lease_until: datetime,
                limit: int = 1) -> list[Row]:
    """Lease an event and up to ``limit - 1`` others still waiting to this worker; return their columns by id.

    The named event is taken if it is waiting or its lease ran out; the others only if nobody has
    touched them yet (oldest first; on PostgreSQL rows another worker is claiming are skipped, not
    waited for). Nothing when the event is leased to a live worker or finished and none are waiting.
    One Core ``UPDATE … RETURNING`` (SQLite ≥ 3.35, PostgreSQL) on the session's connection.
    """
    table = WebhookEvent.__table__
    taken = (table.c.id == event_id) & _claimable(table, now)
    if limit > 1:
        waiting = (
            select(table.c.id)
            .where(table.c.status == EventStatus.RECEIVED, table.c.id != event_id)
            .order_by(table.c.received_at, table.c.id)
            .limit(limit - 1)
            .with_for_update(skip_locked=True)
        )
        # the subquery's rows are RECEIVED under the write lock (SQLite) or row locks (PostgreSQL)
        taken = or_(taken, table.c.id.in_(waiting.scalar_subquery()))
    statement = (
        update(table)
        .where(taken)
        .values(status=EventStatus.PROCESSING, attempts=table.c.attempts + 1, lease_until=lease_until)
        .returning(*table.c)
    )
    return sorted(session.connection().execute(statement).all(), key=lambda row: row.id)


def has_work(session: Session, *, event_id: int, now: datetime) -> bool:
    """Whether claim_batch would take anything, read without the write lock.

    Once a backlog is drained, the tasks of events that batches took find their work done; this
    keeps them from queueing for the write lock only to learn that.
    """
    table = WebhookEvent.__table__
    own = select(table.c.id).where(table.c.id == event_id, _claimable(table, now))
    waiting = select(table.c.id).where(table.c.status == EventStatus.RECEIVED).limit(1)
    connection = session.connection()
    return connection.execute(own).first() is not None or connection.execute(waiting).first() is not None


def _leased(table, event_ids: Iterable[int], lease_until: datetime):
    return (table.c.id.in_(list(event_ids)) & (table.c.status == EventStatus.PROCESSING)
            & (table.c.lease_until == lease_until))


def still_leased(session: Session, *, event_ids: Iterable[int], lease_until: datetime) -> set[int]:
    """Of the events this worker claimed with ``lease_until``, those still its own, locked until commit.

    A lease outlived (a worker stalled past it) may have passed to another worker since the claim;
    such events are left to it. The no-op UPDATE takes the rows' locks on PostgreSQL.
    """
    table = WebhookEvent.__table__
    statement = (update(table).where(_leased(table, event_ids, lease_until))
                 .values(lease_until=table.c.lease_until).returning(table.c.id))
    return set(session.connection().execute(statement).scalars())


def mark_done(session: Session, *, event_ids: Iterable[int], now: datetime) -> None:
    """Record that these events were handled."""
    table = WebhookEvent.__table__
    session.connection().execute(
        update(table).where(table.c.id.in_(list(event_ids)))
        .values(status=EventStatus.DONE, error=None, processed_at=now, lease_until=None)
    )


def give_back(session: Session, *, event_id: int, lease_until: datetime, now: datetime, error: str,
              failed: bool) -> None:
    """Return an event whose handling failed: due for the sweep at once, or failed for good."""
    table = WebhookEvent.__table__
    values = ({"status": EventStatus.FAILED, "processed_at": now, "lease_until": None} if failed
              else {"lease_until": now})
    session.connection().execute(
        update(table).where(_leased(table, [event_id], lease_until)).values(error=error, **values)
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

"""Queries on the webhook event log."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, exists, func, or_, select, update
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


def claim_batch(session: Session, *, event_id: int | None, now: datetime, lease_until: datetime,
                limit: int = 1) -> list[Row]:
    """Lease an event and up to ``limit - 1`` others still waiting to this worker; return their columns by id.

    The named event is taken if it is waiting or its lease ran out; the others only if nobody has
    touched them yet (oldest first; on PostgreSQL rows another worker is claiming are skipped, not
    waited for). One sender's events are handled in the order they came: an event whose sender has
    an earlier one still unfinished is taken together with it (and any between), or not at all
    while another worker holds that one; ``waiting_after`` finds it once that worker is done.
    Nothing when the event is leased to a live worker or finished and none are waiting.
    """
    table = WebhookEvent.__table__
    connection = session.connection()
    named = (table.c.id == event_id) & _claimable(table, now) if event_id is not None else None
    wanted = named
    if limit > 1 or named is None:
        waiting = (select(table.c.id).where(table.c.status == EventStatus.RECEIVED, table.c.id != (event_id or 0))
                   .order_by(table.c.received_at, table.c.id).limit(limit - (named is not None)))
        others = table.c.id.in_(waiting.scalar_subquery())
        wanted = others if named is None else or_(named, others)
    candidates = dict(connection.execute(
        select(table.c.id, table.c.source_user_id).where(wanted).with_for_update(skip_locked=True)).all())
    taken = _in_sender_order(connection, candidates, now)
    if not taken:
        return []
    statement = (
        update(table)
        .where(table.c.id.in_(taken), _claimable(table, now))
        .values(status=EventStatus.PROCESSING, attempts=table.c.attempts + 1, lease_until=lease_until)
        .returning(*table.c)
    )
    rows = sorted(connection.execute(statement).all(), key=lambda row: row.id)
    lost = taken - {row.id for row in rows}  # PostgreSQL: another worker claimed one meanwhile
    if not lost:
        return rows
    mine = {row.id: row.source_user_id for row in rows}
    late = set(mine) - _in_sender_order(connection, mine, now)
    if late:  # their sender's earlier event went to that worker: hand them back untouched
        connection.execute(update(table).where(table.c.id.in_(late))
                           .values(status=EventStatus.RECEIVED, attempts=table.c.attempts - 1, lease_until=None))
    return [row for row in rows if row.id not in late]


def _in_sender_order(connection, candidates: dict[int, str | None], now: datetime) -> set[int]:
    """The events to take so each sender's go in order: ``candidates`` (id -> sender) and their senders'
    earlier events still claimable (waiting, or left by a dead worker), less every event of a sender
    after one leased to a live worker."""
    table = WebhookEvent.__table__
    senders = {user for user in candidates.values() if user}
    taken = dict(candidates)
    if not senders:
        return set(taken)
    earlier = connection.execute(
        select(table.c.id, table.c.source_user_id, table.c.status, table.c.lease_until)
        .where(table.c.source_user_id.in_(senders), table.c.id < max(candidates),
               table.c.id.not_in(list(candidates)),
               table.c.status.in_((EventStatus.RECEIVED, EventStatus.PROCESSING)))
        .order_by(table.c.id)
    ).all()
    busy: dict[str, int] = {}  # sender -> their first event leased to a live worker
    for row in earlier:
        if row.status == EventStatus.PROCESSING and row.lease_until >= now:
            busy.setdefault(row.source_user_id, row.id)
        elif row.source_user_id not in busy:
            taken[row.id] = row.source_user_id
    return {event_id for event_id, user in taken.items() if user not in busy or event_id < busy[user]}


def waiting_after(session: Session, *, senders: Iterable[str]) -> int | None:
    """The first event still waiting from one of these senders (their earlier events are done)."""
    table = WebhookEvent.__table__
    senders = [user for user in senders if user]
    if not senders:
        return None
    return session.execute(
        select(table.c.id).where(table.c.status == EventStatus.RECEIVED, table.c.source_user_id.in_(senders))
        .order_by(table.c.id).limit(1)
    ).scalar()


@functools.cache
def _has_work(dialect: Dialect) -> DriverStatement:
    table = WebhookEvent.__table__
    own = exists().where(table.c.id == bindparam("event_id"), _claimable(table, bindparam("now")))
    waiting = exists().where(table.c.status == EventStatus.RECEIVED)
    return DriverStatement(select(own | waiting), dialect, ["event_id", "now"])


def has_work(tx: DriverTransaction, *, event_id: int, now: datetime) -> bool:
    """Whether claim_batch would take anything, read without the write lock.

    Once a backlog is drained, the tasks of events that batches took find their work done; this
    keeps them from queueing for the write lock only to learn that. On the driver's cursor: it
    runs for every task.
    """
    [(found,)] = _has_work(tx.dialect).execute(tx.cursor, [{"event_id": event_id, "now": now}])
    return bool(found)


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

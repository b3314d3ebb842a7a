"""Customer tags, and customers created in bulk (a CSV import of LINE user IDs, or seeded followers)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, literal, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.base import UTCDateTime
from storage.models import Customer, CustomerTag, FollowStatus

CHUNK = 1000  # rows per statement: well under every backend's bound-parameter limit


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert_ignoring_duplicates(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).on_conflict_do_nothing()


def find_customer_ids(session: Session, *, line_user_ids: Collection[str]) -> dict[str, int]:
    """Customer ids by LINE user ID, for the IDs we know."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(line_user_ids)):
        rows = session.execute(select(Customer.line_user_id, Customer.id).where(Customer.line_user_id.in_(chunk)))
        found.update((user, customer_id) for user, customer_id in rows)
    return found


def ensure_customers(session: Session, *, line_user_ids: Collection[str], now: datetime) -> tuple[dict[str, int], int]:
    """Customer ids for LINE user IDs, creating the unknown ones; return the ids and how many were created."""
    known = find_customer_ids(session, line_user_ids=line_user_ids)
    missing = sorted(set(line_user_ids) - known.keys())
    rows = [{"line_user_id": user, "follow_status": FollowStatus.UNKNOWN, "created_at": now} for user in missing]
    for chunk in _chunks(rows):
        session.execute(_insert_ignoring_duplicates(session, Customer), chunk)
    known.update(find_customer_ids(session, line_user_ids=missing))
    return known, len(missing)


def add_tags(session: Session, *, pairs: Collection[tuple[int, str]], now: datetime) -> int:
    """Tag customers (customer id, tag); return how many tags are new."""
    added = 0
    for chunk in _chunks(sorted(pairs)):
        rows = session.execute(select(CustomerTag.customer_id, CustomerTag.tag).where(
            tuple_(CustomerTag.customer_id, CustomerTag.tag).in_(chunk)))
        existing = {(customer_id, tag) for customer_id, tag in rows}
        new = [{"customer_id": cid, "tag": tag, "created_at": now} for cid, tag in chunk if (cid, tag) not in existing]
        if new:
            session.execute(_insert_ignoring_duplicates(session, CustomerTag), new)
        added += len(new)
    return added


def remove_tags(session: Session, *, customer_ids: Collection[int], tags: Collection[str]) -> int:
    """Untag customers; return how many tags were removed."""
    removed = 0
    for chunk in _chunks(sorted(customer_ids)):
        removed += session.execute(delete(CustomerTag).where(CustomerTag.customer_id.in_(chunk),
                                                             CustomerTag.tag.in_(sorted(tags)))).rowcount
    return removed


def count_by_tag(session: Session) -> list[tuple[str, int]]:
    """Each tag and how many customers have it, most used first."""
    query = (select(CustomerTag.tag, func.count()).group_by(CustomerTag.tag)
             .order_by(func.count().desc(), CustomerTag.tag))
    return [(tag, count) for tag, count in session.execute(query)]


def seed_followers(session: Session, *, count: int, now: datetime, language: str | None = None,
                   tag: str | None = None) -> int:
    """Create followers with made-up LINE user IDs (for trying broadcasts out, and the benchmark)."""
    for start in range(0, count, CHUNK):
        users = ["U" + uuid.uuid4().hex for _ in range(min(CHUNK, count - start))]
        session.execute(insert(Customer), [
            {"line_user_id": user, "follow_status": FollowStatus.FOLLOWING, "language": language,
             "followed_at": now, "first_followed_at": now, "created_at": now} for user in users])
        if tag:
            tagged = select(Customer.id, literal(tag), literal(now, UTCDateTime())).where(
                Customer.line_user_id.in_(users))
            session.execute(insert(CustomerTag).from_select(["customer_id", "tag", "created_at"], tagged))
    return count

"""What the bot stored and what the emulator received: drain waits and the zero-loss audit."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
from sqlalchemy import create_engine, text

REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"


class Ledger:
    """Read-only queries on the bot's database (its own connection; the bot never waits on it)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def progress(self) -> tuple[int, int, int]:
        """(events stored, events done, messages sent)."""
        with self.engine.connect() as conn:
            stored, done = conn.execute(text(
                "SELECT count(*), coalesce(sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0) "
                "FROM webhook_events")).one()
            sent = conn.execute(text("SELECT count(*) FROM outbound_messages WHERE status = 'sent'")).scalar_one()
        return stored, done, sent

    def wait_drained(self, expected: int, stall: float) -> float | None:
        """Wait until `expected` events are done and as many messages sent; return when, or None.

        Gives up only when nothing moved for `stall` seconds: a slow machine drains slowly but
        steadily, and a fixed deadline would throw away the phases it had already measured.
        """
        last, moved_at = None, time.monotonic()
        while time.monotonic() - moved_at < stall:
            progress = self.progress()
            _, done, sent = progress
            if done >= expected and sent >= expected:
                return time.time()
            if progress != last:
                last, moved_at = progress, time.monotonic()
            time.sleep(0.2)
        return None

    def audit(self) -> dict[str, object]:
        """Every stored event and its outbox rows, summarised for the loss and duplicate checks."""
        with self.engine.connect() as conn:
            ids = conn.execute(text("SELECT webhook_event_id FROM webhook_events")).scalars().all()
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM webhook_events GROUP BY status")).all())
            outbox = {f"{kind}/{status}": count for kind, status, count in conn.execute(text(
                "SELECT kind, status, count(*) FROM outbound_messages GROUP BY kind, status")).all()}
            per_event = Counter(conn.execute(text(
                "SELECT count(o.id) FROM webhook_events e LEFT JOIN outbound_messages o ON o.event_id = e.id "
                "GROUP BY e.id")).scalars().all())
        return {"ids": ids, "statuses": statuses, "outbox": outbox, "messages_per_event": per_event}

    def backend_pids(self) -> list[int]:
        """PostgreSQL server processes serving this database (their CPU is the database's); none on SQLite."""
        if self.engine.dialect.name != "postgresql":
            return []
        with self.engine.connect() as conn:
            return list(conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars())

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


@dataclass
class Deliveries:
    """The emulator's record of what reached each chat."""

    per_chat: Counter = field(default_factory=Counter)
    replies_by_token: Counter = field(default_factory=Counter)
    replies: int = 0
    pushes: int = 0
    refused: int = 0
    times: list[float] = field(default_factory=list)  # when each accepted call was recorded


def fetch_deliveries(emulator: str, token_chats: dict[str, str]) -> Deliveries:
    """Tally the emulator's call log: accepted replies and pushes per chat, refusals, timestamps."""
    out = Deliveries()
    for path in (REPLY_PATH, PUSH_PATH):
        calls = requests.get(emulator + "/_emulator/calls", params={"path": path}, timeout=120).json()
        for call in calls:
            if call["status"] != 200:
                out.refused += 1
                continue
            body = call["requestBody"] or {}
            if path == REPLY_PATH:
                token = body.get("replyToken")
                out.replies += 1
                out.replies_by_token[token] += 1
                out.per_chat[token_chats.get(token, "?")] += 1
            else:
                out.pushes += 1
                out.per_chat[body.get("to")] += 1
            out.times.append(call["at"])
    return out


def compare_chats(expected: Counter, delivered: Counter) -> int:
    """How many chats did not get exactly one answer per message they sent."""
    return sum(1 for chat in set(expected) | set(delivered) if expected[chat] != delivered[chat])


def duplicates(values: Iterable[str]) -> int:
    """How many values occur more than once (extra copies)."""
    return sum(count - 1 for count in Counter(values).values() if count > 1)

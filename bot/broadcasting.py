"""The broadcast sender: multicast each batch through LineClient, throttled, backing off, resumable.

Each batch is recorded before its call (SENDING, with its fixed retry key) and after it (SENT with
the invitations, back to PENDING, or FAILED with LINE's reason). A sender killed between the two
leaves the batch SENDING; the next sender repeats the call with the same key and LINE answers 409,
so nobody gets the invitation twice. One sender per broadcast at a time, by a lease on its row.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import render
from bot.delivery import backoff_seconds
from bot.line_client import RETRY_KEY_LIFETIME, Outcome, SendResult
from bot.services import Services
from handlers.broadcasts import BroadcastOptions, invitation_cards
from storage import broadcasts

log = logging.getLogger(__name__)



class Throttle:
    """Spaces calls evenly below a rate, across threads, and pauses them all after LINE's 429."""

    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval = 1.0 / rate_per_second
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        """Block until this caller's turn."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Hold every caller back (LINE said too many requests, and sends no Retry-After)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


@dataclass(frozen=True)
class _Batch:
    """What one call needs, copied out so no transaction stays open during HTTP."""

    id: int
    number: int
    language: str
    retry_key: str
    to: list[str]


class _Sender:
    """One run over a broadcast's open batches, holding its lease."""

    def __init__(self, services: Services, broadcast_id: int, options: BroadcastOptions) -> None:
        self.services, self.broadcast_id, self.options = services, broadcast_id, options
        self.owner = str(uuid.uuid4())
        self.lease = timedelta(seconds=options.lease_seconds)
        self.throttle = Throttle(options.rate_per_second)
        self.halt = threading.Event()
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.version_id = 0
        self._renewed = time.monotonic()
        self._renew_lock = threading.Lock()

    def prepare(self) -> list[int] | None:
        """Take the lease, fix the invitation's wording for good, and list the batches left."""
        with self.services.db.session_scope() as session:
            if not broadcasts.take_lease(session, broadcast_id=self.broadcast_id, owner=self.owner,
                                         now=self.services.clock(), lease=self.lease):
                return None
            broadcast = broadcasts.get_broadcast(session, broadcast_id=self.broadcast_id)
            if broadcast.messages is None:
                cards = invitation_cards(session, broadcast=broadcast, catalogue=self.services.catalogue)
                broadcast.messages = {language: render.render_all([card])[0] for language, card in cards.items()}
            self.messages, self.version_id = broadcast.messages, broadcast.version_id
            return list(broadcasts.list_open_batch_ids(session, broadcast_id=self.broadcast_id))

    def _claim(self, batch_id: int) -> _Batch | None:
        with self.services.db.session_scope() as session:
            now = self.services.clock()
            batch = broadcasts.claim_batch(session, batch_id=batch_id, now=now)
            if batch is None:
                return None
            if batch.maybe_delivered and batch.first_attempt_at < now - RETRY_KEY_LIFETIME:
                # LINE has forgotten the key: a repeat could reach these people twice, so a person decides
                broadcasts.mark_batch_failed(session, batch_id=batch_id, error="outcome unknown and the retry "
                                             "key has expired (24 h); not sent again to avoid duplicates")
                return None
            if not batch.maybe_delivered:
                # LINE never had this batch, so its list may still change: the snapshot may be days old (a
                # resume), and whoever unfollowed, opted out or was invited meanwhile must not get it now
                broadcasts.drop_unreachable(session, broadcast_id=self.broadcast_id, batch_id=batch.id,
                                            number=batch.number, version_id=self.version_id)
            to = broadcasts.list_batch_recipients(session, broadcast_id=self.broadcast_id, number=batch.number)
            if not to:
                broadcasts.mark_batch_sent(session, broadcast_id=self.broadcast_id, batch_id=batch.id,
                                           number=batch.number, version_id=self.version_id, now=now,
                                           request_id=None, summary="")
                return None
            return _Batch(batch.id, batch.number, batch.language, batch.retry_key, to)

    def send_batch(self, batch_id: int) -> None:
        """Send one batch, retrying transient failures with back-off, until it is settled or we stop."""
        tries = 0
        while not self.halt.is_set():
            batch = self._claim(batch_id)
            if batch is None:
                return
            self.throttle.wait()
            result = self.services.line.multicast(to=batch.to, messages=self.messages[batch.language],
                                                  retry_key=batch.retry_key)
            tries += 1
            delay = self._record(batch, result, tries)
            if delay is None:
                return
            time.sleep(delay)

    def _keep_lease(self, session: Session, now: datetime) -> None:
        """Renew the lease once a quarter of it has gone by (not every batch: every renewal locks the row)."""
        with self._renew_lock:
            if time.monotonic() - self._renewed < self.lease.total_seconds() / 4:
                return
            self._renewed = time.monotonic()
        if not broadcasts.renew_lease(session, broadcast_id=self.broadcast_id, owner=self.owner, now=now,
                                      lease=self.lease):
            log.warning("broadcast %s: lease lost, another sender continues", self.broadcast_id)
            self.halt.set()

    def _record(self, batch: _Batch, result: SendResult, tries: int) -> float | None:
        """Apply LINE's answer; return the delay before another try, or None when the batch is settled."""
        now = self.services.clock()
        error = f"HTTP {result.status}: {result.reason}"
        with self.services.db.session_scope() as session:
            self._keep_lease(session, now)
            if result.delivered:
                summary = render.summary(self.messages[batch.language][0])
                broadcasts.mark_batch_sent(session, broadcast_id=self.broadcast_id, batch_id=batch.id,
                                           number=batch.number, version_id=self.version_id, now=now,
                                           request_id=result.request_id, summary=summary)
                return None
            if result.outcome == Outcome.MONTHLY_LIMIT:
                broadcasts.mark_batch_retry(session, batch_id=batch.id, error=error, uncertain=False)
                broadcasts.stop(session, broadcast_id=self.broadcast_id, now=now,
                                reason=f"LINE's monthly message limit was reached ({error})")
                log.error("broadcast %s stopped: LINE's monthly message limit", self.broadcast_id)
                self.halt.set()
                return None
            uncertain = result.outcome == Outcome.RETRY and (result.status is None or result.status >= 500)
            if result.outcome == Outcome.RETRY and tries < self.options.max_attempts:
                delay = backoff_seconds(tries, self.options.retry_base_seconds)
                broadcasts.mark_batch_retry(session, batch_id=batch.id, error=error, uncertain=uncertain)
                if result.status == 429:
                    self.throttle.pause(delay)
                    return 0.0
                return delay
            log.warning("broadcast %s batch %s failed: %s", self.broadcast_id, batch.number, error)
            # a last try that timed out may have reached LINE: a resume must not repeat it once the key expired
            broadcasts.mark_batch_failed(session, batch_id=batch.id, error=error, uncertain=uncertain)
            return None

    def finish(self) -> str | None:
        """Close the broadcast when every batch is settled, and let go of the lease."""
        with self.services.db.session_scope() as session:
            status = broadcasts.finish(session, broadcast_id=self.broadcast_id, now=self.services.clock())
            broadcasts.release_lease(session, broadcast_id=self.broadcast_id, owner=self.owner)
            broadcast = broadcasts.get_broadcast(session, broadcast_id=self.broadcast_id)
            return status or broadcast.status


def run(services: Services, broadcast_id: int) -> str | None:
    """Send a broadcast's open batches; its status afterwards, or None when it is not this sender's to send."""
    sender = _Sender(services, broadcast_id, BroadcastOptions.from_options(services.settings.extra))
    batch_ids = sender.prepare()
    if batch_ids is None:
        return None
    log.info("broadcast %s: sending %d batches", broadcast_id, len(batch_ids))
    with ThreadPoolExecutor(max_workers=sender.options.concurrency, thread_name_prefix="broadcast") as pool:
        for _ in pool.map(sender.send_batch, batch_ids):
            pass
    status = sender.finish()
    log.info("broadcast %s: %s", broadcast_id, status)
    return status


def unattended(services: Services) -> list[int]:
    """Broadcasts in SENDING that no live sender holds: new ones, and those whose worker died."""
    with services.db.session_scope() as session:
        return list(broadcasts.list_unattended_ids(session, now=services.clock()))


"""Process stored events: claim, prepare, handle in short transactions, hand back what to send.

A task names one event. When others are waiting too (a backlog), it takes up to
``event_batch_size`` of them with it, and their own tasks later find nothing left to do: a
backlog then costs one claim, one read of the senders and one delivery record per batch, not per
event, and a write transaction per few events. With no backlog a batch is the one event.

1. Claim (a short write transaction): the events are leased to this worker.
2. Without the write lock: fetch new senders' profiles, all at once (HTTP never runs in a
   transaction), and let handlers do their CPU-heavy work (complaint scoring).
3. Write transactions of up to ``EVENTS_PER_TRANSACTION`` events each: the leases checked, the
   handlers' changes, the outbox rows (written already held for this worker to send), the
   conversation log and the done marks commit together.

If anything in a transaction fails, it rolls back and the events not yet committed are handled
one at a time, so a bad event delays the others but cannot take them down; its failure is counted
and the sweep retries it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row
from sqlalchemy.orm import Session

from bot import delivery, outbox_writer
from bot import postback as postback_codec
from bot.services import Services
from handlers.context import HandlerContext, Profile
from handlers.customers import note_contact
from handlers.events import InboundEvent
from storage import conversations, customers, events
from storage.models import Customer, Direction, WebhookEvent
from storage.outbox import QueuedMessage

log = logging.getLogger(__name__)

MAX_EVENT_ATTEMPTS = 3
# A write transaction holds SQLite's write lock, which the webhook waits for: a batch is handled in
# transactions of a few events each (16 at once, with 4 consumer threads, put the webhook's p99 at
# 200 events/s at 1–2 s).
EVENTS_PER_TRANSACTION = 4


@dataclass(frozen=True)
class _Claim:
    """Events leased to this worker until ``lease_until`` (which also tells this lease from a later one)."""

    rows: list[Row]
    lease_until: datetime


@dataclass(frozen=True)
class _Prepared:
    """What an event needs before its transaction: the sender's profile and the handlers' slow work."""

    profile: Profile | None
    memo: dict


def to_inbound(row: WebhookEvent | Row) -> InboundEvent:
    """Reduce a stored LINE event to what handlers read."""
    raw = row.payload
    message = raw.get("message") or {}
    data = (raw.get("postback") or {}).get("data")
    return InboundEvent(
        id=row.id, type=row.event_type, timestamp=row.line_timestamp or row.received_at,
        user_id=row.source_user_id,
        group_id=row.source_group_id if row.source_type in ("group", "room") else None,
        reply_token=row.reply_token, message_type=message.get("type"),
        text=message.get("text") if message.get("type") == "text" else None,
        postback=postback_codec.decode(data), postback_data=data, raw=raw,
    )


def _user_id(row: Row) -> str | None:
    return row.source_user_id if row.source_type == "user" else None


def _log_inbound(session: Session, event: InboundEvent, customer: Customer | None, now: datetime) -> None:
    if event.type != "message" or event.chat_id is None:
        return
    conversations.log_message(
        session, chat_id=event.chat_id, direction=Direction.IN, message_type=event.message_type or "?",
        text=event.text, now=now, customer_id=customer.id if customer else None, event_id=event.id,
    )


def _claim(services: Services, event_id: int) -> _Claim | None:
    now = services.clock()
    settings = services.settings
    lease_until = now + timedelta(seconds=settings.event_lease_seconds)
    with services.db.driver_read() as tx:
        if not events.has_work(tx, event_id=event_id, now=now):
            return None
    # immediate mode (tests) runs a task inside the request that queued it: that request's event only
    limit = 1 if settings.huey_immediate else settings.event_batch_size
    with services.db.session_scope() as session:
        rows = events.claim_batch(session, event_id=event_id, now=now, lease_until=lease_until, limit=limit)
    return _Claim(rows, lease_until) if rows else None


def _needs_profile(row: Row, named: dict[str, bool]) -> bool:
    """New senders, follows, and customers still nameless: their first fetch failed (LINE down, a timeout).

    ``named`` says, for each sender already a customer, whether we have their name.
    """
    user_id = _user_id(row)
    return user_id is not None and (row.event_type == "follow" or not named.get(user_id, False))


def _prepare(services: Services, rows: list[Row]) -> dict[int, _Prepared]:
    """Fetch new senders' profiles (once each, together) and run the preparers, outside any transaction."""
    with services.db.read_scope() as session:
        known = customers.get_many_by_line_id(session, filter(None, map(_user_id, rows)))
        named = {user_id: customer.display_name is not None for user_id, customer in known.items()}
    senders = {row.id: _user_id(row) for row in rows if _needs_profile(row, named)}
    wanted = list(dict.fromkeys(senders.values()))
    fetched = services.call_pool.run_by_key(services.line.get_profile, wanted, key=lambda user_id: user_id)
    profiles: dict[str, Profile] = {}
    for user_id, profile in zip(wanted, fetched, strict=True):
        if isinstance(profile, BaseException):
            raise profile
        profiles[user_id] = profile or Profile(user_id=user_id)
    return {row.id: _Prepared(profiles[senders[row.id]] if row.id in senders else None,
                              services.router.prepared(services.settings.extra, to_inbound(row)))
            for row in rows}


def _handle(services: Services, session: Session, row: Row, prepared: _Prepared, known: dict[str, Customer],
            now: datetime) -> list[QueuedMessage]:
    """Route one event and write its answer; returns the outbox rows written."""
    settings = services.settings
    event = to_inbound(row)
    customer = None
    user_id = _user_id(row)
    if user_id:
        # the batch looked every sender up in this transaction: one not found is new
        customer = known.get(user_id) or customers.create(session, line_user_id=user_id, now=now)
        note_contact(customer, profile=prepared.profile, now=now)
        known[user_id] = customer
    ctx = HandlerContext(session=session, now=now, catalogue=services.catalogue, customer=customer,
                         profile=prepared.profile, options=settings.extra, basic_id=settings.line_bot_basic_id,
                         memo=dict(prepared.memo))
    outgoing = services.router.route(ctx, event)
    _log_inbound(session, event, customer, now)
    # this worker sends the rows right after the commit, so they are written already claimed
    held_until = now + timedelta(seconds=settings.delivery_lease_seconds)
    return outbox_writer.queue_answer(session, services, event, customer, outgoing, now, held_until=held_until)


def _handle_all(services: Services, claim: _Claim, rows: list[Row],
                prepared: dict[int, _Prepared]) -> list[delivery.Attempt]:
    """Handle events in one transaction; those whose lease passed to another worker are left to it."""
    now = services.clock()
    with services.db.session_scope() as session:
        mine = events.still_leased(session, event_ids=[row.id for row in rows], lease_until=claim.lease_until)
        rows = [row for row in rows if row.id in mine]
        known = customers.get_many_by_line_id(session, filter(None, map(_user_id, rows)))
        written = []
        for row in rows:
            written += _handle(services, session, row, prepared[row.id], known, now)
        session.flush()
        events.mark_done(session, event_ids=mine, now=now)
        return [delivery.held_attempt(outbound, now) for outbound in written]


def process_claims(services: Services, event_id: int) -> Iterator[list[delivery.Attempt]]:
    """Process a stored event once (and others waiting with it); yield each claim's outbox rows to send.

    Then the events its senders wrote meanwhile: a claim leaves an event whose sender has an
    earlier one with another worker, so that worker takes it up once the earlier one is done.
    In a backlog those followers chain on through the senders' later messages; the caller sends
    each claim's rows before the next claim is taken, or the first replies would wait for the
    whole chain, past their lease and their reply tokens' life.
    Nothing when another worker has the event or it is finished and nothing else is waiting.
    """
    claim = _claim(services, event_id)
    handled = False
    while claim is not None:
        try:
            attempts = _process_claim(services, claim)
        except Exception:
            if not handled:
                raise
            log.exception("a later event of the same senders failed; what was handled is sent")
            return
        handled = True
        yield attempts
        try:
            with services.db.read_scope() as session:
                follower = events.waiting_after(session, senders={row.source_user_id for row in claim.rows})
            claim = _claim(services, follower) if follower is not None else None
        except Exception:
            log.exception("could not take up the senders' later events; the sweep will")
            return


def _process_claim(services: Services, claim: _Claim) -> list[delivery.Attempt]:
    """Handle the claimed events in transactions of a few; a failing batch is retried one event at a time."""
    prepared: dict[int, _Prepared] = {}
    attempts: list[delivery.Attempt] = []
    rows = claim.rows
    try:
        prepared = _prepare(services, rows)
        while rows:
            attempts += _handle_all(services, claim, rows[:EVENTS_PER_TRANSACTION], prepared)
            rows = rows[EVENTS_PER_TRANSACTION:]
        return attempts
    except Exception as exc:
        if len(claim.rows) == 1:
            log.exception("event %s failed", claim.rows[0].id)
            _after_failure(services, claim, claim.rows[0], exc)
            raise
        log.warning("a batch of %d events failed (%s); handling the rest one at a time", len(claim.rows), exc)
    for row in rows:  # those not committed yet
        try:
            alone = {row.id: prepared[row.id]} if row.id in prepared else _prepare(services, [row])
            attempts += _handle_all(services, claim, [row], alone)
        except Exception as exc:
            log.exception("event %s failed", row.id)
            _after_failure(services, claim, row, exc)
    return attempts


def _after_failure(services: Services, claim: _Claim, row: Row, exc: Exception) -> None:
    """Count the failed attempt; the sweep retries it unless it failed too often to be a passing fault."""
    with services.db.session_scope() as session:
        events.give_back(session, event_id=row.id, lease_until=claim.lease_until, now=services.clock(),
                         error=f"{type(exc).__name__}: {exc}"[:2000], failed=row.attempts >= MAX_EVENT_ATTEMPTS)

"""Deliver outbox rows to LINE: reply first, push where a reply is impossible, retry safely."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.line_client import RETRY_KEY_LIFETIME, Outcome, SendResult
from bot.services import Services
from storage import outbox
from storage.models import DeliveryKind, OutboundMessage, OutboxStatus
from storage.outbox import QueuedMessage

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class Attempt:
    """What one attempt needs, copied out so no transaction stays open during HTTP."""

    outbound_id: int
    kind: str
    recipient: str
    reply_token: str | None
    token_expired: bool
    messages: list
    retry_key: str
    attempts: int
    maybe_delivered: bool
    lease_until: datetime


def backoff_seconds(attempts: int, base: float) -> float:
    """Exponential back-off: base, 2·base, 4·base… capped at five minutes."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def held_attempt(row: OutboundMessage | QueuedMessage, now: datetime) -> Attempt:
    """The attempt for a row this worker holds (claimed, or written already claimed)."""
    expired = row.reply_token_expires_at is not None and row.reply_token_expires_at <= now
    return Attempt(row.id, row.kind, row.recipient, row.reply_token, expired, list(row.messages),
                   row.retry_key, row.attempts, row.maybe_delivered, row.lease_until)


def _send(services: Services, attempt: Attempt) -> SendResult:
    if attempt.kind == DeliveryKind.REPLY:
        if attempt.token_expired or not attempt.reply_token:
            return SendResult(Outcome.INVALID_REPLY_TOKEN, reason="reply token expired before sending")
        return services.line.reply(reply_token=attempt.reply_token, messages=attempt.messages)
    return services.line.push(to=attempt.recipient, messages=attempt.messages, retry_key=attempt.retry_key)


def _record(services: Services, row: OutboundMessage, attempt: Attempt, result: SendResult) -> float | None:
    """Apply LINE's answer to the row; return a delay when the message should be tried again."""
    now = services.clock()
    settings = services.settings
    if result.outcome == Outcome.INVALID_REPLY_TOKEN:
        if attempt.maybe_delivered and not attempt.token_expired and result.status == 400:
            # only this bot holds the token and it is within its lifetime: the earlier attempt used it
            outbox.mark_sent_earlier(row, now=now, note="LINE refused the reply token on a retry within its "
                                                        "lifetime: the earlier attempt, of unknown outcome, used it")
            return None
        if attempt.maybe_delivered:
            # an earlier attempt may have used the token: a push could show the message twice
            outbox.mark_failed(row, status=OutboxStatus.FAILED,
                               error=f"reply token refused after an attempt of unknown outcome: {result.reason}")
            return None
        outbox.convert_to_push(row, now=now)
        return 0.0
    if result.outcome == Outcome.MONTHLY_LIMIT:
        log.error("LINE monthly message limit reached; outbound message %s not sent", row.id)
        outbox.mark_failed(row, status=OutboxStatus.QUOTA_EXCEEDED, error=result.reason or "monthly limit")
        return None
    if result.outcome == Outcome.RETRY and attempt.attempts < settings.delivery_max_attempts:
        delay = backoff_seconds(attempt.attempts, settings.retry_base_seconds)
        uncertain = not result.status or result.status >= 500  # 0: no HTTP answer (a broken TLS read)
        outbox.mark_retry(row, at=now + timedelta(seconds=delay), uncertain=uncertain,
                          error=f"HTTP {result.status}: {result.reason}")
        return delay
    log.warning("outbound message %s failed: HTTP %s %s", row.id, result.status, result.reason)
    outbox.mark_failed(row, status=OutboxStatus.FAILED, error=f"HTTP {result.status}: {result.reason}")
    return None


def _attempt(services: Services, attempt: Attempt) -> tuple[SendResult | None, float | None]:
    """Send a held row; record a refusal or failure at once (an acceptance is the caller's to record).

    The delay says when to try again; 0.0 means at once (now as a push, or under a new lease).
    No result when no call was made. The lease must outlast the call: once it runs out the sweep
    may hand the row to another worker, and two senders of one reply would show it twice.
    """
    now = services.clock()
    if now + timedelta(seconds=services.line.longest_call_seconds) >= attempt.lease_until:
        with services.db.session_scope() as session:
            given_back = outbox.give_back(session, outbound_id=attempt.outbound_id,
                                          lease_until=attempt.lease_until, now=now)
        log.warning("outbound message %s: lease too short to send; %s", attempt.outbound_id,
                    "taken again" if given_back else "another worker has it")
        return None, 0.0 if given_back else None
    result = _send(services, attempt)
    if result.delivered:
        return result, None
    with services.db.session_scope() as session:
        row = outbox.still_held(session, outbound_id=attempt.outbound_id, lease_until=attempt.lease_until)
        if row is None:
            # taken over while the call was out: the new sender's attempt decides, not this answer
            log.warning("outbound message %s: lease lost during the call (%s)", attempt.outbound_id, result.outcome)
            return result, None
        return result, _record(services, row, attempt, result)


def _record_sent(services: Services, accepted: list[tuple[int, str | None]]) -> None:
    if not accepted:
        return
    with services.db.driver_transaction() as tx:
        for outbound_id, request_id in accepted:
            outbox.record_sent(tx, outbound_id=outbound_id, now=services.clock(), request_id=request_id)


def deliver(services: Services, outbound_id: int) -> tuple[int, float] | None:
    """Claim an outbox row and make one attempt; return the row to try again and its delay, if one is due.

    Once it is sent or given up, the chat's messages that waited behind it follow, in order; the
    row to try again may be one of those, and nothing else would queue its retry.
    """
    while True:
        with services.db.session_scope() as session:
            lease = timedelta(seconds=services.settings.delivery_lease_seconds)
            now = services.clock()
            row = outbox.claim_outbound(session, outbound_id=outbound_id, now=now, lease=lease)
            if row is None:
                return None
            if row.kind == DeliveryKind.PUSH and row.maybe_delivered and row.created_at < now - RETRY_KEY_LIFETIME:
                # LINE has forgotten the key: a repeat could show the message twice, so a person decides
                outbox.mark_failed(row, status=OutboxStatus.FAILED, error="outcome unknown and the retry key has "
                                   "expired (24 h); not sent again to avoid a duplicate")
                return None
            attempt = held_attempt(row, now)
        result, delay = _attempt(services, attempt)
        if result is not None and result.delivered:
            _record_sent(services, [(outbound_id, result.request_id)])
        if delay == 0.0:
            continue
        if delay is not None:
            return outbound_id, delay
        if result is None:
            return None
        with services.db.read_scope() as session:
            following = outbox.next_waiting(session, recipient=attempt.recipient, after_id=outbound_id,
                                            now=services.clock())
        if following is None:
            return None
        outbound_id = following


def _wait_behind(services: Services, attempt: Attempt, held: set[int]) -> tuple[int, float] | None:
    """Hand a held row back to wait behind an earlier one of its chat; send it if that one is done already.

    The earlier row's sender looks for the rows behind it once it is done: if it looked before this
    one was handed back, it found nothing, and only this second look sends the row before the sweep.
    """
    with services.db.session_scope() as session:
        if not outbox.give_back(session, outbound_id=attempt.outbound_id, lease_until=attempt.lease_until,
                                now=services.clock()):
            return None
    with services.db.read_scope() as session:
        first = outbox.first_waiting(session, recipients={attempt.recipient}, held=held).get(attempt.recipient)
    return deliver(services, attempt.outbound_id) if first is None or first > attempt.outbound_id else None


def _follow_on(services: Services, attempts: list[Attempt], stalled: set[str]) -> dict[int, float]:
    """Send what other workers handed back to wait behind this batch's rows, now that those are done.

    Not for ``stalled`` chats: their rows wait for a retry, which continues with them. Returns the
    rows to try again, with their delays.
    """
    last: dict[str, int] = {}  # each chat's last row in the batch
    for attempt in attempts:
        if attempt.recipient not in stalled:
            last[attempt.recipient] = max(last.get(attempt.recipient, 0), attempt.outbound_id)
    if not last:
        return {}
    with services.db.read_scope() as session:
        waiting = outbox.first_waiting(session, recipients=set(last))
    later: dict[int, float] = {}
    for recipient, first in waiting.items():
        retry = deliver(services, first) if first > last[recipient] else None
        if retry is not None:
            later[retry[0]] = retry[1]
    return later


def deliver_held(services: Services, attempts: list[Attempt]) -> dict[int, float]:
    """First attempts at rows written already claimed by this worker (no claim needed).

    The calls go out together, one chat's in order (``services.call_pool``), and LINE's acceptances
    are recorded in one transaction after the last answer. A chat's row waits while another
    worker holds an earlier one, which continues with it once sent. Returns the rows to try again
    later, with their delays. A failure (the database, say) is raised after the others were sent and
    recorded; the sweep sends its row once the lease runs out.
    """
    if not attempts:
        return {}
    held = {attempt.outbound_id for attempt in attempts}
    with services.db.read_scope() as session:
        waiting = outbox.first_waiting(session, recipients={attempt.recipient for attempt in attempts}, held=held)
    stalled: set[str] = set()  # chats with a message waiting for its retry: the rest wait behind it

    def send(attempt: Attempt) -> tuple[SendResult | None, tuple[int, float] | None]:
        if attempt.recipient in stalled or waiting.get(attempt.recipient, attempt.outbound_id) < attempt.outbound_id:
            stalled.add(attempt.recipient)
            return None, _wait_behind(services, attempt, held)
        result, delay = _attempt(services, attempt)
        retry = (attempt.outbound_id, delay) if delay is not None else None
        if delay == 0.0:
            retry = deliver(services, attempt.outbound_id)
        if retry is not None:
            stalled.add(attempt.recipient)
        return result, retry

    outcomes = services.call_pool.run_by_key(send, attempts, key=lambda attempt: attempt.recipient)
    accepted: list[tuple[int, str | None]] = []
    later: dict[int, float] = {}
    failure: BaseException | None = None
    for attempt, outcome in zip(attempts, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            failure = failure or outcome
            continue
        result, retry = outcome
        if result is not None and result.delivered:
            accepted.append((attempt.outbound_id, result.request_id))
        if retry is not None:
            later[retry[0]] = retry[1]
    _record_sent(services, accepted)
    if failure is not None:
        raise failure
    return later | _follow_on(services, attempts, stalled)

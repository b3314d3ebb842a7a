"""Crash recovery: the sweep finishes what a killed web or worker process left, exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot import dispatch, tasks
from storage import events, outbox
from storage.base import utcnow
from storage.models import Customer, EventStatus, OutboundMessage, OutboxStatus, WebhookEvent
from tests import factories


def process_event(services, event_id: int) -> list:
    """Run an event's claims as the worker does, keeping the rows it would send instead of sending them."""
    return [attempt for attempts in dispatch.process_claims(services, event_id) for attempt in attempts]


def later(minutes: float):
    return lambda: utcnow() + timedelta(minutes=minutes)


def event_rows(services) -> list[WebhookEvent]:
    with services.db.session_scope() as session:
        return session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()


class BrokenQueue:
    """A queue that is down: the webhook must still store the event and answer 200."""

    def process_event(self, event_id):
        raise ConnectionError("queue is down")

    def process_events_in(self, tx, event_ids):
        return False  # not in the database: queued after the commit, where it fails

    def deliver(self, outbound_id, delay=0.0):
        raise ConnectionError("queue is down")


def test_event_stored_but_never_enqueued_is_processed_by_the_sweep(live_bot, services, emulator, customer_id):
    queue, services.queue = services.queue, BrokenQueue()
    response = live_bot.send(factories.make_text_event(customer_id, "hi"))
    services.queue = queue
    assert response.status_code == 200
    assert [e.status for e in event_rows(services)] == [EventStatus.RECEIVED]
    assert tasks.sweep(services) == (0, 0)  # too fresh: the worker may still be on its way
    services.clock = later(2)
    assert tasks.sweep(services) == (1, 0)
    assert [e.status for e in event_rows(services)] == [EventStatus.DONE]
    assert len(emulator.messages(customer_id)) == 1
    assert tasks.sweep(services) == (0, 0)


def test_event_claimed_by_a_dead_worker_is_taken_over_after_its_lease(live_bot, services, emulator, customer_id):
    queue, services.queue = services.queue, BrokenQueue()
    live_bot.send(factories.make_text_event(customer_id, "hi"))
    services.queue = queue
    [row] = event_rows(services)
    lease_until = utcnow() + timedelta(seconds=services.settings.event_lease_seconds)
    with services.db.session_scope() as session:  # a worker claims it, then is killed
        assert events.claim_batch(session, event_id=row.id, now=utcnow(), lease_until=lease_until)
    assert process_event(services, row.id) == []  # the lease is live: hands off
    services.clock = later(0.5)
    assert tasks.sweep(services) == (0, 0)
    services.clock = later(2)
    assert tasks.sweep(services) == (1, 0)
    [row] = event_rows(services)
    assert row.status == EventStatus.DONE and row.attempts == 2
    assert len(emulator.messages(customer_id)) == 1


def test_handler_crash_rolls_back_everything_and_the_retry_succeeds_once(live_bot, services, emulator, customer_id):
    crashes = []

    def crash_once(ctx, event):
        if not crashes:
            crashes.append(event.id)
            raise RuntimeError("worker died mid-event")
        return None

    services.router.on_message(0, crash_once)
    live_bot.send(factories.make_text_event(customer_id, "hi"))
    [row] = event_rows(services)
    assert row.status == EventStatus.PROCESSING and "worker died" in row.error
    with services.db.session_scope() as session:  # the half-done unit of work left nothing behind
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0
    services.clock = later(2)
    assert tasks.sweep(services) == (1, 0)
    [row] = event_rows(services)
    assert row.status == EventStatus.DONE and row.attempts == 2
    assert len(emulator.messages(customer_id)) == 1


def test_event_failing_every_time_is_marked_failed_not_retried_forever(live_bot, services, emulator, customer_id):
    def always_crash(ctx, event):
        raise RuntimeError("bug")

    services.router.on_message(0, always_crash)
    live_bot.send(factories.make_text_event(customer_id, "hi"))
    for minutes in (2, 4, 6):
        services.clock = later(minutes)
        tasks.sweep(services)
    [row] = event_rows(services)
    assert row.status == EventStatus.FAILED and row.attempts == dispatch.MAX_EVENT_ATTEMPTS
    services.clock = later(10)
    assert tasks.sweep(services) == (0, 0)


def _stored_not_enqueued(live_bot, services, event: dict) -> int:
    """Post an event while the queue is down, so a test can run the worker's steps by hand."""
    queue, services.queue = services.queue, BrokenQueue()
    live_bot.send(event)
    services.queue = queue
    with services.db.session_scope() as session:
        return session.scalars(select(WebhookEvent.id)).one()


def _crash_after_sending(services, kind_filter=None) -> OutboundMessage:
    """Claim the row and send it as a worker would, then 'die' before recording the result."""
    with services.db.session_scope() as session:
        row = session.scalars(select(OutboundMessage)).one()
        row.status, row.next_attempt_at = OutboxStatus.PENDING, utcnow()
    with services.db.session_scope() as session:
        row = outbox.claim_outbound(session, outbound_id=row.id, now=utcnow(), lease=timedelta(seconds=30))
        snapshot = (row.kind, row.recipient, row.reply_token, list(row.messages), row.retry_key)
    kind, recipient, token, messages, key = snapshot
    if kind == "reply":
        assert services.line.reply(reply_token=token, messages=messages).delivered
    else:
        assert services.line.push(to=recipient, messages=messages, retry_key=key).delivered
    return row


def test_push_sent_just_before_a_crash_is_not_sent_twice(live_bot, services, emulator, customer_id):
    event_id = _stored_not_enqueued(live_bot, services, factories.make_text_event(customer_id, "hi"))
    services.clock = utcnow
    assert process_event(services, event_id)  # writes the outbox row, delivery not run
    _crash_after_sending(services)
    services.clock = later(2)
    assert tasks.sweep(services) == (0, 1)
    assert [c["status"] for c in emulator.calls("/v2/bot/message/push")] == [200, 409]
    assert len(emulator.messages(customer_id)) == 1
    with services.db.session_scope() as session:
        assert session.scalars(select(OutboundMessage)).one().status == OutboxStatus.SENT


def test_reply_sent_just_before_a_crash_is_not_repeated_by_push(live_bot, services, emulator, customer_id):
    token = emulator.issue_reply_token(customer_id)
    event_id = _stored_not_enqueued(live_bot, services, factories.make_text_event(customer_id, "hi", reply_token=token))
    assert process_event(services, event_id)
    _crash_after_sending(services)
    services.clock = later(0.6)  # lease over, reply token still fresh by our clock
    assert tasks.sweep(services) == (0, 1)
    assert emulator.calls("/v2/bot/message/push") == []
    assert len(emulator.messages(customer_id)) == 1
    with services.db.session_scope() as session:
        row = session.scalars(select(OutboundMessage)).one()
    # LINE refused a token still within its lifetime: the crashed worker's reply used it
    assert row.status == OutboxStatus.SENT and "earlier attempt" in row.last_error


def test_a_reply_retried_after_its_token_expired_is_given_up_not_pushed(live_bot, services, emulator, customer_id):
    token = emulator.issue_reply_token(customer_id)
    event_id = _stored_not_enqueued(live_bot, services, factories.make_text_event(customer_id, "hi", reply_token=token))
    assert process_event(services, event_id)
    _crash_after_sending(services)
    services.clock = later(2)  # lease and token both over: used or expired, nobody can tell
    assert tasks.sweep(services) == (0, 1)
    assert emulator.calls("/v2/bot/message/push") == []
    assert len(emulator.messages(customer_id)) == 1
    assert _the_row(services).status == OutboxStatus.FAILED and "unknown outcome" in _the_row(services).last_error


def test_answer_held_by_a_worker_that_died_before_sending_is_sent_once_after_its_lease(
        live_bot, services, emulator, customer_id):
    token = emulator.issue_reply_token(customer_id)
    event_id = _stored_not_enqueued(live_bot, services, factories.make_text_event(customer_id, "hi", reply_token=token))
    [held] = process_event(services, event_id)  # committed, held for sending; then the worker dies
    with services.db.session_scope() as session:
        row = session.get(OutboundMessage, held.outbound_id)
        assert row.status == OutboxStatus.SENDING and row.attempts == 1
    services.clock = later(0.2)  # lease still live: nobody else takes it
    assert tasks.sweep(services) == (0, 0)
    services.clock = later(0.6)  # lease over, reply token still fresh by our clock
    assert tasks.sweep(services) == (0, 1)
    assert len(emulator.calls("/v2/bot/message/reply")) == 1 and emulator.calls("/v2/bot/message/push") == []
    assert len(emulator.messages(customer_id)) == 1
    with services.db.session_scope() as session:
        assert session.get(OutboundMessage, held.outbound_id).status == OutboxStatus.SENT


def _held_answer(live_bot, services, emulator, customer_id) -> list:
    """A worker has committed an answer it holds for sending (a reply with a fresh token), and stalls."""
    token = emulator.issue_reply_token(customer_id)
    event_id = _stored_not_enqueued(live_bot, services, factories.make_text_event(customer_id, "hi", reply_token=token))
    services.clock = utcnow
    return process_event(services, event_id)


def _the_row(services) -> OutboundMessage:
    with services.db.session_scope() as session:
        return session.scalars(select(OutboundMessage)).one()


def test_a_worker_that_wakes_after_its_lease_sends_nothing_the_sweep_took_over(
        live_bot, services, emulator, customer_id):
    held = _held_answer(live_bot, services, emulator, customer_id)
    services.clock = later(0.6)  # the worker stalled past its lease; the sweep's worker replies
    assert tasks.sweep(services) == (0, 1)
    tasks.send_held(services, held)  # the first worker wakes up
    assert [c["status"] for c in emulator.calls("/v2/bot/message/reply")] == [200]
    assert emulator.calls("/v2/bot/message/push") == []
    assert len(emulator.messages(customer_id)) == 1
    assert _the_row(services).status == OutboxStatus.SENT


def test_an_answer_that_comes_back_after_the_row_was_taken_over_decides_nothing(
        live_bot, services, emulator, customer_id):
    held = _held_answer(live_bot, services, emulator, customer_id)
    services.clock = later(0.6)
    assert tasks.sweep(services) == (0, 1)  # another worker replied while the first one's call was out
    services.clock = utcnow  # the first worker's call started in time; its token is refused, as it was used
    tasks.send_held(services, held)
    assert [c["status"] for c in emulator.calls("/v2/bot/message/reply")] == [200, 400]
    assert emulator.calls("/v2/bot/message/push") == []  # not "converted to a push" on a stale answer
    assert len(emulator.messages(customer_id)) == 1
    assert _the_row(services).status == OutboxStatus.SENT


def test_an_answer_held_too_close_to_the_end_of_its_lease_is_taken_again_and_sent_once(
        live_bot, services, emulator, customer_id):
    held = _held_answer(live_bot, services, emulator, customer_id)
    lease = services.settings.delivery_lease_seconds
    margin = services.line.longest_call_seconds
    services.clock = later((lease - margin / 2) / 60)  # a call started now could outlast the lease
    tasks.send_held(services, held)
    assert [c["status"] for c in emulator.calls("/v2/bot/message/reply")] == [200]
    row = _the_row(services)
    # taken again under a new lease before the call, so nobody thinks it may have gone out already
    assert row.status == OutboxStatus.SENT and row.attempts == 1 and not row.maybe_delivered
    assert len(emulator.messages(customer_id)) == 1

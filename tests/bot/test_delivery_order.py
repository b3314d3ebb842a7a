"""A chat's messages go out in order and none is left behind when several workers catch up."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from bot import delivery, tasks
from handlers.replies import Text
from storage import outbox
from storage.models import OutboundMessage, OutboxStatus, WebhookEvent
from tests import factories
from tests.bot.test_recovery import process_event

PUSH = "/v2/bot/message/push"


@pytest.fixture
def settings_overrides() -> dict:
    return {"huey_immediate": False, "retry_base_seconds": 1.0}  # a real SQLite queue that nobody consumes


class RecordingQueue:
    """The queue as the consumer would see it: the deliveries asked for, run by the test when due."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[int, float]] = []

    def process_event(self, event_id: int) -> None:
        pass

    def process_events_in(self, tx, event_ids) -> bool:
        return True

    def deliver(self, outbound_id: int, delay: float = 0.0) -> None:
        self.deliveries.append((outbound_id, delay))

    def run_due(self, services, clock) -> None:
        """Run every queued delivery once its delay has passed, as the consumer would."""
        while self.deliveries:
            outbound_id, delay = self.deliveries.pop(0)
            clock.advance(seconds=delay + 0.001)
            tasks.deliver_now(services, [outbound_id])


def _echo(ctx, event):
    return [Text(f"收到：{event.text}")] if event.text else None


def _stored(live_bot, services, user: str, *texts: str) -> list[int]:
    """Store one sender's texts (no reply token: answered by push); return every stored event's id."""
    for text in texts:
        assert live_bot.send(factories.make_text_event(user, text)).status_code == 200
    with services.db.session_scope() as session:
        return list(session.scalars(select(WebhookEvent.id).order_by(WebhookEvent.id)))


def _outbound_ids(services) -> list[int]:
    with services.db.session_scope() as session:
        return list(session.scalars(select(OutboundMessage.id)))


def _statuses(services) -> list[str]:
    with services.db.session_scope() as session:
        return list(session.scalars(select(OutboundMessage.status).order_by(OutboundMessage.id)))


@pytest.fixture
def user() -> str:
    return "U" + os.urandom(16).hex()


def test_a_message_that_waited_behind_a_retry_is_retried_itself_when_it_fails(
        live_bot, services, emulator, clock, user, monkeypatch):
    services.router.on_message(0, _echo)
    ids = _stored(live_bot, services, user, "一", "二")
    queue = services.queue = RecordingQueue()
    emulator.inject_fault(status=500, count=1, path=PUSH)
    tasks.handle_event(services, ids[0])  # both answers held; the first fails, the second waits behind it
    [(first, _)] = queue.deliveries
    assert _statuses(services) == [OutboxStatus.PENDING] * 2 and first == min(_outbound_ids(services))
    next_waiting = outbox.next_waiting

    def flaky_again(session, **kwargs):
        # the retry sent the first answer; LINE fails the call for the one that waited behind it
        monkeypatch.setattr(outbox, "next_waiting", next_waiting)
        emulator.inject_fault(status=500, count=1, path=PUSH)
        return next_waiting(session, **kwargs)

    monkeypatch.setattr(outbox, "next_waiting", flaky_again)
    queue.run_due(services, clock)
    assert emulator.texts(user) == ["收到：一", "收到：二"]
    calls = emulator.calls(PUSH)
    assert [c["status"] for c in calls] == [500, 200, 500, 200]
    assert calls[0]["retryKey"] == calls[1]["retryKey"] != calls[2]["retryKey"] == calls[3]["retryKey"]
    assert _statuses(services) == [OutboxStatus.SENT] * 2


def test_a_message_given_back_just_after_the_earlier_one_was_sent_is_not_left_behind(
        live_bot, services, emulator, clock, user, monkeypatch):
    services.router.on_message(0, _echo)
    queue = services.queue = RecordingQueue()
    [first] = _stored(live_bot, services, user, "一")
    emulator.inject_fault(status=500, count=1, path=PUSH)
    tasks.handle_event(services, first)  # the first answer waits for its retry
    [(retried, delay)] = queue.deliveries
    queue.deliveries.clear()
    second = _stored(live_bot, services, user, "二")[-1]
    held = process_event(services, second)  # the second answer, held by this worker
    clock.advance(seconds=delay + 0.001)
    give_back = outbox.give_back

    def retry_lands_first(session, **kwargs):
        # the worker saw the first answer waiting; before it hands the second back, another worker's
        # retry sends the first and looks for what waited behind it: the second is not handed back yet
        monkeypatch.setattr(outbox, "give_back", give_back)
        assert delivery.deliver(services, retried) is None
        return give_back(session, **kwargs)

    monkeypatch.setattr(outbox, "give_back", retry_lands_first)
    tasks.send_held(services, held)
    queue.run_due(services, clock)
    assert emulator.texts(user) == ["收到：一", "收到：二"]
    assert _statuses(services) == [OutboxStatus.SENT] * 2


def test_a_senders_next_answer_does_not_overtake_one_another_worker_holds(live_bot, services, emulator, clock, user):
    services.router.on_message(0, _echo)
    queue = services.queue = RecordingQueue()
    [first] = _stored(live_bot, services, user, "一")
    held = process_event(services, first)  # committed and held; this worker still has the rest of its claim
    second = _stored(live_bot, services, user, "二")[-1]
    tasks.handle_event(services, second)  # another worker: the sender's first event is done
    tasks.send_held(services, held)
    queue.run_due(services, clock)
    assert emulator.texts(user) == ["收到：一", "收到：二"]
    assert _statuses(services) == [OutboxStatus.SENT] * 2


def test_a_backlog_whose_reply_tokens_ran_out_is_pushed_in_order_once_through_a_failed_push(
        live_bot, services, emulator, clock, user):
    services.router.on_message(0, _echo)
    for text in "一二三":
        live_bot.send(factories.make_text_event(user, text, reply_token=emulator.issue_reply_token(user)))
    ids = _stored(live_bot, services, user)
    queue = services.queue = RecordingQueue()
    held = process_event(services, ids[0])  # answered while the tokens were fresh
    clock.advance(seconds=services.settings.reply_token_ttl_seconds + 1)  # the worker stalled: sent too late
    emulator.inject_fault(status=500, count=1, path=PUSH)
    tasks.send_held(services, held)
    queue.run_due(services, clock)
    assert emulator.texts(user) == [f"收到：{text}" for text in "一二三"]
    assert emulator.calls("/v2/bot/message/reply") == []
    calls = emulator.calls(PUSH)
    assert [c["status"] for c in calls] == [500, 200, 200, 200] and calls[0]["retryKey"] == calls[1]["retryKey"]
    assert _statuses(services) == [OutboxStatus.SENT] * 3

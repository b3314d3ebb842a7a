"""Outbox delivery: replies first, pushes with a stable retry key, retries, LINE's refusals."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest
from linebot.v3.messaging import ApiException
from sqlalchemy import select

from bot import delivery, notifications, tasks
from bot.line_client import Outcome, classify_error
from handlers.replies import Notify, Text
from storage import outbox
from storage.base import utcnow
from storage.models import DeliveryKind, OutboundMessage, OutboxStatus
from tests import factories

MONTHLY = {"message": "You have reached your monthly limit."}


def outbound_rows(services) -> list[OutboundMessage]:
    with services.db.session_scope() as session:
        return session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()


def delivered(emulator, chat_id) -> list[dict]:
    return emulator.messages(chat_id)


def test_push_fails_twice_then_succeeds_once_with_the_same_retry_key(live_bot, services, emulator, customer_id):
    emulator.inject_fault(status=500, count=2, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "沒有回覆權杖的訊息"))
    calls = emulator.calls("/v2/bot/message/push")
    assert [c["status"] for c in calls] == [500, 500, 200]
    assert len({c["retryKey"] for c in calls}) == 1 and calls[0]["retryKey"]
    assert len(delivered(emulator, customer_id)) == 1
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.SENT and row.attempts == 3 and row.retry_key == calls[0]["retryKey"]


def test_rate_limited_push_is_retried(live_bot, services, emulator, customer_id):
    emulator.inject_fault(status=429, count=1, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "hello"))
    assert [c["status"] for c in emulator.calls("/v2/bot/message/push")] == [429, 200]
    assert len(delivered(emulator, customer_id)) == 1


def test_monthly_limit_is_reported_not_retried(live_bot, services, emulator, customer_id, runner):
    emulator.inject_fault(status=429, count=5, body=MONTHLY, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "hello"))
    assert len(emulator.calls("/v2/bot/message/push")) == 1
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.QUOTA_EXCEEDED and "monthly limit" in row.last_error
    result = runner.invoke(args=["queue", "failed"])
    assert f"#{row.id} push" in result.output and "quota_exceeded" in result.output


def test_permanent_refusal_is_marked_failed_with_lines_reason(live_bot, services, emulator, customer_id):
    body = {"message": "The property, 'to', in the request body is invalid (line -, column -)"}
    emulator.inject_fault(status=400, count=1, body=body, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "hello"))
    assert len(emulator.calls("/v2/bot/message/push")) == 1
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.FAILED and "'to'" in row.last_error and "400" in row.last_error


def test_retries_stop_after_the_maximum_attempts(live_bot, services, emulator, customer_id):
    emulator.inject_fault(status=503, count=50, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "hello"))
    attempts = services.settings.delivery_max_attempts
    assert len(emulator.calls("/v2/bot/message/push")) == attempts
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.FAILED and row.attempts == attempts


@pytest.fixture
def settings_overrides():
    return {"line_timeout_seconds": 0.5}


def test_timed_out_push_is_retried_and_lines_409_counts_as_delivered(live_bot, services, emulator, customer_id):
    # LINE handles the slow request after our client gave up: the retry must not show it twice
    services.settings = dataclasses.replace(services.settings, retry_base_seconds=1.0)
    emulator.inject_fault(delay=1.0, count=1, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "hello"))
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.PENDING and row.maybe_delivered and "TimeoutError" in row.last_error
    time.sleep(1.3)  # the emulator finishes the call our client abandoned
    services.clock = lambda: utcnow() + timedelta(minutes=5)
    assert tasks.sweep(services) == (0, 1)
    calls = emulator.calls("/v2/bot/message/push")
    assert [c["status"] for c in calls] == [200, 409]
    assert {c["retryKey"] for c in calls} == {row.retry_key}
    assert len(delivered(emulator, customer_id)) == 1
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.SENT and row.line_request_id == calls[0]["requestId"]


def test_reply_is_used_when_the_token_is_fresh(live_bot, services, emulator, customer_id):
    live_bot.send(factories.make_text_event(customer_id, "hi", reply_token=emulator.issue_reply_token(customer_id)))
    assert len(emulator.calls("/v2/bot/message/reply")) == 1 and emulator.calls("/v2/bot/message/push") == []
    [row] = outbound_rows(services)
    assert row.kind == DeliveryKind.REPLY and row.status == OutboxStatus.SENT


def test_expired_reply_token_falls_back_to_push_without_calling_reply(live_bot, services, emulator, customer_id):
    old = int((time.time() - 120) * 1000)
    token = emulator.issue_reply_token(customer_id)
    live_bot.send(factories.make_text_event(customer_id, "hi", reply_token=token, timestamp_ms=old))
    assert emulator.calls("/v2/bot/message/reply") == []
    assert len(emulator.calls("/v2/bot/message/push")) == 1
    [row] = outbound_rows(services)
    assert row.kind == DeliveryKind.PUSH and row.status == OutboxStatus.SENT


def test_refused_reply_token_on_first_attempt_falls_back_to_push(live_bot, services, emulator, customer_id):
    live_bot.send(factories.make_text_event(customer_id, "hi", reply_token="never-issued-token"))
    assert [c["status"] for c in emulator.calls("/v2/bot/message/reply")] == [400]
    assert [c["status"] for c in emulator.calls("/v2/bot/message/push")] == [200]
    assert len(delivered(emulator, customer_id)) == 1


def test_reply_after_a_server_error_is_retried_with_the_same_token(live_bot, services, emulator, customer_id):
    emulator.inject_fault(status=500, count=1, path="/v2/bot/message/reply")
    live_bot.send(factories.make_text_event(customer_id, "hi", reply_token=emulator.issue_reply_token(customer_id)))
    assert [c["status"] for c in emulator.calls("/v2/bot/message/reply")] == [500, 200]
    assert emulator.calls("/v2/bot/message/push") == []
    assert len(delivered(emulator, customer_id)) == 1


def test_a_reply_whose_answer_was_lost_in_a_broken_tls_read_is_not_sent_again_by_push(services, emulator,
                                                                                       customer_id):
    messages = [{"type": "text", "text": "hi"}]
    token = emulator.issue_reply_token(customer_id)
    now = services.clock()
    with services.db.session_scope() as session:
        queued = outbox.create_outbound(session, kind=DeliveryKind.REPLY, recipient=customer_id, messages=messages,
                                        now=now, reply_token=token, reply_token_expires_at=now + timedelta(seconds=50),
                                        held_until=now + timedelta(seconds=30))
    # LINE took the reply, then the TLS stream broke while its answer was read: the SDK says status 0
    assert services.line.reply(reply_token=token, messages=messages).delivered
    result = classify_error(ApiException(status=0, reason="SSLError\nEOF occurred in violation of protocol"))
    assert result.outcome == Outcome.RETRY and not result.delivered
    with services.db.session_scope() as session:
        row = session.get(OutboundMessage, queued.id)
        assert delivery._record(services, row, delivery.held_attempt(queued, now), result) is not None
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.PENDING and row.maybe_delivered
    assert delivery.deliver(services, row.id) is None  # the retry finds its own token used: no push follows
    assert emulator.calls("/v2/bot/message/push") == [] and len(emulator.messages(customer_id)) == 1
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.SENT and "earlier attempt" in row.last_error


def test_an_answer_of_seven_messages_arrives_in_order_although_its_first_call_failed(
        live_bot, services, emulator, customer_id):
    services.settings = dataclasses.replace(services.settings, retry_base_seconds=1.0)
    parts = [f"第 {n} 段" for n in range(1, 8)]
    services.router.on_message(0, lambda ctx, event: [Text(part) for part in parts])
    emulator.inject_fault(status=500, count=1, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "hi"))  # no reply token: two pushes, of 5 and 2
    assert [c["status"] for c in emulator.calls("/v2/bot/message/push")] == [500]
    assert emulator.texts(customer_id) == []  # the second call waits behind the first one's retry
    services.clock = lambda: utcnow() + timedelta(minutes=2)
    tasks.sweep(services)
    assert emulator.texts(customer_id) == parts
    assert [c["status"] for c in emulator.calls("/v2/bot/message/push")] == [500, 200, 200]
    assert [row.status for row in outbound_rows(services)] == [OutboxStatus.SENT] * 2


def test_notifications_to_one_chat_keep_their_order_through_a_retry(live_bot, services, emulator, customer_id):
    services.settings = dataclasses.replace(services.settings, retry_base_seconds=1.0)
    emulator.inject_fault(status=500, count=1, path="/v2/bot/message/push")
    parts = [f"part {n}" for n in range(1, 8)]
    with services.db.session_scope() as session:
        ids = notifications.queue_notifications(session, now=services.clock(), notifications=[
            Notify(to=customer_id, messages=tuple(Text(part) for part in parts))])
    notifications.send_queued(services, ids)
    assert emulator.texts(customer_id) == []  # the second call waits behind the first one's retry
    services.clock = lambda: utcnow() + timedelta(minutes=2)
    tasks.sweep(services)
    assert emulator.texts(customer_id) == parts


def test_a_push_of_unknown_outcome_is_not_repeated_once_line_has_forgotten_its_retry_key(
        live_bot, services, emulator, customer_id):
    services.settings = dataclasses.replace(services.settings, retry_base_seconds=1.0)
    emulator.inject_fault(status=500, count=1, path="/v2/bot/message/push")
    live_bot.send(factories.make_text_event(customer_id, "hi"))  # a 5xx: LINE may have the message
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.PENDING and row.maybe_delivered
    services.clock = lambda: utcnow() + timedelta(hours=25)  # the worker was down for a day
    tasks.sweep(services)
    assert [c["status"] for c in emulator.calls("/v2/bot/message/push")] == [500]
    [row] = outbound_rows(services)
    assert row.status == OutboxStatus.FAILED and "retry key has expired" in row.last_error

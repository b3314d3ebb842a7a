"""POST /callback: signature, size and schema checks, durable storage, dedup, healthz."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import func, select

from storage.base import utcnow
from storage.models import EventStatus, WebhookEvent
from tests import factories
from tests.conftest import CHANNEL_SECRET


def stored_events(services) -> list[WebhookEvent]:
    with services.db.session_scope() as session:
        return session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()


def test_missing_signature_is_400_and_stores_nothing(live_bot, services, customer_id):
    body = factories.envelope(factories.make_text_event(customer_id, "hi"))
    assert live_bot.post(body, None).status_code == 400
    assert stored_events(services) == []


def test_wrong_signature_is_400_logged_without_body(live_bot, services, customer_id, caplog):
    body = factories.envelope(factories.make_text_event(customer_id, "秘密的內容"))
    with caplog.at_level(logging.WARNING, logger="bot.webhook"):
        response = live_bot.post(body, factories.sign(body, "another-secret"))
    assert response.status_code == 400
    assert stored_events(services) == []
    assert "invalid signature" in caplog.text
    assert "秘密的內容" not in caplog.text


def test_signature_is_checked_on_raw_bytes_with_chinese_and_emoji(live_bot, services, emulator, customer_id):
    token = emulator.issue_reply_token(customer_id)
    event = factories.make_text_event(customer_id, "你好 👋 請問營業時間？", reply_token=token)
    # unusual spacing and escaped unicode: re-serialising this JSON would change the bytes
    body = ('{"destination": "U0",  "events": [' + json.dumps(event, ensure_ascii=True) + "]}").encode()
    assert live_bot.post(body, factories.sign(body, CHANNEL_SECRET)).status_code == 200
    assert [e.payload["message"]["text"] for e in stored_events(services)] == ["你好 👋 請問營業時間？"]


def test_body_over_one_mebibyte_is_413(live_bot, services, customer_id):
    event = factories.make_text_event(customer_id, "x" * (1024 * 1024))
    body = factories.envelope(event)
    assert live_bot.post(body, factories.sign(body, CHANNEL_SECRET)).status_code == 413
    assert stored_events(services) == []


def test_body_that_is_not_json_is_400(live_bot, services):
    body = b"events=1&not=json"
    assert live_bot.post(body, factories.sign(body, CHANNEL_SECRET)).status_code == 400
    assert stored_events(services) == []


def test_json_that_is_not_a_line_payload_is_400(live_bot, services):
    for body in (b'{"hello": "world"}', b"[1, 2]", b'{"events": [{"type": "message"}]}',
                 b'{"events": "none"}'):
        assert live_bot.post(body, factories.sign(body, CHANNEL_SECRET)).status_code == 400, body
    assert stored_events(services) == []


def test_verify_request_with_no_events_is_200(live_bot, services):
    body = b'{"destination":"U0123","events":[]}'
    assert live_bot.post(body, factories.sign(body, CHANNEL_SECRET)).status_code == 200
    assert stored_events(services) == []


def test_event_is_stored_with_its_metadata(live_bot, services, emulator, customer_id):
    token = emulator.issue_reply_token(customer_id)
    event = factories.make_text_event(customer_id, "哈囉", reply_token=token, redelivery=True)
    assert live_bot.send(event).status_code == 200
    [row] = stored_events(services)
    assert row.webhook_event_id == event["webhookEventId"]
    assert (row.event_type, row.source_type, row.source_user_id) == ("message", "user", customer_id)
    assert row.is_redelivery is True and row.mode == "active" and row.reply_token == token
    assert row.payload == event
    # stored on the driver's cursor: the datetimes must read back as the ORM writes them
    assert row.line_timestamp == datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
    assert timedelta(0) <= utcnow() - row.received_at < timedelta(minutes=1)
    assert row.status == EventStatus.DONE


def test_redelivered_event_is_stored_once_and_processed_once(live_bot, services, emulator, customer_id):
    event = factories.make_text_event(customer_id, "哈囉", reply_token=emulator.issue_reply_token(customer_id))
    assert live_bot.send(event).status_code == 200
    again = dict(event, deliveryContext={"isRedelivery": True})
    assert live_bot.send(again).status_code == 200
    assert live_bot.send(event, again).status_code == 200
    with services.db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert len(emulator.calls("/v2/bot/message/reply")) == 1


def test_standby_events_are_stored_but_not_answered(live_bot, services, emulator, customer_id):
    event = factories.make_text_event(customer_id, "hi", reply_token=emulator.issue_reply_token(customer_id),
                                      mode="standby")
    assert live_bot.send(event).status_code == 200
    [row] = stored_events(services)
    assert row.mode == "standby" and row.status == EventStatus.SKIPPED
    assert emulator.calls() == []


def test_healthz_reports_database_and_queue(live_bot, services, emulator, customer_id):
    live_bot.send(factories.make_text_event(customer_id, "hi", reply_token=emulator.issue_reply_token(customer_id)))
    response = requests.get(f"{live_bot.url}/healthz", timeout=5)
    assert response.status_code == 200
    report = response.json()
    assert report["database"] == "ok" and report["queue"] == "ok" and report["status"] == "ok"
    assert report["events"] == {"done": 1}
    assert report["outbox"] == {"sent": 1}


def test_healthz_answers_while_a_worker_holds_the_write_lock(live_bot, services, emulator, customer_id):
    live_bot.send(factories.make_text_event(customer_id, "hi", reply_token=emulator.issue_reply_token(customer_id)))
    with services.db.session_scope() as session:  # a worker's write transaction, still open
        session.execute(select(func.count()).select_from(WebhookEvent))
        started = time.monotonic()
        response = requests.get(f"{live_bot.url}/healthz", timeout=20)
        waited = time.monotonic() - started
    assert response.status_code == 200 and response.json()["events"] == {"done": 1}
    assert waited < 2, f"healthz waited {waited:.1f} s for the write lock"


def test_a_chunked_body_over_one_mebibyte_is_413_too(live_bot, services, customer_id):
    """Without a Content-Length (a proxy that re-chunks), the limit must still answer 413, not 'invalid signature'."""
    event = factories.make_text_event(customer_id, "x" * (1024 * 1024))
    body = factories.envelope(event)
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))  # requests sends a generator chunked
    response = requests.post(f"{live_bot.url}/callback", data=chunks, timeout=30,
                             headers={"X-Line-Signature": factories.sign(body, CHANNEL_SECRET),
                                      "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 413
    assert stored_events(services) == []


def test_a_body_whose_json_holds_a_lone_surrogate_is_400(live_bot, services, customer_id):
    """JSON may escape half an emoji ("\\ud83d"); no database can store it, so it is refused, not a 500."""
    event = factories.make_text_event(customer_id, "PLACEHOLDER")
    body = factories.envelope(event).replace(b"PLACEHOLDER", b"\\ud83d broken")
    assert live_bot.post(body, factories.sign(body, CHANNEL_SECRET)).status_code == 400
    assert stored_events(services) == []

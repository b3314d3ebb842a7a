"""LINE's documented webhook shapes (our own copies): every one is accepted, stored and routed safely."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from storage.models import EventStatus, WebhookEvent
from tests import factories
from tests.conftest import CHANNEL_SECRET

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "line_sample_events.json"


def test_every_documented_event_shape_is_stored_and_processed(live_bot, services, emulator):
    body = SAMPLES.read_bytes()  # sent byte for byte as written, like LINE would
    assert live_bot.post(body, factories.sign(body, CHANNEL_SECRET)).status_code == 200
    expected = json.loads(body)["events"]
    with services.db.session_scope() as session:
        rows = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert [r.webhook_event_id for r in rows] == [e["webhookEventId"] for e in expected]
    by_type = {r.event_type: r for r in rows}
    assert by_type["join"].source_type == "group" and by_type["join"].source_group_id.startswith("C4af")
    assert by_type["beacon"].is_redelivery is True
    standby = [r for r in rows if r.mode == "standby"]
    assert len(standby) == 1 and standby[0].status == EventStatus.SKIPPED
    assert {r.status for r in rows if r.mode == "active"} == {EventStatus.DONE}


def test_old_sample_events_are_answered_by_push_once_each(live_bot, services, emulator):
    body = SAMPLES.read_bytes()
    live_bot.post(body, factories.sign(body, CHANNEL_SECRET))
    # the samples are years old: their reply tokens are long expired, so no reply is even tried
    assert emulator.calls("/v2/bot/message/reply") == []
    pushes = emulator.calls("/v2/bot/message/push")
    answered = ["message"] * 4 + ["follow", "postback"]  # text, image, sticker, location; unknown postback
    assert len(pushes) == len(answered) and all(c["status"] == 200 for c in pushes)
    assert len({c["retryKey"] for c in pushes}) == len(pushes)

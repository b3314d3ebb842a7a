"""Huey on SQLite keeps its queue in the bot's own database: an event and its task commit together."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.tasks import get_huey
from storage import events
from storage.models import WebhookEvent
from tests import factories
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the shared queue file is the SQLite setup")


@pytest.fixture
def settings_overrides():
    return {"huey_immediate": False}  # a real SQLite queue, nobody consuming it


def queued_tasks(app) -> list:
    huey = get_huey(app)
    return [huey.deserialize_task(data) for data in huey.storage.enqueued_items()]


def queued_event_ids(app) -> list[int]:
    return [task.args[0] for task in queued_tasks(app)]


def count_events(services) -> int:
    with services.db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(WebhookEvent))


def test_webhook_queues_each_new_event_in_the_database_file(app, live_bot, services, customer_id):
    huey = get_huey(app)
    assert huey.storage.filename == str(services.db.sqlite_path)
    first = factories.make_text_event(customer_id, "你好")
    assert live_bot.send(first, factories.make_text_event(customer_id, "在嗎")).json()["stored"] == 2
    with services.db.session_scope() as session:
        ids = session.scalars(select(WebhookEvent.id).order_by(WebhookEvent.id)).all()
    assert queued_event_ids(app) == ids
    assert [task.id for task in queued_tasks(app)] == [f"event-{event_id}" for event_id in ids]
    assert live_bot.send(first).json()["stored"] == 0  # a redelivery: nothing new stored, nothing queued
    assert queued_event_ids(app) == ids
    assert not (services.settings.instance_path / "huey.db").exists()


def test_a_task_is_never_queued_without_its_event(app, services, customer_id):
    raw = factories.make_text_event(customer_id, "你好")
    with pytest.raises(RuntimeError), services.db.driver_transaction() as tx:
        new_ids = events.record_events(tx, events=[raw], now=services.clock())
        assert services.queue.process_events_in(tx, new_ids)
        raise RuntimeError("the request dies before its commit")
    assert count_events(services) == 0
    assert queued_event_ids(app) == []

"""The real worker: `huey_consumer worker.huey` as the Procfile runs it, on SQLite or Redis, killed with -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from bot import tasks
from storage.models import EventStatus, OutboundMessage, OutboxStatus, WebhookEvent
from tests import factories
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("KOUBEI_TEST_REDIS_URL")
SHORT_LEASE = 2.0


def _backends():
    yield pytest.param(None, id="huey-sqlite")
    yield pytest.param(REDIS_URL, id="huey-redis", marks=[
        pytest.mark.redis, pytest.mark.skipif(not REDIS_URL, reason="KOUBEI_TEST_REDIS_URL not set")])


@pytest.fixture(params=list(_backends()))
def queue_url(request):
    if request.param:
        redis.Redis.from_url(request.param).flushdb()
    return request.param


@pytest.fixture
def settings_overrides(queue_url):
    return {"huey_immediate": False, "redis_url": queue_url, "event_lease_seconds": SHORT_LEASE,
            "delivery_lease_seconds": SHORT_LEASE, "stale_after_seconds": SHORT_LEASE, "line_timeout_seconds": 0.5}


class Worker:
    """A huey_consumer process with the same settings as the test app."""

    def __init__(self, services, queue_url, model_cache):
        settings = services.settings
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KOUBEI_ENV": "development",
            "LINE_CHANNEL_SECRET": CHANNEL_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_API_BASE": settings.line_api_base, "DATABASE_URL": settings.database_url,
            "KOUBEI_INSTANCE_PATH": str(settings.instance_path), "KOUBEI_RETRY_BASE_SECONDS": "0.2",
            "KOUBEI_LINE_TIMEOUT_SECONDS": "0.5",
            "KOUBEI_EVENT_LEASE_SECONDS": str(SHORT_LEASE), "KOUBEI_DELIVERY_LEASE_SECONDS": str(SHORT_LEASE),
            "KOUBEI_STALE_AFTER_SECONDS": str(SHORT_LEASE), "KOUBEI_MODEL_CACHE": str(model_cache),
        }
        if queue_url:
            self.env["REDIS_URL"] = queue_url
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        consumer = Path(sys.executable).parent / "huey_consumer"
        # the Procfile's worker processes; their own session, so a kill reaches all of them
        self.process = subprocess.Popen([str(consumer), "worker.huey", "-w", "2", "-k", "process", "-d", "0.05"],
                                        cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)

    def kill(self) -> None:
        """kill -9 of the whole worker (the consumer and the processes it forked), as a crash or a dyno restart."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # the consumer stops its workers
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # anything still running in its session
        except ProcessLookupError:
            pass
        self.process.wait(10)


@pytest.fixture
def worker(services, queue_url, tmp_path_factory):
    # one model cache for the whole run: the worker loads the complaint model at start
    process = Worker(services, queue_url, tmp_path_factory.getbasetemp() / "model-cache")
    yield process
    process.stop()


def statuses(services):
    with services.db.session_scope() as session:
        events = session.scalars(select(WebhookEvent.status)).all()
        messages = session.scalars(select(OutboundMessage.status)).all()
    return events, messages


def test_consumer_processes_events_from_the_queue(live_bot, services, emulator, worker, customer_id):
    worker.start()
    token = emulator.issue_reply_token(customer_id)
    assert live_bot.send(factories.make_text_event(customer_id, "你好", reply_token=token)).status_code == 200
    # the worker records the result just after LINE accepts the message: wait for both
    assert wait_until(lambda: statuses(services) == ([EventStatus.DONE], [OutboxStatus.SENT])), statuses(services)
    assert len(emulator.messages(customer_id)) == 1
    # the worker yields the CPU to the web process (KOUBEI_WORKER_NICE, 10 by default)
    assert os.getpriority(os.PRIO_PROCESS, worker.process.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)


def test_kill_9_of_the_worker_loses_nothing_and_sends_nothing_twice(live_bot, services, emulator, worker):
    users = [f"U{i:032x}" for i in range(1, 13)]
    emulator.inject_fault(delay=1.5, count=4, path="/v2/bot/message/push")  # keep pushes in flight
    worker.start()
    for user in users:  # no reply tokens: every answer is a push with a retry key
        live_bot.send(factories.make_text_event(user, "在嗎？"))
    # wait until LINE (the emulator) holds at least one push it has not answered yet
    assert wait_until(lambda: (faults := emulator.faults()) == [] or faults[0]["remaining"] < 4)
    worker.kill()  # mid-flight: some pushes reach LINE, their results are never recorded
    time.sleep(1.6)  # the emulator finishes the abandoned calls
    worker.start()
    for _ in range(3):  # the periodic sweep, sped up: leases of the dead worker run out
        time.sleep(SHORT_LEASE + 0.2)
        tasks.sweep(services)
    assert wait_until(lambda: statuses(services) == ([EventStatus.DONE] * 12, [OutboxStatus.SENT] * 12)), \
        statuses(services)
    for user in users:
        assert len(emulator.messages(user)) == 1, user
    pushes = emulator.calls("/v2/bot/message/push")
    accepted = [c for c in pushes if c["status"] == 200]
    assert len(accepted) == 12 and len({c["retryKey"] for c in accepted}) == 12
    # the pushes cut off by the kill were retried with their key, and LINE answered 409
    assert any(c["status"] == 409 for c in pushes)


@pytest.mark.parametrize("queue_url", [None], ids=["huey-sqlite"], indirect=True)
def test_web_keeps_accepting_while_the_worker_is_down(live_bot, services, emulator, worker, customer_id):
    for i in range(5):
        assert live_bot.send(factories.make_text_event(f"U{i:032x}", "hi")).status_code == 200
    assert statuses(services)[0] == [EventStatus.RECEIVED] * 5
    worker.start()
    # an event is done when its answer is in the outbox; the delivery task sends it just after
    assert wait_until(lambda: statuses(services) == ([EventStatus.DONE] * 5, [OutboxStatus.SENT] * 5)), \
        statuses(services)
    assert len(emulator.calls("/v2/bot/message/push")) == 5

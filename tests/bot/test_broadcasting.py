"""The sender: batches of 500 with stable retry keys, back-off, the monthly limit, failures, resume after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import broadcasting
from handlers import broadcasts as planning
from storage.base import utcnow
from storage.models import BatchStatus, BroadcastBatch, BroadcastStatus
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET
from tests.handlers import broadcast_support as support
from tests.handlers.broadcast_support import FAST, invitations, multicasts, seed, send
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
MONTHLY = {"message": "You have reached your monthly limit."}
survey = support.survey


OPTIONS = {**FAST, "KOUBEI_BROADCAST_CONCURRENCY": "1", "KOUBEI_BROADCAST_MAX_ATTEMPTS": "3"}


@pytest.fixture
def settings_overrides():
    return {"extra": dict(OPTIONS)}


def accepted_recipients(emulator) -> Counter:
    """How often each user was in a multicast LINE accepted (a 409 delivers nothing)."""
    return Counter(user for call in multicasts(emulator) if call["status"] == 200
                   for user in call["requestBody"]["to"])


def batches(services) -> list[BroadcastBatch]:
    with services.db.session_scope() as session:
        return session.scalars(select(BroadcastBatch).order_by(BroadcastBatch.number)).all()


def status(runner, broadcast_id: int = 1) -> str:
    return runner.invoke(args=["broadcast", "status", str(broadcast_id)]).output


def test_batches_of_500_one_language_each_with_their_own_key(runner, services, emulator, survey):
    seed(services, 1001)
    seed(services, 3, language="en")
    result = send(runner, "all")
    assert result.exit_code == 0, result.output
    calls = multicasts(emulator)
    assert [len(c["requestBody"]["to"]) for c in calls] == [3, 500, 500, 1]
    assert len({c["retryKey"] for c in calls}) == 4 and {c["status"] for c in calls} == {200}
    assert calls[0]["requestBody"]["messages"][0]["altText"] == services.catalogue.text(
        "survey.invitation.alt", "en", title="購物後滿意度調查")
    assert set(accepted_recipients(emulator).values()) == {1} and len(accepted_recipients(emulator)) == 1004
    assert invitations(services) == 1004  # the survey module's fatigue rules now see them
    assert "sent 1,004 · failed 0" in status(runner)


def test_rate_limit_backs_off_exponentially_with_the_same_key(runner, services, emulator, survey):
    services.settings.extra["KOUBEI_BROADCAST_RETRY_BASE_SECONDS"] = "0.2"
    seed(services, 10)
    emulator.inject_fault(status=429, count=2, path="/v2/bot/message/multicast")
    send(runner, "all")
    calls = multicasts(emulator)
    assert [c["status"] for c in calls] == [429, 429, 200] and len({c["retryKey"] for c in calls}) == 1
    first_wait, second_wait = calls[1]["at"] - calls[0]["at"], calls[2]["at"] - calls[1]["at"]
    assert 0.2 <= first_wait < second_wait and second_wait >= 0.4


def test_monthly_limit_stops_the_send_and_resume_sends_the_rest(runner, services, emulator, survey):
    seed(services, 1001)
    emulator.set_quota(monthly_limit=600)
    send(runner, "all")
    assert [c["status"] for c in multicasts(emulator)] == [200, 429]  # the third batch is never tried
    report = status(runner)
    assert "Status: stopped" in report and "monthly message limit" in report and "flask broadcast resume 1" in report
    assert [b.status for b in batches(services)] == [BatchStatus.SENT, BatchStatus.PENDING, BatchStatus.PENDING]
    emulator.set_quota(monthly_limit=None)
    assert runner.invoke(args=["broadcast", "resume", "1"]).exit_code == 0
    assert set(accepted_recipients(emulator).values()) == {1} and len(accepted_recipients(emulator)) == 1001
    assert "Status: sent" in status(runner)


def test_failed_batch_is_reported_with_lines_reason_then_resumed_without_duplicates(runner, services, emulator,
                                                                                    survey):
    seed(services, 1001)
    emulator.inject_fault(delay=0.01, count=1, path="/v2/bot/message/multicast")  # the first batch goes through
    emulator.inject_fault(status=500, count=3, path="/v2/bot/message/multicast")  # the second fails 3 times
    send(runner, "all")
    report = status(runner)
    assert "Status: partial" in report
    assert "Failed batch 2 (500 recipients, 3 attempts): HTTP 500: Internal server error" in report
    assert runner.invoke(args=["broadcast", "resume", "1"]).exit_code == 0
    calls = multicasts(emulator)
    second_key = batches(services)[1].retry_key
    assert [c["status"] for c in calls if c["retryKey"] == second_key] == [500, 500, 500, 200]
    assert set(accepted_recipients(emulator).values()) == {1} and len(accepted_recipients(emulator)) == 1001
    assert "Status: sent" in status(runner)


@pytest.mark.parametrize("settings_overrides", [{"extra": dict(OPTIONS), "line_timeout_seconds": 0.5}])
def test_a_call_that_timed_out_but_reached_line_is_not_shown_twice(runner, services, emulator, survey,
                                                                   settings_overrides):
    services.settings.extra["KOUBEI_BROADCAST_RETRY_BASE_SECONDS"] = "1.0"
    seed(services, 20)
    emulator.inject_fault(delay=0.8, count=1, path="/v2/bot/message/multicast")
    send(runner, "all")
    calls = multicasts(emulator)
    assert [c["status"] for c in calls] == [200, 409] and len({c["retryKey"] for c in calls}) == 1
    assert [b.status for b in batches(services)] == [BatchStatus.SENT]
    assert invitations(services) == 20


@pytest.mark.parametrize("settings_overrides", [{"extra": dict(OPTIONS), "line_timeout_seconds": 0.5}])
def test_a_batch_whose_last_try_timed_out_is_not_sent_again_once_line_forgot_its_key(runner, services, emulator,
                                                                                     survey, settings_overrides):
    seed(services, 5)
    emulator.inject_fault(status=429, count=2, path="/v2/bot/message/multicast")
    emulator.inject_fault(delay=0.8, count=1, path="/v2/bot/message/multicast")  # the third try reaches LINE
    send(runner, "all")
    assert "Status: partial" in status(runner)
    assert wait_until(lambda: len(multicasts(emulator)) == 3, timeout=5, interval=0.05)  # LINE finished the call
    services.clock = lambda: utcnow() + timedelta(hours=25)  # the limit was raised a day later
    assert runner.invoke(args=["broadcast", "resume", "1"]).exit_code == 0
    assert len(multicasts(emulator)) == 3  # a fourth call with the expired key could reach all five twice
    [batch] = batches(services)
    assert batch.status == BatchStatus.FAILED and "retry key has expired" in batch.last_error


def _sender_process(services, broadcast_id: int) -> subprocess.Popen:
    """The sender in a process of its own (Huey immediate), as a worker would run it."""
    settings = services.settings
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KOUBEI_ENV": "development",
           "LINE_CHANNEL_SECRET": CHANNEL_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
           "LINE_API_BASE": settings.line_api_base, "DATABASE_URL": settings.database_url,
           "KOUBEI_INSTANCE_PATH": str(settings.instance_path), "KOUBEI_BROADCAST_CONCURRENCY": "1",
           "KOUBEI_BROADCAST_LEASE_SECONDS": "1"}
    code = ("from bot import broadcasting, create_app; from bot.config import Settings; "
            "from bot.services import get_services; "
            f"broadcasting.run(get_services(create_app(Settings.from_env(huey_immediate=True))), {broadcast_id})")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def test_killed_sender_resumes_where_it_stopped_and_nobody_gets_it_twice(app, runner, services, emulator, survey):
    seed(services, 2500)
    result = send(runner, "all", "--at", "+1m")  # recorded, not started: the test starts it by hand
    assert result.exit_code == 0, result.output
    services.clock = lambda: utcnow() + timedelta(minutes=2)
    with services.db.session_scope() as session:
        planning.start(session, broadcast_id=1, now=services.clock(), catalogue=services.catalogue,
                       options=services.settings.extra)
    emulator.inject_fault(delay=0.6, count=100, path="/v2/bot/message/multicast")  # every call takes a while
    sender = _sender_process(services, 1)
    assert wait_until(lambda: emulator.faults()[0]["remaining"] <= 97,  # the third call has arrived
                      timeout=30, interval=0.02)
    sender.send_signal(signal.SIGKILL)  # LINE goes on with the third call; the dead sender never records it
    sender.wait(10)
    emulator.clear_faults()
    time.sleep(1.2)  # the emulator finishes the abandoned call; the dead sender's lease runs out
    assert [b.status for b in batches(services)][:3] == [BatchStatus.SENT, BatchStatus.SENT, BatchStatus.SENDING]
    assert broadcasting.unattended(services) == [1]
    assert broadcasting.run(services, 1) == BroadcastStatus.SENT
    calls = multicasts(emulator)
    assert [c["status"] for c in calls if c["retryKey"] == batches(services)[2].retry_key] == [200, 409]
    assert Counter(c["retryKey"] for c in calls if c["status"] == 200).most_common(1)[0][1] == 1
    assert set(accepted_recipients(emulator).values()) == {1} and len(accepted_recipients(emulator)) == 2500
    assert invitations(services) == 2500


def test_throttle_spaces_calls_and_pauses_them_all_after_a_429():
    moments, clock = [], [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    throttle = broadcasting.Throttle(100.0, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        throttle.wait()
        moments.append(round(clock[0], 3))
    throttle.pause(1.0)
    throttle.wait()
    moments.append(round(clock[0], 3))
    assert moments == [0.0, 0.01, 0.02, 1.02]


@pytest.mark.parametrize("settings_overrides", [{"extra": {**OPTIONS, "KOUBEI_BROADCAST_RATE": "4",
                                                           "KOUBEI_BROADCAST_CONCURRENCY": "3"}}])
def test_configured_rate_holds_with_several_calls_in_flight(runner, services, emulator, survey, settings_overrides):
    seed(services, 2000)
    started = time.monotonic()
    send(runner, "all")
    # four calls at four a second: the last starts 0.75 s after the first, however many may be in flight
    assert len(multicasts(emulator)) == 4 and time.monotonic() - started >= 0.75


def test_two_senders_at_once_send_each_batch_once(app, runner, services, emulator, survey):
    seed(services, 1500)
    send(runner, "all", "--at", "+1m")
    with services.db.session_scope() as session:
        planning.start(session, broadcast_id=1, now=utcnow() + timedelta(minutes=2), catalogue=services.catalogue,
                       options=services.settings.extra)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: broadcasting.run(services, 1), range(2)))
    assert sorted(outcomes, key=str) == [None, BroadcastStatus.SENT]  # the second found the lease taken
    assert [c["status"] for c in multicasts(emulator)] == [200, 200, 200]


def test_a_batch_in_flight_when_the_broadcast_is_cancelled_is_not_left_pending(app, runner, services, emulator,
                                                                               survey):
    seed(services, 10)
    send(runner, "all", "--at", "+1m")
    with services.db.session_scope() as session:
        planning.start(session, broadcast_id=1, now=utcnow() + timedelta(minutes=2), catalogue=services.catalogue,
                       options=services.settings.extra)
    emulator.inject_fault(status=500, delay=0.8, count=1, path="/v2/bot/message/multicast")
    with ThreadPoolExecutor(1) as pool:
        sending = pool.submit(broadcasting.run, services, 1)
        assert wait_until(lambda: [b.status for b in batches(services)] == [BatchStatus.SENDING], timeout=10,
                          interval=0.02)
        assert runner.invoke(args=["broadcast", "cancel", "1"]).exit_code == 0  # LINE is still answering
        sending.result(timeout=30)
    assert [c["status"] for c in multicasts(emulator)] == [500]  # never tried again
    [batch] = batches(services)
    assert batch.status == BatchStatus.CANCELLED and batch.maybe_delivered  # a 500 may still have reached LINE
    report = status(runner)
    assert "Status: cancelled" in report and "pending 0 · sending 0 · cancelled 10" in report

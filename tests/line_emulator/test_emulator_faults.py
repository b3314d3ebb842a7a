"""Fault injection: the next N matching calls fail or stall, then service resumes."""

from __future__ import annotations

import json

import pytest
import urllib3
from linebot.v3.messaging import (
    ApiException,
    MessagingApi,
    PushMessageRequest,
    TextMessage,
)

from line_emulator.testing import EmulatorClient


def push(line_api: MessagingApi, user_id: str, text: str = "hi", **kwargs: object) -> None:
    """Push one text message."""
    line_api.push_message(PushMessageRequest(to=user_id, messages=[TextMessage(text=text)]), **kwargs)


def test_fault_fails_exactly_count_calls(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.inject_fault(status=500, count=2)
    statuses = []
    for text in ("a", "b", "c"):
        try:
            push(line_api, user_id, text)
            statuses.append(200)
        except ApiException as exc:
            statuses.append(exc.status)
    assert statuses == [500, 500, 200]
    assert emulator.texts(user_id) == ["c"]
    assert [c["fault"] for c in emulator.calls()] == [True, True, False]
    assert emulator.faults() == []


def test_429_fault_has_the_rate_limit_body(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.inject_fault(status=429)
    with pytest.raises(ApiException) as caught:
        push(line_api, user_id)
    assert caught.value.status == 429
    assert json.loads(caught.value.body) == {"message": "The API rate limit has been exceeded. Try again later."}
    assert caught.value.headers["X-Line-Request-Id"]


def test_fault_with_a_custom_body(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.inject_fault(status=429, body={"message": "You have reached your monthly limit."})
    with pytest.raises(ApiException) as caught:
        push(line_api, user_id)
    assert "monthly limit" in caught.value.body


def test_fault_path_filter_spares_other_endpoints(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    emulator.inject_fault(status=503, path="/v2/bot/message/push")
    assert line_api.get_profile(user_id).display_name == "王小明"
    with pytest.raises(ApiException) as caught:
        push(line_api, user_id)
    assert caught.value.status == 503


def test_faults_can_be_listed_and_cleared(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.inject_fault(status=500, count=3)
    assert [f["remaining"] for f in emulator.faults()] == [3]
    emulator.clear_faults()
    push(line_api, user_id)
    assert emulator.texts(user_id) == ["hi"]


def test_slow_fault_makes_a_short_timeout_expire(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    emulator.inject_fault(delay=1.0)
    with pytest.raises(urllib3.exceptions.HTTPError):
        push(line_api, user_id, "slow", _request_timeout=0.5)
    push(line_api, user_id, "fast", _request_timeout=0.5)
    assert "fast" in emulator.texts(user_id)


def test_slow_fault_still_serves_the_call(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.inject_fault(delay=0.2)
    push(line_api, user_id, "late", _request_timeout=5)
    assert emulator.texts(user_id) == ["late"]

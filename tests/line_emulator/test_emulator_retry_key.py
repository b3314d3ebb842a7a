"""X-Line-Retry-Key: a request is accepted at most once; failures do not use up the key."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    TextMessage,
)

from line_emulator.testing import EmulatorClient, EmulatorServer


def push(line_api: MessagingApi, user_id: str, key: str, text: str = "一次就好"):
    """Push one text with a retry key; return the SDK's ApiResponse."""
    return line_api.push_message_with_http_info(
        PushMessageRequest(to=user_id, messages=[TextMessage(text=text)]), x_line_retry_key=key
    )


def test_duplicate_retry_key_is_409_with_the_accepted_request_id(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    key = str(uuid.uuid4())
    first = push(line_api, user_id, key)
    with pytest.raises(ApiException) as caught:
        push(line_api, user_id, key)
    assert caught.value.status == 409
    assert caught.value.headers["X-Line-Accepted-Request-Id"] == first.headers["X-Line-Request-Id"]
    body = json.loads(caught.value.body)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"][0]["id"] == first.data.sent_messages[0].id
    assert emulator.texts(user_id) == ["一次就好"]
    assert line_api.get_message_quota_consumption().total_usage == 1


def test_a_failed_request_does_not_use_up_the_key(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    key = str(uuid.uuid4())
    emulator.inject_fault(status=500, count=1)
    with pytest.raises(ApiException) as caught:
        push(line_api, user_id, key)
    assert caught.value.status == 500
    assert emulator.messages(user_id) == []
    assert push(line_api, user_id, key).status_code == 200
    assert emulator.texts(user_id) == ["一次就好"]


def test_a_rejected_request_does_not_use_up_the_key(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    key = str(uuid.uuid4())
    with pytest.raises(ApiException):
        push(line_api, user_id, key, "x" * 5001)
    assert push(line_api, user_id, key).status_code == 200


def test_different_keys_are_independent(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    push(line_api, user_id, str(uuid.uuid4()), "a")
    push(line_api, user_id, str(uuid.uuid4()), "b")
    assert emulator.texts(user_id) == ["a", "b"]


def test_multicast_honours_the_key(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    key = str(uuid.uuid4())
    request = MulticastRequest(to=[user_id], messages=[TextMessage(text="m")])
    line_api.multicast(request, x_line_retry_key=key)
    with pytest.raises(ApiException) as caught:
        line_api.multicast(request, x_line_retry_key=key)
    assert caught.value.status == 409
    assert emulator.texts(user_id) == ["m"]


def test_retry_key_must_be_a_uuid(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    with pytest.raises(ApiException) as caught:
        push(line_api, user_id, "retry-1")
    assert caught.value.status == 400
    assert emulator.messages(user_id) == []


def test_reply_does_not_take_a_retry_key(api_client: ApiClient, emulator: EmulatorClient, user_id: str) -> None:
    request = ReplyMessageRequest(reply_token=emulator.issue_reply_token(user_id), messages=[TextMessage(text="x")])
    with pytest.raises(ApiException) as caught:
        api_client.call_api(
            "/v2/bot/message/reply",
            "POST",
            header_params={"Content-Type": "application/json", "X-Line-Retry-Key": str(uuid.uuid4())},
            body=request,
            auth_settings=["Bearer"],
            response_types_map={"200": "object"},
        )
    assert caught.value.status == 400
    assert "X-Line-Retry-Key" in caught.value.body
    assert emulator.messages(user_id) == []


def test_concurrent_duplicates_deliver_once(server: EmulatorServer, emulator: EmulatorClient, user_id: str) -> None:
    key = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {server.config.access_token}", "X-Line-Retry-Key": key}
    body = {"to": user_id, "messages": [{"type": "text", "text": "once"}]}

    def send(_: int) -> int:
        return requests.post(f"{server.url}/v2/bot/message/push", json=body, headers=headers, timeout=5).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(send, range(8)))
    assert statuses == [200] + [409] * 7
    assert emulator.texts(user_id) == ["once"]

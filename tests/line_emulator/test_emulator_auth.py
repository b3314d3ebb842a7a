"""The emulator rejects calls without the channel's access token, as LINE does."""

from __future__ import annotations

import uuid

import pytest
import requests
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    TextMessage,
)

from line_emulator.endpoint import AUTH_FAILED
from line_emulator.testing import EmulatorClient, EmulatorServer


def test_wrong_token_is_401_and_nothing_is_delivered(
    server: EmulatorServer, emulator: EmulatorClient, user_id: str
) -> None:
    with ApiClient(Configuration(host=server.url, access_token="not-the-token")) as client:
        with pytest.raises(ApiException) as caught:
            MessagingApi(client).push_message(PushMessageRequest(to=user_id, messages=[TextMessage(text="hi")]))
    assert caught.value.status == 401
    assert AUTH_FAILED in caught.value.body
    assert emulator.messages(user_id) == []
    [call] = emulator.calls("/v2/bot/message/push")
    assert call["authPresent"] is True
    assert call["authValid"] is False
    assert call["status"] == 401


def test_missing_authorization_header_is_401(server: EmulatorServer, emulator: EmulatorClient) -> None:
    response = requests.get(f"{server.url}/v2/bot/message/quota", timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": AUTH_FAILED}
    assert emulator.calls()[-1]["authPresent"] is False


def test_every_response_carries_a_request_id(server: EmulatorServer) -> None:
    ok = requests.get(
        f"{server.url}/v2/bot/message/quota",
        timeout=5,
        headers={"Authorization": f"Bearer {server.config.access_token}"},
    )
    refused = requests.get(f"{server.url}/v2/bot/message/quota", timeout=5)
    ids = [ok.headers["X-Line-Request-Id"], refused.headers["X-Line-Request-Id"]]
    assert ok.status_code == 200
    assert all(uuid.UUID(value).version == 4 for value in ids)
    assert ids[0] != ids[1]


def test_unknown_endpoint_is_404_after_auth(server: EmulatorServer) -> None:
    headers = {"Authorization": f"Bearer {server.config.access_token}"}
    response = requests.get(f"{server.url}/v2/bot/info/unknown", headers=headers, timeout=5)
    assert response.status_code == 404
    assert response.json() == {"message": "Not found"}


def test_call_log_never_contains_the_token(server: EmulatorServer, emulator: EmulatorClient) -> None:
    requests.get(
        f"{server.url}/v2/bot/message/quota",
        timeout=5,
        headers={"Authorization": f"Bearer {server.config.access_token}"},
    )
    assert server.config.access_token not in str(emulator.calls())

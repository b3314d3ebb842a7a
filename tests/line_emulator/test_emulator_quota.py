"""Monthly quota: pushes count per recipient, replies are free, the limit answers 429."""

from __future__ import annotations

import json

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    QuotaType,
    TextMessage,
)

from line_emulator import EmulatorConfig
from line_emulator.ids import new_user_id
from line_emulator.testing import EmulatorClient, EmulatorServer

MONTHLY_LIMIT = {"message": "You have reached your monthly limit."}


def push(line_api: MessagingApi, user_id: str) -> None:
    """Push one text message."""
    line_api.push_message(PushMessageRequest(to=user_id, messages=[TextMessage(text="x")]))


def test_quota_is_unlimited_by_default(line_api: MessagingApi) -> None:
    assert line_api.get_message_quota().type == QuotaType.NONE


def test_monthly_limit_answers_429_once_reached(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.set_quota(monthly_limit=2)
    push(line_api, user_id)
    push(line_api, user_id)
    with pytest.raises(ApiException) as caught:
        push(line_api, user_id)
    assert caught.value.status == 429
    assert json.loads(caught.value.body) == MONTHLY_LIMIT
    assert len(emulator.messages(user_id)) == 2
    quota = line_api.get_message_quota()
    assert (quota.type, quota.value) == (QuotaType.LIMITED, 2)
    assert line_api.get_message_quota_consumption().total_usage == 2


def test_multicast_that_would_exceed_the_limit_sends_nothing(line_api: MessagingApi, emulator: EmulatorClient) -> None:
    emulator.set_quota(monthly_limit=10, total_usage=8)
    users = [new_user_id() for _ in range(3)]
    with pytest.raises(ApiException) as caught:
        line_api.multicast(MulticastRequest(to=users, messages=[TextMessage(text="x")]))
    assert caught.value.status == 429
    assert all(emulator.messages(u) == [] for u in users)
    assert emulator.quota() == {"monthlyLimit": 10, "totalUsage": 8}


def test_limit_can_be_lifted(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    emulator.set_quota(monthly_limit=0)
    with pytest.raises(ApiException):
        push(line_api, user_id)
    emulator.set_quota(monthly_limit=None)
    push(line_api, user_id)
    assert emulator.quota() == {"monthlyLimit": None, "totalUsage": 1}


def test_configured_limit_survives_reset() -> None:
    config = EmulatorConfig(channel_secret="s", access_token="t", monthly_limit=1)
    with EmulatorServer(config) as server:
        with ApiClient(Configuration(host=server.url, access_token="t")) as client:
            push(MessagingApi(client), new_user_id())
        assert server.client.quota() == {"monthlyLimit": 1, "totalUsage": 1}
        server.client.reset()
        assert server.client.quota() == {"monthlyLimit": 1, "totalUsage": 0}

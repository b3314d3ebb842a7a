"""Reply tokens: minted by the emulator, single use, short-lived."""

from __future__ import annotations

import json
import time

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)

from line_emulator import EmulatorConfig
from line_emulator.ids import new_user_id
from line_emulator.testing import EmulatorClient, EmulatorServer


def reply(line_api: MessagingApi, token: str, text: str = "你好") -> None:
    """Reply with one text message."""
    line_api.reply_message(ReplyMessageRequest(reply_token=token, messages=[TextMessage(text=text)]))


def test_reply_delivers_to_the_chat_the_token_was_minted_for(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    response = line_api.reply_message(
        ReplyMessageRequest(
            reply_token=emulator.issue_reply_token(user_id),
            messages=[TextMessage(text="歡迎光臨 🎉"), TextMessage(text="second")],
        )
    )
    assert len(response.sent_messages) == 2
    delivered = emulator.messages(user_id)
    assert [m["message"]["text"] for m in delivered] == ["歡迎光臨 🎉", "second"]
    assert {m["via"] for m in delivered} == {"reply"}
    assert delivered[0]["seq"] < delivered[1]["seq"]


def test_reply_token_is_single_use(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    token = emulator.issue_reply_token(user_id)
    reply(line_api, token)
    with pytest.raises(ApiException) as caught:
        reply(line_api, token, "again")
    assert caught.value.status == 400
    assert json.loads(caught.value.body) == {"message": "Invalid reply token"}
    assert emulator.texts(user_id) == ["你好"]


def test_unknown_reply_token_is_rejected(line_api: MessagingApi) -> None:
    with pytest.raises(ApiException) as caught:
        reply(line_api, "0" * 32)
    assert caught.value.status == 400
    assert "Invalid reply token" in caught.value.body


def test_reply_token_expires() -> None:
    config = EmulatorConfig(channel_secret="s", access_token="t", reply_token_ttl=0.2)
    with EmulatorServer(config) as server, ApiClient(Configuration(host=server.url, access_token="t")) as client:
        user_id = new_user_id()
        fresh = server.client.issue_reply_token(user_id)
        stale = server.client.issue_reply_token(user_id)
        reply(MessagingApi(client), fresh)
        time.sleep(0.3)
        with pytest.raises(ApiException) as caught:
            reply(MessagingApi(client), stale)
        assert caught.value.status == 400
        assert server.client.texts(user_id) == ["你好"]


def test_invalid_body_does_not_use_up_the_token(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    token = emulator.issue_reply_token(user_id)
    with pytest.raises(ApiException) as caught:
        reply(line_api, token, "x" * 5001)
    assert caught.value.status == 400
    reply(line_api, token, "ok")
    assert emulator.texts(user_id) == ["ok"]


def test_replies_are_free(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    reply(line_api, emulator.issue_reply_token(user_id))
    assert line_api.get_message_quota_consumption().total_usage == 0

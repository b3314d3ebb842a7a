"""Push, multicast, broadcast and narrowcast deliver (or not) like LINE."""

from __future__ import annotations

import json

import pytest
from linebot.v3.messaging import (
    ApiException,
    BroadcastRequest,
    MessagingApi,
    MulticastRequest,
    NarrowcastRequest,
    PushMessageRequest,
    TextMessage,
)

from line_emulator.ids import new_group_id, new_user_id
from line_emulator.testing import EmulatorClient


def test_push_delivers_and_answers_sent_messages(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    response = line_api.push_message(PushMessageRequest(to=user_id, messages=[TextMessage(text="您的問卷 📝")]))
    [sent] = response.sent_messages
    [delivered] = emulator.messages(user_id)
    assert delivered["via"] == "push"
    assert delivered["id"] == sent.id
    assert sent.quote_token
    assert delivered["message"] == {"type": "text", "text": "您的問卷 📝"}


def test_push_to_a_group_lands_in_the_group_chat(line_api: MessagingApi, emulator: EmulatorClient) -> None:
    group_id = new_group_id()
    line_api.push_message(PushMessageRequest(to=group_id, messages=[TextMessage(text="新案件")]))
    assert emulator.texts(group_id) == ["新案件"]


def test_push_to_a_user_who_blocked_is_accepted_but_not_shown(
    line_api: MessagingApi, emulator: EmulatorClient, user_id: str
) -> None:
    emulator.add_user(user_id, "王小明", following=False)
    response = line_api.push_message_with_http_info(
        PushMessageRequest(to=user_id, messages=[TextMessage(text="hello?")])
    )
    assert response.status_code == 200
    assert emulator.messages(user_id) == []
    assert len(emulator.calls("/v2/bot/message/push")) == 1


def test_multicast_delivers_to_each_user(line_api: MessagingApi, emulator: EmulatorClient) -> None:
    users = [new_user_id() for _ in range(3)]
    line_api.multicast(MulticastRequest(to=users, messages=[TextMessage(text="活動")]))
    assert [emulator.texts(u) for u in users] == [["活動"]] * 3
    assert emulator.messages(users[0])[0]["via"] == "multicast"


def test_multicast_to_more_than_500_users_is_400(line_api: MessagingApi, emulator: EmulatorClient) -> None:
    users = [new_user_id() for _ in range(501)]
    with pytest.raises(ApiException) as caught:
        line_api.multicast(MulticastRequest.construct(to=users, messages=[TextMessage(text="x")]))
    assert caught.value.status == 400
    assert json.loads(caught.value.body)["details"] == [{"message": "Size must be between 1 and 500", "property": "to"}]
    assert emulator.messages(users[0]) == []


def test_multicast_to_500_users_is_accepted(line_api: MessagingApi, emulator: EmulatorClient) -> None:
    users = [new_user_id() for _ in range(500)]
    line_api.multicast(MulticastRequest(to=users, messages=[TextMessage(text="x")]))
    assert emulator.texts(users[-1]) == ["x"]
    assert line_api.get_message_quota_consumption().total_usage == 500


def test_broadcast_reaches_only_followers(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    blocked = new_user_id()
    emulator.add_user(blocked, "封鎖者", following=False)
    line_api.broadcast(BroadcastRequest(messages=[TextMessage(text="週年慶")]))
    assert emulator.texts(user_id) == ["週年慶"]
    assert emulator.messages(blocked) == []
    assert line_api.get_message_quota_consumption().total_usage == 1


def test_narrowcast_is_accepted_with_202_and_a_request_id(line_api: MessagingApi, emulator: EmulatorClient) -> None:
    response = line_api.narrowcast_with_http_info(NarrowcastRequest(messages=[TextMessage(text="x")]))
    assert response.status_code == 202
    assert response.headers["X-Line-Request-Id"]
    [call] = emulator.calls("/v2/bot/message/narrowcast")
    assert call["requestBody"]["messages"] == [{"type": "text", "text": "x"}]

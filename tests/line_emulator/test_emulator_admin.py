"""The admin API tests use: call log, reset, users, polling messages."""

from __future__ import annotations

import requests
from linebot.v3.messaging import MessagingApi, PushMessageRequest, TextMessage

from line_emulator.ids import new_user_id
from line_emulator.testing import EmulatorClient, EmulatorServer


def push(line_api: MessagingApi, user_id: str, text: str) -> None:
    """Push one text message."""
    line_api.push_message(PushMessageRequest(to=user_id, messages=[TextMessage(text=text)]))


def test_calls_record_request_and_response(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    push(line_api, user_id, "紀錄")
    line_api.get_profile(user_id)
    [call] = emulator.calls("/v2/bot/message/push")
    assert call["method"] == "POST"
    assert call["requestBody"] == {
        "to": user_id,
        "messages": [{"type": "text", "text": "紀錄"}],
        "notificationDisabled": False,
    }
    assert call["status"] == 200
    assert call["responseBody"]["sentMessages"][0]["id"]
    assert (call["authPresent"], call["authValid"], call["retryKey"]) == (True, True, None)
    assert [c["path"] for c in emulator.calls()] == ["/v2/bot/message/push", f"/v2/bot/profile/{user_id}"]
    assert emulator.calls()[0]["seq"] < emulator.calls()[1]["seq"]


def test_clear_calls_keeps_users(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    push(line_api, user_id, "x")
    emulator.clear_calls()
    assert emulator.calls() == []
    assert [u["userId"] for u in emulator.users()] == [user_id]


def test_reset_forgets_everything(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    token = emulator.issue_reply_token(user_id)
    push(line_api, user_id, "x")
    emulator.inject_fault(status=500)
    emulator.reset()
    assert (emulator.calls(), emulator.faults(), emulator.users()) == ([], [], [])
    assert emulator.messages(user_id) == []
    assert emulator.quota()["totalUsage"] == 0
    response = requests.post(
        f"{emulator.url}/v2/bot/message/reply",
        timeout=5,
        headers={"Authorization": "Bearer test-access-token"},
        json={"replyToken": token, "messages": [{"type": "text", "text": "x"}]},
    )
    assert response.json() == {"message": "Invalid reply token"}


def test_messages_since_returns_only_newer_ones(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    push(line_api, user_id, "one")
    [first] = emulator.messages(user_id)
    push(line_api, user_id, "two")
    assert [m["message"]["text"] for m in emulator.messages(user_id, since=first["seq"])] == ["two"]


def test_messages_are_per_chat(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    other = new_user_id()
    push(line_api, other, "for other")
    assert emulator.messages(user_id) == []


def test_users_get_an_id_when_none_is_given(server: EmulatorServer) -> None:
    response = requests.post(f"{server.url}/_emulator/users", json={"displayName": "新客人"}, timeout=5)
    user = response.json()
    assert user["userId"].startswith("U") and len(user["userId"]) == 33
    assert user["displayName"] == "新客人"


def test_fault_needs_a_status_or_a_delay(server: EmulatorServer) -> None:
    response = requests.post(f"{server.url}/_emulator/faults", json={"count": 1}, timeout=5)
    assert response.status_code == 400

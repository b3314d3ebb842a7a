"""Message limits: LINE rejects what breaks them, so the emulator does too."""

from __future__ import annotations

import json

import pytest
import requests
from linebot.v3.messaging import (
    ApiException,
    MessageAction,
    MessagingApi,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from line_emulator.testing import EmulatorClient, EmulatorServer


def push_unchecked(line_api: MessagingApi, to: str, messages: list) -> None:
    """Push without the SDK's client-side checks, so the emulator's own rules are hit."""
    line_api.push_message(PushMessageRequest.construct(to=to, messages=messages))


def error_of(caught: pytest.ExceptionInfo[ApiException]) -> dict:
    """Return the JSON error body of a failed SDK call."""
    return json.loads(caught.value.body)


def test_more_than_five_messages_is_400(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    with pytest.raises(ApiException) as caught:
        push_unchecked(line_api, user_id, [TextMessage(text=str(i)) for i in range(6)])
    assert caught.value.status == 400
    assert error_of(caught) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Size must be between 1 and 5", "property": "messages"}],
    }
    assert emulator.messages(user_id) == []


def test_no_messages_is_400(line_api: MessagingApi, user_id: str) -> None:
    with pytest.raises(ApiException) as caught:
        push_unchecked(line_api, user_id, [])
    assert error_of(caught)["details"][0]["property"] == "messages"


def test_five_messages_are_accepted(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    push_unchecked(line_api, user_id, [TextMessage(text=str(i)) for i in range(5)])
    assert emulator.texts(user_id) == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("字" * 5000, True),
        ("字" * 5001, False),
        ("🍎" * 2500, True),
        ("🍎" * 2501, False),
    ],
)
def test_text_limit_counts_utf16_code_units(line_api: MessagingApi, user_id: str, text: str, accepted: bool) -> None:
    request = PushMessageRequest(to=user_id, messages=[TextMessage(text=text)])
    if accepted:
        line_api.push_message(request)
        return
    with pytest.raises(ApiException) as caught:
        line_api.push_message(request)
    assert error_of(caught)["details"] == [
        {"message": "Length must be between 0 and 5000", "property": "messages[0].text"}
    ]


def quick_reply(count: int) -> QuickReply:
    """Build a quick reply with count message buttons."""
    items = [QuickReplyItem(action=MessageAction(label=f"選項{i}", text=f"選項{i}")) for i in range(count)]
    return QuickReply.construct(items=items)


def test_quick_reply_allows_thirteen_items(line_api: MessagingApi, emulator: EmulatorClient, user_id: str) -> None:
    push_unchecked(line_api, user_id, [TextMessage(text="選一個", quickReply=quick_reply(13))])
    [delivered] = emulator.messages(user_id)
    assert len(delivered["message"]["quickReply"]["items"]) == 13


def test_quick_reply_with_fourteen_items_is_400(line_api: MessagingApi, user_id: str) -> None:
    with pytest.raises(ApiException) as caught:
        push_unchecked(line_api, user_id, [TextMessage(text="選一個", quickReply=quick_reply(14))])
    assert error_of(caught)["details"] == [
        {"message": "Size must be between 1 and 13", "property": "messages[0].quickReply.items"}
    ]


def test_quick_reply_label_over_twenty_characters_is_400(line_api: MessagingApi, user_id: str) -> None:
    item = QuickReplyItem(action=MessageAction(label="好" * 21, text="ok"))
    message = TextMessage(text="?", quickReply=QuickReply(items=[item]))
    with pytest.raises(ApiException) as caught:
        line_api.push_message(PushMessageRequest(to=user_id, messages=[message]))
    assert error_of(caught)["details"][0]["property"] == "messages[0].quickReply.items[0].action.label"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "carrier-pigeon", "text": "hi"},
        {"type": "text"},
        {"type": "flex", "altText": "no contents"},
        "just a string",
    ],
)
def test_malformed_messages_are_400(server: EmulatorServer, user_id: str, message: object) -> None:
    response = requests.post(
        f"{server.url}/v2/bot/message/push",
        timeout=5,
        headers={"Authorization": f"Bearer {server.config.access_token}"},
        json={"to": user_id, "messages": [message]},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "The request body has 1 error(s)"


def test_body_that_is_not_json_is_400(server: EmulatorServer) -> None:
    response = requests.post(
        f"{server.url}/v2/bot/message/push",
        data=b"{not json",
        headers={"Authorization": f"Bearer {server.config.access_token}", "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("The request body could not be parsed as JSON")


def test_push_to_a_malformed_id_is_400(line_api: MessagingApi) -> None:
    with pytest.raises(ApiException) as caught:
        line_api.push_message(PushMessageRequest(to="U123", messages=[TextMessage(text="x")]))
    assert caught.value.status == 400
    assert "'to'" in error_of(caught)["message"]

"""Webhooks: LINE's event shapes, signed over the exact bytes, accepted by the SDK's parser."""

from __future__ import annotations

import json

import pytest
import requests
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import (
    FollowEvent,
    GroupSource,
    JoinEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from line_emulator import webhooks
from line_emulator.ids import new_group_id, new_user_id
from line_emulator.testing import EmulatorClient, EmulatorServer, WebhookDeliveryError

SECRET = "builder-test-secret"


def parse(events: list[dict], secret: str = SECRET) -> list[object]:
    """Serialise, sign and parse events the way the bot does."""
    body = webhooks.payload(events, new_user_id())
    return WebhookParser(secret).parse(body.decode("utf-8"), webhooks.sign(body, secret))


def test_text_event_parses_into_the_sdk_models() -> None:
    user_id = new_user_id()
    [event] = parse([webhooks.text_event(user_id, "我要客訴 😡", "a" * 32)])
    assert isinstance(event, MessageEvent)
    assert isinstance(event.message, TextMessageContent)
    assert event.message.text == "我要客訴 😡"
    assert event.message.quote_token
    assert isinstance(event.source, UserSource)
    assert event.source.user_id == user_id
    assert event.reply_token == "a" * 32
    assert event.delivery_context.is_redelivery is False
    assert event.mode.value == "active"
    assert len(event.webhook_event_id) == 26


def test_group_text_event_has_a_group_source_with_the_speaker() -> None:
    user_id, group_id = new_user_id(), new_group_id()
    [event] = parse([webhooks.text_event(user_id, "我來處理", "t", group_id)])
    assert isinstance(event.source, GroupSource)
    assert (event.source.group_id, event.source.user_id) == (group_id, user_id)


def test_postback_follow_unfollow_and_join_events_parse() -> None:
    user_id, group_id = new_user_id(), new_group_id()
    parsed = parse(
        [
            webhooks.postback_event(user_id, "action=rate&score=5", "t1", params={"date": "2026-01-02"}),
            webhooks.follow_event(user_id, "t2", is_unblocked=True),
            webhooks.unfollow_event(user_id),
            webhooks.join_event(group_id, "t3"),
        ]
    )
    postback, follow, unfollow, join = parsed
    assert isinstance(postback, PostbackEvent)
    assert postback.postback.data == "action=rate&score=5"
    assert postback.postback.params == {"date": "2026-01-02"}
    assert isinstance(follow, FollowEvent) and follow.follow.is_unblocked is True
    assert isinstance(unfollow, UnfollowEvent)
    assert "replyToken" not in webhooks.unfollow_event(user_id)
    assert isinstance(join, JoinEvent) and join.source.group_id == group_id


def test_signature_covers_the_exact_bytes() -> None:
    body = webhooks.payload([webhooks.text_event(new_user_id(), "好", "t")], new_user_id())
    signature = webhooks.sign(body, SECRET)
    assert "好".encode() in body
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(body.decode() + " ", signature)
    with pytest.raises(InvalidSignatureError):
        WebhookParser("another-secret").parse(body.decode(), signature)


@pytest.fixture
def wired(emulator: EmulatorClient, receiver):
    """Point the emulator's webhooks at the test receiver (see conftest.Receiver)."""
    emulator.set_webhook_url(receiver.url)
    return receiver


def test_send_text_posts_a_signed_utf8_webhook(wired, emulator: EmulatorClient, server: EmulatorServer) -> None:
    user_id = new_user_id()
    status, event = emulator.send_text(user_id, "你好，請問營業時間？🙏")
    assert status == 200
    [body] = wired.bodies
    assert wired.headers[0]["Content-Type"] == "application/json; charset=utf-8"
    assert wired.headers[0]["X-Line-Signature"] == webhooks.sign(body, server.config.channel_secret)
    envelope = json.loads(body.decode("utf-8"))
    assert envelope["destination"] == server.config.bot_user_id
    assert envelope["events"] == [event]
    [parsed] = wired.events
    assert parsed.message.text == "你好，請問營業時間？🙏"


def test_bot_status_is_passed_back(wired, emulator: EmulatorClient) -> None:
    wired.status = 500
    status, _ = emulator.send_text(new_user_id(), "hi")
    assert status == 500


def test_reply_token_in_the_webhook_works_for_a_reply(wired, emulator: EmulatorClient, line_api: MessagingApi) -> None:
    wired.on_event = lambda event: line_api.reply_message(
        ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text="收到：" + event.message.text)])
    )
    user_id = new_user_id()
    emulator.send_text(user_id, "早安")
    assert emulator.texts(user_id) == ["收到：早安"]


def test_group_message_replies_land_in_the_group(wired, emulator: EmulatorClient, line_api: MessagingApi) -> None:
    wired.on_event = lambda event: line_api.reply_message(
        ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text="ok")])
    )
    user_id, group_id = new_user_id(), new_group_id()
    _, event = emulator.send_text(user_id, "我接這件", group_id=group_id)
    assert event["source"] == {"type": "group", "groupId": group_id, "userId": user_id}
    assert emulator.texts(group_id) == ["ok"]
    assert emulator.texts(user_id) == []


def test_follow_and_unfollow_change_what_the_bot_can_see(
    wired, emulator: EmulatorClient, line_api: MessagingApi
) -> None:
    user_id = new_user_id()
    _, first = emulator.follow(user_id)
    assert first["follow"] == {"isUnblocked": False}
    assert line_api.get_profile(user_id).user_id == user_id
    _, unfollow = emulator.unfollow(user_id)
    assert "replyToken" not in unfollow
    _, again = emulator.follow(user_id)
    assert again["follow"] == {"isUnblocked": True}
    assert [type(e) for e in wired.events] == [FollowEvent, UnfollowEvent, FollowEvent]


def test_postback_with_display_text(wired, emulator: EmulatorClient) -> None:
    user_id = new_user_id()
    status, event = emulator.send_postback(user_id, "survey=1&score=5", display_text="非常滿意")
    assert status == 200
    assert event["postback"] == {"data": "survey=1&score=5"}
    assert wired.events[0].postback.data == "survey=1&score=5"


def test_unreachable_bot_raises(emulator: EmulatorClient) -> None:
    emulator.set_webhook_url("http://127.0.0.1:9/callback")
    with pytest.raises(WebhookDeliveryError, match="webhook delivery failed"):
        emulator.send_text(new_user_id(), "hi")


def test_malformed_user_id_is_refused_with_a_hint(emulator: EmulatorClient) -> None:
    with pytest.raises(requests.HTTPError) as caught:
        emulator.send_text("U123", "hi")
    assert caught.value.response.status_code == 400
    assert "32 lowercase hex" in caught.value.response.json()["message"]

"""Webhook events in LINE's shapes, serialised once and signed over the exact bytes.

The builders are pure apart from fresh IDs and the clock (both overridable), so
the bot's own tests can build events with them and sign them the way LINE does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import requests

from line_emulator.ids import new_message_id, new_quote_token, new_webhook_event_id

Event = dict[str, Any]
USER_AGENT = "LineBotWebhook/2.0"


def source(user_id: str | None, group_id: str | None = None) -> dict[str, str]:
    """Build an event source: a user, or a group (with the speaking member if known)."""
    if group_id is None:
        return {"type": "user", "userId": str(user_id)}
    found = {"type": "group", "groupId": group_id}
    if user_id is not None:
        found["userId"] = user_id
    return found


def base_event(kind: str, src: dict[str, str], reply_token: str | None = None, timestamp: int | None = None) -> Event:
    """Build the fields every webhook event has; reply token only for replyable events."""
    now = int(time.time() * 1000) if timestamp is None else timestamp
    event: Event = {
        "type": kind,
        "timestamp": now,
        "source": src,
        "mode": "active",
        "webhookEventId": new_webhook_event_id(now),
        "deliveryContext": {"isRedelivery": False},
    }
    if reply_token is not None:
        event["replyToken"] = reply_token
    return event


def text_event(
    user_id: str,
    text: str,
    reply_token: str,
    group_id: str | None = None,
    *,
    message_id: str | None = None,
    quote_token: str | None = None,
    timestamp: int | None = None,
) -> Event:
    """Build a message event carrying a text message."""
    event = base_event("message", source(user_id, group_id), reply_token, timestamp)
    event["message"] = {
        "type": "text",
        "id": message_id or new_message_id(),
        "quoteToken": quote_token or new_quote_token(),
        "text": text,
    }
    return event


def postback_event(
    user_id: str,
    data: str,
    reply_token: str,
    group_id: str | None = None,
    params: dict[str, str] | None = None,
    *,
    timestamp: int | None = None,
) -> Event:
    """Build a postback event (a tapped postback action), with optional picker params."""
    event = base_event("postback", source(user_id, group_id), reply_token, timestamp)
    event["postback"] = {"data": data}
    if params:
        event["postback"]["params"] = dict(params)
    return event


def follow_event(user_id: str, reply_token: str, is_unblocked: bool = False, *, timestamp: int | None = None) -> Event:
    """Build a follow event: the user added the bot as a friend or unblocked it."""
    event = base_event("follow", source(user_id), reply_token, timestamp)
    event["follow"] = {"isUnblocked": is_unblocked}
    return event


def unfollow_event(user_id: str, *, timestamp: int | None = None) -> Event:
    """Build an unfollow event: the user blocked the bot (no reply token)."""
    return base_event("unfollow", source(user_id), None, timestamp)


def join_event(group_id: str, reply_token: str, *, timestamp: int | None = None) -> Event:
    """Build a join event: the bot was added to a group."""
    return base_event("join", source(None, group_id), reply_token, timestamp)


def leave_event(group_id: str, *, timestamp: int | None = None) -> Event:
    """Build a leave event: the bot was removed from a group (no reply token)."""
    return base_event("leave", source(None, group_id), None, timestamp)


def payload(events: list[Event], destination: str) -> bytes:
    """Serialise the webhook body once, as UTF-8 JSON; sign and send these exact bytes."""
    body = {"destination": destination, "events": events}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """Compute X-Line-Signature: base64 of HMAC-SHA256 over the body with the channel secret."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def post(url: str, body: bytes, secret: str, timeout: float = 10.0) -> requests.Response:
    """POST signed webhook bytes to the bot like the LINE Platform does."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Line-Signature": sign(body, secret),
        "User-Agent": USER_AGENT,
    }
    return requests.post(url, data=body, headers=headers, timeout=timeout)

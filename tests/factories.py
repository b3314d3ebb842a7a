"""Build LINE webhook events and signed request bodies that read like a conversation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def event_id() -> str:
    """A fresh webhookEventId, a ULID as LINE sends: 48 bits of milliseconds, then 80 random bits."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _base(event_type: str, user_id: str, reply_token: str | None, group_id: str | None,
          timestamp_ms: int | None, redelivery: bool, mode: str) -> dict[str, Any]:
    source = {"type": "group", "groupId": group_id, "userId": user_id} if group_id \
        else {"type": "user", "userId": user_id}
    event: dict[str, Any] = {
        "type": event_type, "mode": mode, "timestamp": timestamp_ms or int(time.time() * 1000),
        "source": source, "webhookEventId": event_id(), "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply_token:
        event["replyToken"] = reply_token
    return event


def make_text_event(user_id: str, text: str, *, reply_token: str | None = None, group_id: str | None = None,
                    timestamp_ms: int | None = None, redelivery: bool = False, mode: str = "active",
                    emojis: list[dict] | None = None) -> dict:
    """A customer (or a group member) writes a text message (``emojis``: LINE emoji placeholders in it)."""
    event = _base("message", user_id, reply_token, group_id, timestamp_ms, redelivery, mode)
    event["message"] = {"id": str(secrets.randbits(60)), "type": "text", "text": text,
                        "quoteToken": secrets.token_urlsafe(16)}
    if emojis:
        event["message"]["emojis"] = emojis
    return event


def make_sticker_event(user_id: str, *, reply_token: str | None = None) -> dict:
    """A customer sends a sticker."""
    event = _base("message", user_id, reply_token, None, None, False, "active")
    event["message"] = {"id": str(secrets.randbits(60)), "type": "sticker", "packageId": "446",
                        "stickerId": "1988", "stickerResourceType": "STATIC", "keywords": ["happy"]}
    return event


def make_postback_event(user_id: str, data: str, *, reply_token: str | None = None,
                        group_id: str | None = None) -> dict:
    """A customer taps a button that sends a postback."""
    event = _base("postback", user_id, reply_token, group_id, None, False, "active")
    event["postback"] = {"data": data}
    return event


def make_follow_event(user_id: str, *, reply_token: str | None = None, unblocked: bool = False) -> dict:
    """A user adds the account as a friend (or unblocks it)."""
    event = _base("follow", user_id, reply_token, None, None, False, "active")
    event["follow"] = {"isUnblocked": unblocked}
    return event


def make_unfollow_event(user_id: str) -> dict:
    """A user blocks the account; there is no reply token."""
    return _base("unfollow", user_id, None, None, None, False, "active")


def envelope(*events: dict, destination: str = "U" + "0" * 32) -> bytes:
    """The webhook body LINE posts, serialised once (the signature covers these bytes)."""
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """X-Line-Signature: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Clock:
    """A clock the test moves by hand; installed as services.clock."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move time forward (minutes=31, days=8...)."""
        self.now += timedelta(**delta)
        return self.now

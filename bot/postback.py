"""The one codec for postback data: ``action=<Action>&key=value``, URL-encoded."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from handlers.actions import Action
from handlers.replies import Postback

MAX_DATA_LENGTH = 300  # LINE's limit on postback.data


class PostbackTooLong(ValueError):
    """LINE refuses postback data over 300 characters."""


def encode(postback: Postback) -> str:
    """Encode a postback for a button's data field."""
    data = urlencode([("action", postback.action.value), *sorted(postback.params.items())])
    if len(data) > MAX_DATA_LENGTH:
        raise PostbackTooLong(f"postback data is {len(data)} characters: {data[:60]}...")
    return data


def decode(data: str | None) -> Postback | None:
    """Decode postback data; None when it names no action we know (an old or foreign button)."""
    if not data:
        return None
    fields = dict(parse_qsl(data, keep_blank_values=True))
    try:
        action = Action(fields.pop("action", ""))
    except ValueError:
        return None
    return Postback(action=action, params=fields)

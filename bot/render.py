"""Turn handlers' message values into LINE message JSON, validated by the SDK's models."""

from __future__ import annotations

import json
from typing import Any

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)

from bot import postback as postback_codec
from handlers.replies import Button, Card, Message, Text, line_length

MAX_MESSAGES_PER_CALL = 5
MAX_QUICK_REPLIES = 13
MAX_TEXT_LENGTH = 5000
MAX_LABEL_LENGTH = 20


class RenderError(ValueError):
    """A message breaks one of LINE's limits; caught before it reaches LINE."""


def _action(button: Button):
    label = button.label[:MAX_LABEL_LENGTH]
    if button.postback is not None:
        return PostbackAction(label=label, data=postback_codec.encode(button.postback),
                              displayText=button.display_text)
    if button.uri is not None:
        return URIAction(label=label, uri=button.uri)
    return MessageAction(label=label, text=button.text or button.label)


def _text(message: Text) -> TextMessage:
    if line_length(message.text) > MAX_TEXT_LENGTH:  # LINE counts UTF-16 code units: an emoji is two
        raise RenderError(f"text of {line_length(message.text)} characters exceeds {MAX_TEXT_LENGTH}")
    if len(message.quick_replies) > MAX_QUICK_REPLIES:
        raise RenderError(f"{len(message.quick_replies)} quick replies exceed {MAX_QUICK_REPLIES}")
    quick = None
    if message.quick_replies:
        quick = QuickReply(items=[QuickReplyItem(action=_action(b)) for b in message.quick_replies])
    return TextMessage(text=message.text, quickReply=quick)


def _card(card: Card) -> FlexMessage:
    body = [FlexText(text=card.title, weight="bold", size="lg", wrap=True)]
    body += [FlexText(text=line, size="sm", wrap=True, color="#555555") for line in card.lines]
    footer = None
    if card.buttons:
        footer = FlexBox(layout="vertical", spacing="sm", contents=[
            FlexButton(action=_action(b), style="primary" if i == 0 else "secondary", height="sm")
            for i, b in enumerate(card.buttons)
        ])
    bubble = FlexBubble(body=FlexBox(layout="vertical", spacing="md", contents=body), footer=footer)
    return FlexMessage(altText=card.alt_text[:400], contents=bubble)


def _render(message: Message) -> dict[str, Any]:
    if isinstance(message, Text):
        return _text(message).to_dict()
    if isinstance(message, Card):
        return _card(message).to_dict()
    raise RenderError(f"cannot render {type(message).__name__}")


class _RenderCache:
    """Rendered JSON by message value: menus and prompts repeat verbatim, and the SDK's models
    cost about a millisecond per message. Keyed by repr (message values are frozen dataclasses,
    but their postback parameters are dicts, so not hashable); each caller gets its own copy."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._json: dict[str, str] = {}

    def render(self, message: Message) -> dict[str, Any]:
        key = repr(message)
        cached = self._json.get(key)
        if cached is None:
            cached = json.dumps(_render(message), ensure_ascii=False)
            if len(self._json) >= self._size:
                self._json.clear()
            self._json[key] = cached
        return json.loads(cached)


_cache = _RenderCache()


def render(message: Message) -> dict[str, Any]:
    """Render one message value to the JSON LINE expects."""
    return _cache.render(message)


def render_all(messages: list[Message] | tuple[Message, ...]) -> list[list[dict[str, Any]]]:
    """Render messages and split them into LINE calls of at most five."""
    rendered = [render(m) for m in messages]
    return [rendered[i:i + MAX_MESSAGES_PER_CALL] for i in range(0, len(rendered), MAX_MESSAGES_PER_CALL)]


def summary(message: dict[str, Any]) -> str:
    """A short human-readable form of a rendered message, for the conversation log."""
    if message.get("type") == "text":
        return message.get("text", "")
    return message.get("altText") or f"[{message.get('type')}]"

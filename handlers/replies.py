"""What handlers return: our own message values, rendered to LINE's format by bot/render.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from handlers.actions import Action


@dataclass(frozen=True)
class Postback:
    """A button's payload: an action and a few string parameters."""

    action: Action
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    """A quick-reply or card button: sends a postback, a text, or opens a link."""

    label: str
    postback: Postback | None = None
    text: str | None = None
    uri: str | None = None
    display_text: str | None = None


@dataclass(frozen=True)
class Text:
    """A text message, optionally with quick-reply buttons under it."""

    text: str
    quick_replies: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Card:
    """A small card (a Flex bubble): a title, lines of text and buttons."""

    alt_text: str
    title: str
    lines: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()


Message = Text | Card


@dataclass(frozen=True)
class Notify:
    """Messages for someone other than the sender (staff, a referrer): sent by push."""

    to: str
    messages: tuple[Message, ...]
    customer_id: int | None = None


Outgoing = Message | Notify


def line_length(text: str) -> int:
    """A text's length as LINE counts it against its limits: UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def clip_to_line_length(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 code units, never half an emoji."""
    if line_length(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text

"""Checks of message objects with LINE's limits, so a bot that breaks them fails locally too."""

from __future__ import annotations

import unicodedata
from typing import Any

MESSAGE_TYPES = {"text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"}
ACTION_TYPES = {
    "message",
    "postback",
    "uri",
    "datetimepicker",
    "camera",
    "cameraRoll",
    "location",
    "richmenuswitch",
    "clipboard",
}
REQUIRED = {
    "text": ("text",),
    "textV2": ("text",),
    "sticker": ("packageId", "stickerId"),
    "image": ("originalContentUrl", "previewImageUrl"),
    "video": ("originalContentUrl", "previewImageUrl"),
    "audio": ("originalContentUrl", "duration"),
    "location": ("title", "address", "latitude", "longitude"),
    "imagemap": ("baseUrl", "altText", "baseSize", "actions"),
    "template": ("altText", "template"),
    "flex": ("altText", "contents"),
}
ALT_TEXT_MAX = {"template": 400, "flex": 1500, "imagemap": 1500}
ACTION_TEXT_MAX = {"text": 300, "data": 300, "displayText": 300, "uri": 1000}

Detail = dict[str, str]


def utf16_length(text: str) -> int:
    """Count like LINE counts message text: in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def grapheme_length(text: str) -> int:
    """Approximate grapheme clusters, which LINE uses for action labels and texts."""
    count = 0
    joined = False
    for char in text:
        if char == "\u200d":
            joined = True
            continue
        if unicodedata.combining(char) or 0xFE00 <= ord(char) <= 0xFE0F or 0x1F3FB <= ord(char) <= 0x1F3FF:
            continue
        if not joined:
            count += 1
        joined = False
    return count


def body_error(details: list[Detail]) -> dict[str, Any]:
    """Build LINE's error body for an invalid request body."""
    return {"message": f"The request body has {len(details)} error(s)", "details": details}


def size_detail(items: object, low: int, high: int, prop: str) -> Detail | None:
    """Check the length of an array property."""
    if not isinstance(items, list):
        return {"message": "must be specified", "property": prop}
    if not low <= len(items) <= high:
        return {"message": f"Size must be between {low} and {high}", "property": prop}
    return None


def validate_messages(messages: object, prop: str = "messages") -> list[Detail]:
    """Return LINE-style error details for a messages array (empty when valid)."""
    problem = size_detail(messages, 1, 5, prop)
    if problem:
        return [problem]
    details: list[Detail] = []
    for index, message in enumerate(messages):  # type: ignore[arg-type]
        details.extend(_validate_message(message, f"{prop}[{index}]"))
    return details


def _validate_message(message: object, prop: str) -> list[Detail]:
    """Check one message object."""
    if not isinstance(message, dict):
        return [{"message": "must be an object", "property": prop}]
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        return [{"message": "must be one of " + ", ".join(sorted(MESSAGE_TYPES)), "property": f"{prop}.type"}]
    details = [
        {"message": "must be specified", "property": f"{prop}.{name}"}
        for name in REQUIRED[kind]
        if message.get(name) in (None, "")
    ]
    text = message.get("text")
    if kind in ("text", "textV2") and isinstance(text, str) and utf16_length(text) > 5000:
        details.append({"message": "Length must be between 0 and 5000", "property": f"{prop}.text"})
    alt = message.get("altText")
    if kind in ALT_TEXT_MAX and isinstance(alt, str) and len(alt) > ALT_TEXT_MAX[kind]:
        details.append({"message": f"Length must be between 0 and {ALT_TEXT_MAX[kind]}", "property": f"{prop}.altText"})
    if "quickReply" in message:
        details.extend(_validate_quick_reply(message["quickReply"], f"{prop}.quickReply"))
    return details


def _validate_quick_reply(quick_reply: object, prop: str) -> list[Detail]:
    """Check a quick reply: 1..13 items, each an action button."""
    items = quick_reply.get("items") if isinstance(quick_reply, dict) else None
    problem = size_detail(items, 1, 13, f"{prop}.items")
    if problem:
        return [problem]
    details: list[Detail] = []
    for index, item in enumerate(items):  # type: ignore[arg-type]
        item_prop = f"{prop}.items[{index}]"
        if not isinstance(item, dict) or item.get("type") != "action":
            details.append({"message": "must be 'action'", "property": f"{item_prop}.type"})
            continue
        details.extend(validate_action(item.get("action"), f"{item_prop}.action", label_max=20))
    return details


def validate_action(action: object, prop: str, label_max: int = 20) -> list[Detail]:
    """Check an action object's type, label and text lengths."""
    if not isinstance(action, dict):
        return [{"message": "must be specified", "property": prop}]
    if action.get("type") not in ACTION_TYPES:
        return [{"message": "must be one of " + ", ".join(sorted(ACTION_TYPES)), "property": f"{prop}.type"}]
    details: list[Detail] = []
    label = action.get("label")
    if isinstance(label, str) and grapheme_length(label) > label_max:
        details.append({"message": f"Length must be between 0 and {label_max}", "property": f"{prop}.label"})
    for name, limit in ACTION_TEXT_MAX.items():
        value = action.get(name)
        if isinstance(value, str) and grapheme_length(value) > limit:
            details.append({"message": f"Length must be between 0 and {limit}", "property": f"{prop}.{name}"})
    required = {"message": "text", "postback": "data", "uri": "uri"}.get(action["type"])
    if required and action.get(required) in (None, ""):
        details.append({"message": "must be specified", "property": f"{prop}.{required}"})
    return details

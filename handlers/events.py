"""An inbound event in the shape handlers need, independent of the LINE SDK."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.replies import Postback

PLACEHOLDER = re.compile(r"\([^()]+\)")


@dataclass(frozen=True)
class InboundEvent:
    """One LINE event, reduced to what the product logic reads."""

    id: int
    type: str
    timestamp: datetime
    user_id: str | None = None
    group_id: str | None = None
    reply_token: str | None = None
    message_type: str | None = None
    text: str | None = None
    postback: Postback | None = None
    postback_data: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def chat_id(self) -> str | None:
        """Where a reply goes: the group for group chats, else the user."""
        return self.group_id or self.user_id

    @property
    def is_group(self) -> bool:
        """Whether the event came from a group or room chat."""
        return self.group_id is not None

    @property
    def words(self) -> str | None:
        """The text without its LINE emoji, which LINE writes as placeholders such as ``(love)``.

        The webhook lists each placeholder's place in ``message.emojis``; a customer's own
        "(still waiting)" is not one of them, so it stays.
        """
        emojis = (self.raw.get("message") or {}).get("emojis") or []
        if not self.text or not emojis:
            return self.text
        return _without_placeholders(self.text, emojis)


def _without_placeholders(text: str, emojis: list[Any]) -> str:
    """Cut out each placeholder, reading ``index``/``length`` as code points or, failing that, UTF-16 units."""
    ranges = sorted((e.get("index"), e.get("length")) for e in emojis
                    if isinstance(e, dict) and isinstance(e.get("index"), int) and isinstance(e.get("length"), int)
                    and e["index"] >= 0 and e["length"] > 0)
    utf16 = text.encode("utf-16-le")

    def by_code_point(start: int, end: int) -> str:
        return text[start:end]

    def by_utf16(start: int, end: int) -> str:
        return utf16[2 * start:2 * end].decode("utf-16-le", "replace")

    for cut, size in ((by_code_point, len(text)), (by_utf16, len(utf16) // 2)):
        if ranges and all(PLACEHOLDER.fullmatch(cut(i, i + n)) for i, n in ranges):
            kept, position = [], 0
            for index, length in ranges:
                kept.append(cut(position, max(position, index)))
                position = max(position, index + length)
            kept.append(cut(position, size))
            return "".join(kept)
    return text  # the places do not fit the text: keep it whole rather than cut words

"""An inbound event in the shape handlers need, independent of the LINE SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.replies import Postback


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

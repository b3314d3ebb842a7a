"""Records the emulator keeps in memory: faults, reply tokens, accepted retry keys."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Fault:
    """A pending injected failure or slowdown for the next matching API calls."""

    id: int
    remaining: int
    status: int | None = None
    body: dict[str, Any] | None = None
    path: str | None = None
    delay: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Describe the fault for the admin API."""
        return asdict(self)


@dataclass
class ReplyToken:
    """A reply token minted for a chat; valid once, until it expires."""

    chat_id: str
    expires_at: float
    used: bool = False


@dataclass
class AcceptedKey:
    """The first accepted request for a retry key, kept to answer duplicates with 409."""

    request_id: str
    accepted_at: float
    sent_messages: list[dict[str, str]] | None


@dataclass
class Memory:
    """Everything that changes while the emulator runs; replaced wholesale on reset."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    reply_tokens: dict[str, ReplyToken] = field(default_factory=dict)
    retry_keys: dict[str, AcceptedKey] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    loading: dict[str, float] = field(default_factory=dict)
    total_usage: int = 0

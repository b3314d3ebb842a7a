"""Configuration of one emulator instance (one emulated LINE channel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from line_emulator.ids import new_user_id


@dataclass
class EmulatorConfig:
    """Channel credentials and platform rules the emulator enforces."""

    channel_secret: str
    access_token: str
    webhook_url: str | None = None
    reply_token_ttl: float = 60.0
    monthly_limit: int | None = None
    bot_user_id: str = field(default_factory=new_user_id)
    webhook_timeout: float = 10.0
    users_file: Path | None = None  # keeps users (profiles, who follows) across restarts

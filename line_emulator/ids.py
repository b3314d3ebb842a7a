"""Generators for identifiers shaped like the ones LINE hands out."""

from __future__ import annotations

import re
import secrets
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHAT_ID = re.compile(r"^[UCR][0-9a-f]{32}$")
_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
_GROUP_ID = re.compile(r"^C[0-9a-f]{32}$")


def new_user_id() -> str:
    """Return a user ID in LINE's format: "U" and 32 lowercase hex digits."""
    return "U" + secrets.token_hex(16)


def new_group_id() -> str:
    """Return a group ID in LINE's format: "C" and 32 lowercase hex digits."""
    return "C" + secrets.token_hex(16)


def new_reply_token() -> str:
    """Return an opaque reply token (LINE's are 32 hex digits)."""
    return secrets.token_hex(16)


def new_request_id() -> str:
    """Return a value for the X-Line-Request-Id response header."""
    return str(uuid.uuid4())


def new_message_id() -> str:
    """Return a numeric message ID like LINE's 18-digit ones."""
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def new_quote_token() -> str:
    """Return an opaque quote token."""
    return secrets.token_urlsafe(48)


def new_webhook_event_id(now_ms: int | None = None) -> str:
    """Return a ULID (26 Crockford base32 characters), as LINE uses for webhookEventId."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_chat_id(value: object) -> bool:
    """Tell whether value looks like a user, group or room ID."""
    return isinstance(value, str) and bool(_CHAT_ID.match(value))


def is_user_id(value: object) -> bool:
    """Tell whether value looks like a LINE user ID."""
    return isinstance(value, str) and bool(_USER_ID.match(value))


def is_group_id(value: object) -> bool:
    """Tell whether value looks like a LINE group ID."""
    return isinstance(value, str) and bool(_GROUP_ID.match(value))


def is_retry_key(value: str) -> bool:
    """Tell whether value is a UUID in hexadecimal (canonical) form, as LINE requires."""
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False

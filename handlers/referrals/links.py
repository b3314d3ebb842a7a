"""LINE URL scheme links: the share picker and a chat with this account, pre-filled with a code."""

from __future__ import annotations

from urllib.parse import quote

LINE_URL_SCHEME = "https://line.me/R"
MAX_URI_LENGTH = 1000  # LINE's limit on a URI action


class LinkTooLong(ValueError):
    """LINE refuses a URI action longer than 1000 characters."""


def _encode(text: str) -> str:
    """Percent-encode UTF-8 bytes, spaces as %20 and '@', '/', '?', '&' too, as LINE's URL scheme expects."""
    return quote(text, safe="")


def basic_id(value: str) -> str:
    """The account's basic ID with its leading '@' (settings may give it either way)."""
    value = value.strip()
    return value if value.startswith("@") else f"@{value}"


def oa_message_url(account_id: str, text: str) -> str:
    """Open a chat with the official account, the text typed in and ready to send (adds the friend first)."""
    return f"{LINE_URL_SCHEME}/oaMessage/{_encode(basic_id(account_id))}/?{_encode(text)}"


def share_url(text: str) -> str:
    """Open LINE's share picker with a ready text; the friend chooses whom to send it to."""
    url = f"{LINE_URL_SCHEME}/share?text={_encode(text)}"
    if len(url) > MAX_URI_LENGTH:
        raise LinkTooLong(f"share link is {len(url)} characters; shorten referral.share_text")
    return url

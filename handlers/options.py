"""Reading the KOUBEI_* tuning values that product modules find in ``ctx.options``."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.errors import KoubeiError

TIMEZONE = "KOUBEI_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Taipei"


class OptionError(KoubeiError, ValueError):
    """A KOUBEI_* setting is not a usable value; the message names it."""


def positive_number(options: Mapping[str, str], name: str, default: float, kind: type = float) -> float:
    """The setting as a number above zero, or the default when it is unset."""
    raw = options.get(name)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise OptionError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise OptionError(f"{name} must be above zero, got {raw!r}")
    return value


def shop_zone(options: Mapping[str, str]) -> ZoneInfo:
    """The shop's time zone (KOUBEI_TIMEZONE, Taiwan by default): every date and time people read or type is in it."""
    name = options.get(TIMEZONE) or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError(f"{TIMEZONE} must be a time zone like Asia/Taipei, got {name!r}") from None

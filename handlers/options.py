"""Reading the KOUBEI_* tuning values that product modules find in ``ctx.options``."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.errors import KoubeiError


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

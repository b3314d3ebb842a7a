"""When to send: ``--at`` times in the shop's time zone, an explicit offset, or relative (+30m, +2h, +1d)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.broadcasts.planning import BroadcastRefused

RELATIVE = re.compile(r"^\+(\d{1,4})([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_when(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """Read a send time; a time without an offset is the shop's local time."""
    value = text.strip()
    relative = RELATIVE.match(value.lower())
    if relative:
        return now + timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        moment = datetime.fromisoformat(value.replace("T", " "))
    except ValueError:
        raise BroadcastRefused(f"--at {text!r}: give a time like '2025-06-01 18:00' ({zone.key}), "
                               "'2025-06-01T18:00+08:00', or +30m / +2h / +1d") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment as the shop reads it."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") + f" ({zone.key})" if moment else "—"

"""When to send: ``--at`` times in the shop's time zone, an explicit offset, or relative (+30m, +2h, +1d)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.broadcasts.planning import BroadcastRefused

RELATIVE = re.compile(r"^\+(\d{1,4})([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
FURTHEST = timedelta(days=366)


def parse_when(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """Read a send time; a time without an offset is the shop's local time."""
    value = text.strip()
    relative = RELATIVE.match(value.lower())
    if relative:
        moment = now + timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
    else:
        try:
            moment = datetime.fromisoformat(value.replace("T", " "))
        except ValueError:
            raise BroadcastRefused(f"--at {text!r}: give a time like '2025-06-01 18:00' ({zone.key}), "
                                   "'2025-06-01T18:00+08:00', or +30m / +2h / +1d") from None
        moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    if moment - now > FURTHEST:  # a typo (9999-…) more likely than a plan, and past datetime's range in UTC
        raise BroadcastRefused(f"--at {text!r} is more than a year away; give a time within the next "
                               f"{FURTHEST.days} days")
    return moment


def local(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment as the shop reads it."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") + f" ({zone.key})" if moment else "—"

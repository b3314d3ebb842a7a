"""Case and staff timings from KOUBEI_* settings, and how their times read in the shop's time zone."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.catalogue import Translator
from handlers.complaint_detection import ComplaintThresholds
from handlers.options import OptionError, positive_number, shop_zone

COMPLAINT_PREFIX = "KOUBEI_"
BUSINESS_HOURS = "KOUBEI_BUSINESS_HOURS"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(?:(?P<days>[a-z,\- ]+?)\s+)?(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class BusinessHours:
    """When the shop answers, in its time zone: opening and closing time on its open weekdays.

    A closing time before the opening time runs past midnight (a late-night shop, 18:00-02:00);
    the period belongs to the day it opens on.
    """

    opens: time
    closes: time
    days: frozenset[int]  # Monday is 0
    zone: ZoneInfo

    @classmethod
    def parse(cls, raw: str, zone: ZoneInfo) -> BusinessHours:
        """Read ``09:00-21:00`` (every day), ``mon-sat 09:00-21:00`` or ``tue,thu-sun 11:00-20:30``."""
        match = _HOURS.match(raw.strip().lower())
        if match is None:
            raise OptionError(f"{BUSINESS_HOURS} must look like 'mon-sat 09:00-21:00' or '09:00-21:00', got {raw!r}")
        try:
            opens, closes = (time.fromisoformat(match[name].zfill(5)) for name in ("opens", "closes"))
        except ValueError:
            raise OptionError(f"{BUSINESS_HOURS} has a time that does not exist: {raw!r}") from None
        if opens == closes:
            raise OptionError(f"{BUSINESS_HOURS} opens and closes at the same time: {raw!r}; "
                              "leave it unset for a shop that answers around the clock")
        return cls(opens=opens, closes=closes, days=_weekdays(match["days"], raw), zone=zone)

    def _periods(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Open periods in order, from the one that opened on ``day``."""
        while True:
            if day.weekday() in self.days:
                start = datetime.combine(day, self.opens, self.zone)
                end_day = day if self.closes > self.opens else day + timedelta(days=1)
                yield start, datetime.combine(end_day, self.closes, self.zone)
            day += timedelta(days=1)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of opening time after ``start``; a closed shop's clock waits for opening."""
        remaining = duration
        # the period that opened yesterday may still be running (past midnight)
        for opened, closes in self._periods(start.astimezone(self.zone).date() - timedelta(days=1)):
            begin = max(opened, start)
            if closes <= begin:
                continue
            if begin + remaining <= closes:
                return begin + remaining
            remaining -= closes - begin
        raise AssertionError("unreachable: _periods never ends")


def _weekdays(spec: str | None, raw: str) -> frozenset[int]:
    if not spec:
        return frozenset(range(7))
    days: set[int] = set()
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        first, _, last = (name.strip() for name in part.partition("-"))
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise OptionError(f"{BUSINESS_HOURS}: {part!r} is not a day or a range of days "
                              f"({', '.join(WEEKDAYS)}), in {raw!r}")
        low = WEEKDAYS.index(first)
        span = (WEEKDAYS.index(last) - low) % 7 if last else 0
        days.update((low + step) % 7 for step in range(span + 1))
    return frozenset(days)


@dataclass(frozen=True)
class CaseOptions:
    """How long staff have to claim and resolve a case, to type a reply, and to use a code."""

    claim_within: timedelta = timedelta(minutes=30)
    resolve_within: timedelta = timedelta(hours=24)
    reply_window: timedelta = timedelta(minutes=30)
    code_valid_for: timedelta = timedelta(hours=72)
    business_hours: BusinessHours | None = None  # None: staff answer around the clock

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> CaseOptions:
        """Read KOUBEI_CASE_{CLAIM_MINUTES,RESOLVE_HOURS,REPLY_MINUTES}, _STAFF_CODE_HOURS, _BUSINESS_HOURS."""
        hours = options.get(BUSINESS_HOURS)
        return cls(claim_within=timedelta(minutes=positive_number(options, "KOUBEI_CASE_CLAIM_MINUTES", 30)),
                   resolve_within=timedelta(hours=positive_number(options, "KOUBEI_CASE_RESOLVE_HOURS", 24)),
                   reply_window=timedelta(minutes=positive_number(options, "KOUBEI_CASE_REPLY_MINUTES", 30)),
                   code_valid_for=timedelta(hours=positive_number(options, "KOUBEI_STAFF_CODE_HOURS", 72)),
                   business_hours=BusinessHours.parse(hours, shop_zone(options)) if hours else None)

    def claim_due(self, now: datetime) -> datetime:
        """When an unclaimed case goes to managers; with business hours, only opening time counts."""
        return self._after(now, self.claim_within)

    def resolve_due(self, now: datetime) -> datetime:
        """When an unresolved case raises an alert; with business hours, only opening time counts."""
        return self._after(now, self.resolve_within)

    def _after(self, now: datetime, duration: timedelta) -> datetime:
        # like a help desk's SLA on a business-hours schedule: nobody is paged about a clock
        # that ran while the shop was closed, and both deadlines fall in opening hours
        if self.business_hours is None:
            return now + duration
        return self.business_hours.add(now, duration)


def complaint_thresholds(options: Mapping[str, str]) -> ComplaintThresholds:
    """Complaint detection tuned by KOUBEI_COMPLAINT_THRESHOLD and the other KOUBEI_COMPLAINT_* weights."""
    tuned = {key[len(COMPLAINT_PREFIX):]: value for key, value in options.items()
             if key.startswith(f"{COMPLAINT_PREFIX}COMPLAINT_")}
    try:
        return ComplaintThresholds.from_mapping(tuned)
    except ValueError as error:  # names the setting, e.g. KOUBEI_COMPLAINT_THRESHOLD
        raise OptionError(f"{COMPLAINT_PREFIX}{error}") from None


def local_time(t: Translator, moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """A deadline as people say it in the shop's time zone: 今天 14:30, 明天 09:00, or 3/6 14:30."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return t("case.time.today", time=clock)
    if local.date() == today + timedelta(days=1):
        return t("case.time.tomorrow", time=clock)
    return t("case.time.other", date=f"{local.month}/{local.day}", time=clock)


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, for staff-facing texts."""
    return max(0, int((end - start).total_seconds() // 60))

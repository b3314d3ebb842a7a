"""Case and staff timings from KOUBEI_* settings, and how times read in Taiwan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.catalogue import Translator
from handlers.complaint_detection import ComplaintThresholds
from handlers.options import positive_number

LOCAL_ZONE = ZoneInfo("Asia/Taipei")
COMPLAINT_PREFIX = "KOUBEI_"


@dataclass(frozen=True)
class CaseOptions:
    """How long staff have to claim and resolve a case, to type a reply, and to use a code."""

    claim_within: timedelta = timedelta(minutes=30)
    resolve_within: timedelta = timedelta(hours=24)
    reply_window: timedelta = timedelta(minutes=30)
    code_valid_for: timedelta = timedelta(hours=72)

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> CaseOptions:
        """Read KOUBEI_CASE_CLAIM_MINUTES, _RESOLVE_HOURS, _REPLY_MINUTES and KOUBEI_STAFF_CODE_HOURS."""
        return cls(claim_within=timedelta(minutes=positive_number(options, "KOUBEI_CASE_CLAIM_MINUTES", 30)),
                   resolve_within=timedelta(hours=positive_number(options, "KOUBEI_CASE_RESOLVE_HOURS", 24)),
                   reply_window=timedelta(minutes=positive_number(options, "KOUBEI_CASE_REPLY_MINUTES", 30)),
                   code_valid_for=timedelta(hours=positive_number(options, "KOUBEI_STAFF_CODE_HOURS", 72)))


def complaint_thresholds(options: Mapping[str, str]) -> ComplaintThresholds:
    """Complaint detection tuned by KOUBEI_COMPLAINT_THRESHOLD and the other KOUBEI_COMPLAINT_* weights."""
    tuned = {key[len(COMPLAINT_PREFIX):]: value for key, value in options.items()
             if key.startswith(f"{COMPLAINT_PREFIX}COMPLAINT_")}
    return ComplaintThresholds.from_mapping(tuned)


def local_time(t: Translator, moment: datetime, now: datetime) -> str:
    """A deadline as people say it: 今天 14:30, 明天 09:00, or 3/6 14:30."""
    local, today = moment.astimezone(LOCAL_ZONE), now.astimezone(LOCAL_ZONE).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return t("case.time.today", time=clock)
    if local.date() == today + timedelta(days=1):
        return t("case.time.tomorrow", time=clock)
    return t("case.time.other", date=f"{local.month}/{local.day}", time=clock)


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, for staff-facing texts."""
    return max(0, int((end - start).total_seconds() // 60))

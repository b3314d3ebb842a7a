"""The segment spec staff type (``tag:VIP,not-surveyed:30d``): parsed, checked, and explained back."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.errors import KoubeiError
from storage.segments import Criteria, NpsGroup, ReferralRole

TAG_PATTERN = re.compile(r"^[^,:|\s][^,:|]{0,63}$")
DURATION_PATTERN = re.compile(r"^(\d{1,4})([dw])$")
UNITS = {"d": 1, "w": 7}
RULES = ("all", "tag", "not-tag", "followed", "not-surveyed", "nps", "referral", "include-open-cases")
EXAMPLE = "tag:VIP,not-surveyed:30d"


class InvalidSegment(KoubeiError):
    """A segment spec that cannot be understood; the message says which part and what would work."""


def normalize_tag(tag: str) -> str:
    """Tags compare without case, width or surrounding spaces (VIP, vip and ＶＩＰ are one tag)."""
    value = unicodedata.normalize("NFKC", tag).strip().casefold()
    if not TAG_PATTERN.match(value):
        raise InvalidSegment(f"tag {tag!r} is not valid: 1 to 64 characters, without , : or |")
    return value


@dataclass(frozen=True)
class Segment:
    """Which followers a broadcast targets; every rule narrows it, and no rule means everyone reachable."""

    tags: tuple[frozenset[str], ...] = ()
    without_tags: frozenset[str] = frozenset()
    followed_from: date | None = None
    followed_until: date | None = None  # inclusive
    not_surveyed_days: int | None = None
    nps: frozenset[NpsGroup] = field(default_factory=frozenset)
    referral: frozenset[ReferralRole] = field(default_factory=frozenset)
    include_open_cases: bool = False

    def __str__(self) -> str:
        parts = [f"tag:{'|'.join(sorted(tags))}" for tags in self.tags]
        if self.without_tags:
            parts.append(f"not-tag:{'|'.join(sorted(self.without_tags))}")
        if self.followed_from or self.followed_until:
            parts.append(f"followed:{self.followed_from or ''}..{self.followed_until or ''}")
        if self.not_surveyed_days is not None:
            parts.append(f"not-surveyed:{self.not_surveyed_days}d")
        if self.nps:
            parts.append(f"nps:{'|'.join(sorted(self.nps))}")
        if self.referral:
            parts.append(f"referral:{'|'.join(sorted(self.referral))}")
        if self.include_open_cases:
            parts.append("include-open-cases")
        return ",".join(parts) or "all"

    def describe(self) -> list[str]:
        """The rules in words, one per line, for the preview."""
        lines = [f"tagged {' or '.join(sorted(tags))}" for tags in self.tags]
        if self.without_tags:
            lines.append(f"not tagged {' or '.join(sorted(self.without_tags))}")
        if self.followed_from or self.followed_until:
            lines.append(f"became a friend {self.followed_from or 'any time'} to {self.followed_until or 'today'}")
        if self.not_surveyed_days is not None:
            lines.append(f"no survey invitation or answer in the last {self.not_surveyed_days} days")
        if self.nps:
            lines.append(f"last NPS answer: {' or '.join(sorted(self.nps))}")
        if self.referral:
            lines.append(f"referral status: {' or '.join(sorted(self.referral))}")
        lines.append("customers with an open case included" if self.include_open_cases
                     else "customers with an open case excluded")
        return lines if len(lines) > 1 else ["every reachable follower", *lines]

    def criteria(self, *, now: datetime, zone: ZoneInfo, nps_questions: tuple[tuple[int, str], ...]) -> Criteria:
        """The segment as query criteria at a moment (not-surveyed counts back from now)."""
        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(), zone)

        return Criteria(
            tags=self.tags, without_tags=self.without_tags,
            followed_from=midnight(self.followed_from) if self.followed_from else None,
            followed_before=midnight(self.followed_until + timedelta(days=1)) if self.followed_until else None,
            not_surveyed_since=now - timedelta(days=self.not_surveyed_days)
            if self.not_surveyed_days is not None else None,
            nps=self.nps, nps_questions=nps_questions if self.nps else (), referral=self.referral)


def _choices(rule: str, value: str, kind: type[NpsGroup] | type[ReferralRole]) -> frozenset:
    names = {member.value: member for member in kind}
    chosen = set()
    for item in value.split("|"):
        word = item.strip().lower()
        word = word[:-1] if word.endswith("s") and word[:-1] in names else word
        if word not in names:
            raise InvalidSegment(f"{rule}:{value} — {item.strip()!r} is not one of {', '.join(names)}")
        chosen.add(names[word])
    return frozenset(chosen)


def _day(rule: str, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidSegment(f"{rule}: {text.strip()!r} is not a date like 2025-01-31") from None


def _followed(value: str) -> tuple[date | None, date | None]:
    start, sep, end = value.partition("..")
    first, last = _day("followed", start), _day("followed", end if sep else start)
    if first is None and last is None:
        raise InvalidSegment("followed needs dates: followed:2025-01-01..2025-03-31 (either end may be left out)")
    if first and last and first > last:
        raise InvalidSegment(f"followed:{value} — the first date is after the last")
    return first, last


def _days(value: str) -> int:
    match = DURATION_PATTERN.match(value.strip().lower())
    if not match:
        raise InvalidSegment(f"not-surveyed:{value} — give days or weeks, like not-surveyed:30d or not-surveyed:4w")
    return int(match.group(1)) * UNITS[match.group(2)]


def _tags(value: str) -> frozenset[str]:
    return frozenset(normalize_tag(tag) for tag in value.split("|"))


def parse_segment(spec: str) -> Segment:
    """Read a spec such as ``tag:VIP|Gold,not-surveyed:30d``; rules joined by commas must all hold."""
    fields: dict = {"tags": (), "without_tags": frozenset(), "nps": frozenset(), "referral": frozenset()}
    spec = unicodedata.normalize("NFKC", spec)  # typed in full width: ，：｜ and ＶＩＰ read as , : | and VIP
    tokens = [token.strip() for token in spec.split(",") if token.strip()]
    if not tokens:
        raise InvalidSegment(f"the segment is empty: use `all` or rules like {EXAMPLE}")
    for token in tokens:
        rule, _, value = token.partition(":")
        rule = rule.strip().lower()
        if rule not in RULES:
            raise InvalidSegment(f"unknown rule {rule!r} in {token!r}; rules: {', '.join(RULES)}")
        if rule in ("all", "include-open-cases") and value:
            raise InvalidSegment(f"{rule} takes no value")
        if rule not in ("all", "include-open-cases") and not value.strip():
            raise InvalidSegment(f"{token!r} needs a value after the colon (e.g. {EXAMPLE})")
        if rule == "tag":
            fields["tags"] += (_tags(value),)
        elif rule == "not-tag":
            fields["without_tags"] |= _tags(value)
        elif rule == "followed":
            fields["followed_from"], fields["followed_until"] = _followed(value)
        elif rule == "not-surveyed":
            fields["not_surveyed_days"] = _days(value)
        elif rule == "nps":
            fields["nps"] |= _choices(rule, value, NpsGroup)
        elif rule == "referral":
            fields["referral"] |= _choices(rule, value, ReferralRole)
        elif rule == "include-open-cases":
            fields["include_open_cases"] = True
    return Segment(**fields)

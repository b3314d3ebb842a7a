"""Campaign files: the shop's rewards and rules in YAML, checked before they reach customers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session

from handlers.options import DEFAULT_TIMEZONE
from storage import referrals
from storage.models.referrals import QualifyReason, ReferralCampaign

DEFAULT_NEW_CUSTOMER_DAYS = 7
NEW_CUSTOMER_DAYS_OPTION = "KOUBEI_REFERRAL_NEW_CUSTOMER_DAYS"
MAX_TITLE_LENGTH = 30

_CAMPAIGN_KEYS = {"slug", "name", "starts", "ends", "new_customer_days", "qualify_on", "referee_reward",
                  "referrer_reward", "tiers"}
_REQUIRED_KEYS = ("slug", "name", "starts", "referee_reward", "referrer_reward")
_REWARD_KEYS = {"title", "description", "value", "valid_days", "expires", "vip"}

T = TypeVar("T")


class CampaignError(ValueError):
    """The campaign file is malformed; lists every problem found, each naming its key."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(problems))


class _NotADate(str):
    """A value written like a date that names no real day (2026-02-30): kept as its text, with the reason."""

    reason: str


class _CampaignLoader(yaml.SafeLoader):
    """Safe YAML, except that an impossible date reaches the checks, which name its key."""


def _timestamp(loader: _CampaignLoader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:  # PyYAML raises a bare ValueError ("day is out of range for month")
        value = _NotADate(node.value)
        value.reason = str(exc)
        return value


_CampaignLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


@dataclass(frozen=True)
class RewardSpec:
    """One reward as the campaign describes it."""

    title: str
    description: str | None = None
    value: int | None = None
    valid_days: int | None = None
    expires: str | None = None  # ISO date, the last day the coupon can be used
    vip: bool = False

    def expires_at(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        """When a coupon issued at this moment stops being usable: at the end of its last day in ``zone``."""
        if self.expires:
            return _day_start(date.fromisoformat(self.expires) + timedelta(days=1), zone)
        if self.valid_days:
            # usable through the whole last day, as a paper coupon would be
            return _day_start(issued_at.astimezone(zone).date() + timedelta(days=self.valid_days + 1), zone)
        return None


@dataclass(frozen=True)
class TierSpec:
    """A reward for reaching a number of qualified referrals."""

    referrals: int
    reward: RewardSpec


@dataclass(frozen=True)
class CampaignSpec:
    """A whole campaign: when it runs, who counts as new, what qualifies, and every reward.

    ``timezone`` is the shop's time zone when the file was loaded: its dates are days there, and so
    are its coupons' last days.
    """

    slug: str
    name: str
    starts_at: datetime
    ends_at: datetime | None
    referee_reward: RewardSpec
    referrer_reward: RewardSpec
    tiers: tuple[TierSpec, ...] = ()
    new_customer_days: int | None = None
    qualify_on: tuple[str, ...] = (QualifyReason.PURCHASE,)
    timezone: str = DEFAULT_TIMEZONE

    @property
    def zone(self) -> ZoneInfo:
        """The time zone the campaign's days are counted in."""
        return ZoneInfo(self.timezone)

    def definition(self) -> dict[str, Any]:
        """The JSON stored with the campaign row."""
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        data["ends_at"] = self.ends_at.isoformat() if self.ends_at else None
        return data

    @classmethod
    def from_definition(cls, data: Mapping[str, Any]) -> CampaignSpec:
        """Rebuild the spec stored with a campaign row."""
        return cls(
            slug=data["slug"], name=data["name"], starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]) if data["ends_at"] else None,
            referee_reward=RewardSpec(**data["referee_reward"]), referrer_reward=RewardSpec(**data["referrer_reward"]),
            tiers=tuple(TierSpec(t["referrals"], RewardSpec(**t["reward"])) for t in data["tiers"]),
            new_customer_days=data["new_customer_days"], qualify_on=tuple(data["qualify_on"]),
            timezone=data.get("timezone", DEFAULT_TIMEZONE),  # campaigns stored before it was recorded: Taiwan
        )


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _check(problems: list[str], check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one check, noting its problems instead of stopping, so one run lists every mistake in the file."""
    try:
        return check(*args, **kwargs)
    except CampaignError as exc:
        problems.extend(exc.problems)
        return None


def _not_a_date(value: _NotADate, where: str) -> CampaignError:
    return CampaignError(f"{where}: {value} is not a real date ({value.reason})")


def _moment(value: object, where: str, zone: ZoneInfo, *, end: bool = False) -> datetime:
    """A date means the start of that day in the shop's zone (the day after, for an end date: ends are inclusive)."""
    if isinstance(value, _NotADate):
        raise _not_a_date(value, where)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):
        return _day_start(value + timedelta(days=1) if end else value, zone)
    raise CampaignError(f"{where}: expected a date like 2026-03-01, got {value!r}")


def _positive_int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CampaignError(f"{where}: expected a positive whole number, got {value!r}")
    return value


def _title(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CampaignError(f"{where}: every reward needs a title customers will read")
    if len(value.strip()) > MAX_TITLE_LENGTH:
        raise CampaignError(f"{where}: at most {MAX_TITLE_LENGTH} characters (it goes into share links)")
    return value.strip()


def _last_day(value: object, where: str) -> str:
    if isinstance(value, _NotADate):
        raise _not_a_date(value, where)
    if not isinstance(value, date):
        raise CampaignError(f"{where}: expected a date like 2026-12-31, got {value!r}")
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _reward(data: object, where: str) -> RewardSpec:
    if not isinstance(data, Mapping):
        raise CampaignError(f"{where}: expected a table with at least a title")
    problems: list[str] = []
    unknown = set(data) - _REWARD_KEYS
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    title = _check(problems, _title, data.get("title"), f"{where}.title")
    expires = data.get("expires")
    expires = _check(problems, _last_day, expires, f"{where}.expires") if expires is not None else None
    value = data.get("value")
    value = _check(problems, _positive_int, value, f"{where}.value") if value is not None else None
    valid_days = _check(problems, _positive_int, data["valid_days"], f"{where}.valid_days") \
        if "valid_days" in data else None
    if problems:
        raise CampaignError(*problems)
    return RewardSpec(title=title, description=(data.get("description") or None), value=value,
                      valid_days=valid_days, expires=expires, vip=bool(data.get("vip", False)))


def _tier(item: object, where: str) -> TierSpec:
    if not isinstance(item, Mapping) or "referrals" not in item:
        raise CampaignError(f"{where}: each tier needs 'referrals' (how many qualified friends)")
    problems: list[str] = []
    referrals_needed = _check(problems, _positive_int, item["referrals"], f"{where}.referrals")
    reward = _check(problems, _reward, {k: v for k, v in item.items() if k != "referrals"}, where)
    if problems:
        raise CampaignError(*problems)
    return TierSpec(referrals_needed, reward)


def _tiers(data: object) -> tuple[TierSpec, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise CampaignError("tiers: expected a list of tiers, each with 'referrals' and a reward")
    problems: list[str] = []
    tiers = [_check(problems, _tier, item, f"tiers[{index}]") for index, item in enumerate(data)]
    counts = [tier.referrals for tier in tiers if tier]
    if len(set(counts)) != len(counts):
        problems.append("tiers: two tiers have the same number of referrals")
    if problems:
        raise CampaignError(*problems)
    return tuple(sorted(tiers, key=lambda tier: tier.referrals))


def _qualify_on(data: object) -> tuple[str, ...]:
    values = data if data is not None else [QualifyReason.PURCHASE.value]
    known = {reason.value for reason in QualifyReason}
    if not isinstance(values, list) or not values or not set(values) <= known:
        raise CampaignError(f"qualify_on: expected a list drawn from {', '.join(sorted(known))}")
    return tuple(dict.fromkeys([QualifyReason.PURCHASE.value, *values]))


def _period(data: Mapping[str, Any], zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    problems: list[str] = []
    starts = _check(problems, _moment, data["starts"], "starts", zone) if "starts" in data else None
    ends = _check(problems, _moment, data["ends"], "ends", zone, end=True) if data.get("ends") is not None else None
    if starts and ends and ends <= starts:
        problems.append("ends: the campaign ends before it starts")
    if problems:
        raise CampaignError(*problems)
    return starts, ends


def parse_campaign(data: object, zone: ZoneInfo) -> CampaignSpec:
    """Check a campaign read from YAML and turn it into a spec; its dates are days in ``zone``."""
    if not isinstance(data, Mapping):
        raise CampaignError("a campaign file is a YAML table (slug, name, starts, rewards...)")
    unknown = set(data) - _CAMPAIGN_KEYS
    problems = [f"unknown key(s) {', '.join(sorted(unknown))}"] if unknown else []
    problems += [f"{key}: missing" for key in _REQUIRED_KEYS if key not in data]
    slug = str(data.get("slug", ""))
    if "slug" in data and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", slug):
        problems.append("slug: lower-case letters, digits and dashes, e.g. spring-2026")
    period = _check(problems, _period, data, zone)
    rewards = {key: _check(problems, _reward, data[key], key) for key in ("referee_reward", "referrer_reward")
               if key in data}
    tiers = _check(problems, _tiers, data.get("tiers"))
    days = data.get("new_customer_days")
    days = _check(problems, _positive_int, days, "new_customer_days") if days is not None else None
    qualify_on = _check(problems, _qualify_on, data.get("qualify_on"))
    if problems:
        raise CampaignError(*problems)
    return CampaignSpec(slug=slug, name=str(data["name"]), starts_at=period[0], ends_at=period[1],
                        referee_reward=rewards["referee_reward"], referrer_reward=rewards["referrer_reward"],
                        tiers=tiers, new_customer_days=days, qualify_on=qualify_on, timezone=zone.key)


def read_campaign_file(path: Path, zone: ZoneInfo) -> CampaignSpec:
    """Read and check a campaign file whose dates are days in ``zone``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CampaignError(f"{path}: the file is not UTF-8 text ({exc.reason})") from None
    try:
        data = yaml.load(text, Loader=_CampaignLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        raise CampaignError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_campaign(data, zone)
    except CampaignError as exc:
        raise CampaignError(*(f"{path}: {problem}" for problem in exc.problems)) from None


def activate(session: Session, *, spec: CampaignSpec, now: datetime) -> ReferralCampaign:
    """Store a campaign and make it the active one (any other campaign stops)."""
    return referrals.save_campaign(session, slug=spec.slug, name=spec.name, definition=spec.definition(),
                                   starts_at=spec.starts_at, ends_at=spec.ends_at, now=now)


def spec_of(campaign: ReferralCampaign) -> CampaignSpec:
    """The spec a campaign row was loaded from."""
    return CampaignSpec.from_definition(campaign.definition)


def new_customer_window(spec: CampaignSpec, options: Mapping[str, str]) -> timedelta:
    """How long after first following a customer may still use a friend's code: campaign, then env, then 7 days."""
    days = spec.new_customer_days or int(options.get(NEW_CUSTOMER_DAYS_OPTION) or DEFAULT_NEW_CUSTOMER_DAYS)
    return timedelta(days=days)


def local_date(moment: datetime, zone: ZoneInfo) -> str:
    """A date as customers in Taiwan write it, in the shop's time zone."""
    return moment.astimezone(zone).strftime("%Y/%m/%d")


def last_day(expires_at: datetime, zone: ZoneInfo) -> str:
    """The last day a coupon can be used, in the shop's time zone."""
    return local_date(expires_at - timedelta(microseconds=1), zone)


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A time of day in the shop's time zone."""
    return moment.astimezone(zone).strftime("%H:%M")

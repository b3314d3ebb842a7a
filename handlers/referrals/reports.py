"""The referral report (funnel, rewards, leaderboard, refusals) and the CSV export, for the shop owner."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.referrals.codes import format_coupon
from handlers.spreadsheets import SpreadsheetWriter
from storage import referral_reports, referrals
from storage.models.referrals import AttemptOutcome

EXPORT_COLUMNS = ("referral_id", "campaign", "code", "referrer_name", "referrer_line_user_id", "referee_name",
                  "referee_line_user_id", "status", "joined_at", "qualified_at", "qualified_reason",
                  "welcome_coupon", "welcome_redeemed_at")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def build_report(session: Session, *, now: datetime, top: int = 10) -> dict[str, Any]:
    """Every number the owner asks about, as plain data (the JSON format prints it as is)."""
    issued, used = referral_reports.count_codes(session)
    statuses = referral_reports.count_referrals_by_status(session)
    redemptions = sum(statuses.values())
    qualified = statuses["qualified"]
    by_kind = referral_reports.count_rewards_by_kind(session)
    rewards_issued = sum(kind["issued"] for kind in by_kind.values())
    rewards_redeemed = sum(kind["redeemed"] for kind in by_kind.values())
    campaign = referrals.get_active_campaign(session, now=now)
    return {
        "generated_at": now.isoformat(),
        "active_campaign": {"slug": campaign.slug, "name": campaign.name} if campaign else None,
        "codes_issued": issued,
        "codes_used": used,
        "redemptions": redemptions,
        "qualified": qualified,
        "rewards": {"issued": rewards_issued, "redeemed": rewards_redeemed, "by_kind": by_kind},
        "conversion": {
            "codes_used_per_code_issued": _rate(used, issued),
            "qualified_per_redemption": _rate(qualified, redemptions),
            "rewards_redeemed_per_issued": _rate(rewards_redeemed, rewards_issued),
        },
        "leaderboard": [
            {"rank": rank, "name": row.name, "line_user_id": row.line_user_id, "code": row.code,
             "referrals": row.referrals, "qualified": row.qualified}
            for rank, row in enumerate(referral_reports.leaderboard(session, limit=top), start=1)
        ],
        "refusals": referral_reports.count_attempts_by_outcome(session, exclude=AttemptOutcome.REDEEMED),
    }


def _percent(rate: float | None, of: str) -> str:
    return f"{rate * 100:5.1f}% of {of}" if rate is not None else ""


def format_text(report: dict[str, Any], zone: ZoneInfo) -> str:
    """The report as a short plain-text page for a terminal, its time in the shop's time zone."""
    generated = datetime.fromisoformat(report["generated_at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    campaign = report["active_campaign"]
    conversion, rewards = report["conversion"], report["rewards"]
    kinds = ", ".join(f"{kind} {counts['issued']}/{counts['redeemed']}" for kind, counts in rewards["by_kind"].items())
    lines = [
        f"Referral report, {generated} ({zone.key})",
        f"Active campaign: {campaign['slug']} ({campaign['name']})" if campaign else "Active campaign: none",
        "",
        "Funnel",
        f"  codes issued        {report['codes_issued']:6}",
        f"  codes used          {report['codes_used']:6}  "
        + _percent(conversion["codes_used_per_code_issued"], "codes issued"),
        f"  friends joined      {report['redemptions']:6}",
        f"  qualified           {report['qualified']:6}  "
        + _percent(conversion["qualified_per_redemption"], "friends joined"),
        "Rewards",
        f"  issued              {rewards['issued']:6}  (issued/redeemed: {kinds})",
        f"  redeemed            {rewards['redeemed']:6}  "
        + _percent(conversion["rewards_redeemed_per_issued"], "rewards issued"),
        "Top referrers",
    ]
    lines += [f"  {row['rank']:2}. {row['name'] or '-'} [{row['code']}] {row['referrals']} joined, "
              f"{row['qualified']} qualified" for row in report["leaderboard"]] or ["  (none yet)"]
    lines.append("Refusals by reason")
    lines += [f"  {reason:20}{count:6}" for reason, count in report["refusals"].items()] or ["  (none)"]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def write_csv(session: Session, handle: TextIO) -> int:
    """Write one row per referral; return how many."""
    writer = SpreadsheetWriter(handle)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in referral_reports.iter_referrals(session):
        values = [_cell(value) for value in row]
        values[11] = format_coupon(values[11]) if values[11] else ""
        writer.writerow(values)
        count += 1
    return count

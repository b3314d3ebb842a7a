"""Staff commands for the referral programme: ``flask referrals ...`` and ``flask rewards ...``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot.notifications import queue_notifications, send_queued
from bot.services import Services, get_services
from handlers.errors import RewardRefused
from handlers.referrals import campaigns, reports, staff
from handlers.referrals.campaigns import CampaignError, last_day, local_date, local_time
from handlers.referrals.codes import format_coupon
from handlers.referrals.rewards import RedeemRefusal
from storage import referrals, rewards
from storage.models.referrals import Reward

referrals_cli = AppGroup("referrals", help="Referral programme: campaigns, qualification, report, export.")
campaign_cli = AppGroup("campaign", help="Load, list and stop referral campaigns.")
rewards_cli = AppGroup("rewards", help="Reward coupons: redeem at the till, list a customer's.")
referrals_cli.add_command(campaign_cli)


def _services() -> Services:
    return get_services(current_app)


@campaign_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def campaign_load(path: Path) -> None:
    """Load a campaign YAML file and make it the active campaign."""
    services = _services()
    try:
        spec = campaigns.read_campaign_file(path, services.zone)
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from None
    with services.db.session_scope() as session:
        campaigns.activate(session, spec=spec, now=services.clock())
    zone = services.zone
    ends = f"through {last_day(spec.ends_at, zone)}" if spec.ends_at else "no end date"
    click.echo(f"campaign {spec.slug} ({spec.name}) is active: from {local_date(spec.starts_at, zone)}, {ends}; "
               f"{len(spec.tiers)} tier(s)")


@campaign_cli.command("list")
def campaign_list() -> None:
    """List every campaign loaded so far."""
    services = _services()
    with services.db.session_scope() as session:
        for row in referrals.list_campaigns(session):
            state = "active" if row.active else "stopped"
            click.echo(f"{row.slug:24} {state:8} from {local_date(row.starts_at, services.zone)}  {row.name}")


@campaign_cli.command("stop")
def campaign_stop() -> None:
    """Stop the active campaign: codes are refused until another is loaded."""
    services = _services()
    with services.db.session_scope() as session:
        stopped = referrals.stop_campaigns(session)
    click.echo(f"stopped {stopped} campaign(s)")


@referrals_cli.command("qualify")
@click.argument("customer")
def qualify(customer: str) -> None:
    """Record CUSTOMER's first purchase (LINE user ID, referral code or coupon code) and reward the referrer."""
    services = _services()
    now = services.clock()
    with services.db.session_scope() as session:
        target = staff.find_customer(session, ref=customer)
        if target is None:
            raise click.ClickException(f"no customer {customer!r}: give a LINE user ID, a referral code or a coupon")
        purchase = staff.record_purchase(session, customer=target, now=now, source="cli")
        notifications = purchase.qualification.notifications(services.catalogue, services.zone)
        outbound = queue_notifications(session, notifications=notifications, now=now)
        data = staff.purchase_data(purchase)
    send_queued(services, outbound)
    name = data["customer"]["name"] or data["customer"]["line_user_id"]
    first = "first purchase recorded" if data["first_purchase"] else "first purchase was already recorded"
    click.echo(f"{name}: {first}; referral {data['status']}")
    for reward in data["rewards"]:
        click.echo(f"  issued {reward['code']} to the referrer: {reward['title']}")


@referrals_cli.command("report")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--top", default=10, show_default=True, help="How many referrers the leaderboard shows.")
def report(fmt: str, top: int) -> None:
    """Codes, redemptions, qualifications, rewards, conversion, leaderboard and refusals."""
    services = _services()
    with services.db.session_scope() as session:
        data = reports.build_report(session, now=services.clock(), top=top)
    text = json.dumps(data, ensure_ascii=False, indent=2) if fmt == "json" else reports.format_text(data, services.zone)
    click.echo(text)


@referrals_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export(path: Path) -> None:
    """Write every referral to a CSV file (UTF-8 with BOM, so Excel shows the Chinese names)."""
    services = _services()
    with services.db.session_scope() as session, path.open("w", encoding="utf-8-sig", newline="") as handle:
        count = reports.write_csv(session, handle)
    click.echo(f"wrote {count} referral(s) to {path}")


def _redeemed_when(reward: Reward, zone: ZoneInfo) -> str:
    """When a coupon was redeemed, as staff at the till read it: date and time in the shop's zone."""
    return f"{local_date(reward.redeemed_at, zone)} {local_time(reward.redeemed_at, zone)}"


def _refusal_message(error: RewardRefused, code: str, zone: ZoneInfo) -> str:
    reward = error.reward
    if error.reason == RedeemRefusal.ALREADY_REDEEMED:
        return (f"coupon {format_coupon(reward.code)} was already redeemed on {_redeemed_when(reward, zone)} "
                f"by {reward.redeemed_by}")
    if error.reason == RedeemRefusal.EXPIRED:
        return f"coupon {format_coupon(reward.code)} expired after {last_day(reward.expires_at, zone)}"
    return f"no coupon {code!r}"


@rewards_cli.command("redeem")
@click.argument("code")
@click.option("--by", "staff_name", default="cli", show_default=True, help="Who redeems it (kept on the coupon).")
def redeem(code: str, staff_name: str) -> None:
    """Redeem a coupon once; a second redemption is refused with when and by whom."""
    services = _services()
    now = services.clock()
    try:
        with services.db.session_scope() as session:
            result = staff.redeem(session, code=code, staff=staff_name, now=now)
            qualification = result.qualification
            notifications = qualification.notifications(services.catalogue, services.zone) if qualification else []
            outbound = queue_notifications(session, notifications=notifications, now=now)
            reward = staff.reward_data(result.reward)
    except RewardRefused as error:
        raise click.ClickException(_refusal_message(error, code, services.zone)) from None
    send_queued(services, outbound)
    click.echo(f"redeemed {reward['code']}: {reward['title']}")


def _coupon_line(reward: Reward, zone: ZoneInfo, now: datetime) -> str:
    """A coupon as staff read it: its last day (or that it expired) and who redeemed it when, in the shop's zone."""
    line = f"{format_coupon(reward.code)}  {reward.kind:8} {reward.title}"
    if reward.expires_at is not None:
        expired = reward.redeemed_at is None and reward.expires_at <= now
        line += f"  {'expired after' if expired else 'last day'} {last_day(reward.expires_at, zone)}"
    if reward.redeemed_at is not None:
        line += f"  redeemed {_redeemed_when(reward, zone)} by {reward.redeemed_by}"
    return line


@rewards_cli.command("list")
@click.argument("customer")
@click.option("--all", "show_all", is_flag=True, help="Include redeemed and expired coupons.")
def list_rewards(customer: str, show_all: bool) -> None:
    """List a customer's coupons (LINE user ID, referral code or coupon code)."""
    services = _services()
    now = services.clock()
    with services.db.session_scope() as session:
        target = staff.find_customer(session, ref=customer)
        if target is None:
            raise click.ClickException(f"no customer {customer!r}")
        rows = (rewards.list_for_customer(session, customer_id=target.id) if show_all
                else rewards.list_unused(session, customer_id=target.id, now=now))
        lines = [_coupon_line(row, services.zone, now) for row in rows]
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} coupon(s)")


def register(app: Flask) -> None:
    """Add the referrals and rewards command groups to the app's CLI."""
    app.cli.add_command(referrals_cli)
    app.cli.add_command(rewards_cli)

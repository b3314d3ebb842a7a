"""Staff commands for survey broadcasts: ``flask broadcast create | list | status | watch | cancel | resume``."""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot import render, tasks
from bot.commands import command_hint
from bot.render import RenderError
from bot.services import Services, get_services
from handlers import broadcasts as planning
from handlers.broadcasts import Preview, Report, build_report
from handlers.broadcasts.when import local, parse_when
from handlers.errors import KoubeiError
from handlers.replies import Card
from storage import broadcasts as stored
from storage.models import BroadcastStatus

broadcast_cli = AppGroup("broadcast", help="Survey broadcasts: preview, send or schedule, follow, cancel, resume.")
SEGMENT_HELP = ("Who: `all`, or rules joined by commas, all of which must hold: tag:VIP|Gold, not-tag:staff, "
                "followed:2025-01-01..2025-03-31, not-surveyed:30d, nps:promoter|passive|detractor|none, "
                "referral:referrer|referred|pending|qualified|none, include-open-cases.")
REASONS = {"unfollowed": "blocked the account", "staff": "are enrolled staff", "opted_out": "opted out of surveys",
           "open_case": "have an open case", "already_answered": "already answered this version",
           "already_invited": "already invited to this version", "in_progress": "are answering a survey now",
           "too_soon": "had a survey recently (frequency cap)"}


def _services() -> Services:
    return get_services(current_app)


def card_lines(card: Card) -> list[str]:
    """A card drawn in the terminal, as the customer will see it."""
    buttons = "  ".join(f"[{button.label}]" for button in card.buttons)
    body = [card.title, *card.lines, buttons]
    return ["  ┌" + "─" * 40, *(f"  │ {line}" for line in body), "  └" + "─" * 40,
            f"  notification: {card.alt_text}"]


def format_preview(plan: Preview, when: str) -> str:
    """The preview: reach, exclusions by reason, cost, and the first message."""
    audience = plan.audience
    lines = [f"Survey {plan.survey.key} (version {plan.version.number}) — {plan.survey.title}",
             f"Segment {plan.segment}: " + "; ".join(plan.segment.describe()),
             f"Matched by the segment: {audience.matched:,}",
             f"Excluded: {sum(audience.excluded.values()):,}"]
    lines += [f"  {count:>9,}  {REASONS.get(reason, reason)}" for reason, count in audience.excluded.items()]
    by_language = ", ".join(f"{language} {count:,}" for language, count in audience.by_language.items())
    lines += [f"Recipients: {audience.recipients:,}" + (f" ({by_language})" if by_language else ""),
              f"Multicast calls: {audience.batches:,} (at most 500 recipients each)",
              f"Paid messages: {audience.paid_messages:,} (one invitation each; the survey itself goes by "
              "free replies)", f"Sends: {when}"]
    for language, card in plan.cards.items():
        render.render(card)  # a card LINE would refuse fails here, before anyone confirms
        lines += ["", f"First message ({language}):", *card_lines(card)]
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value} %"


def format_report(report: Report, zone) -> str:
    """Status, progress, failures and results of a broadcast."""
    broadcast = report.broadcast
    version = f" (version {report.version_number})" if report.version_number else ""
    lines = [f"Broadcast #{broadcast.id} — survey {report.survey.key}{version} — segment {broadcast.segment}",
             f"Status: {broadcast.status}; scheduled {local(broadcast.scheduled_at, zone)}, "
             f"started {local(broadcast.started_at, zone)}, finished {local(broadcast.finished_at, zone)}"]
    if broadcast.recipients is None:
        lines.append(f"Recipients at preview: {broadcast.previewed_recipients:,} (fixed when the send starts)")
        return "\n".join(lines)
    lines += [f"Recipients: {broadcast.recipients:,} in {report.total_batches} batch(es) "
              f"(previewed {broadcast.previewed_recipients:,})",
              "  " + " · ".join(f"{status} {report.batches.get(status, (0, 0))[1]:,}" for status in
                                ("sent", "failed", "pending", "sending", "cancelled"))]
    excluded = broadcast.exclusions or {}
    lines.append("Excluded when the recipients were fixed: "
                 + (", ".join(f"{REASONS.get(k, k)} {v:,}" for k, v in excluded.items()) or "nobody"))
    if broadcast.stop_reason:
        lines.append(f"Stopped: {broadcast.stop_reason}. Raise the limit, then: "
                     f"{command_hint(f'broadcast resume {broadcast.id}')}")
    for failure in report.failures:
        lines.append(f"Failed batch {failure.number} ({failure.size} recipients, {failure.attempts} attempts): "
                     f"{failure.error}")
    if report.failures:
        lines.append(f"Retry the failed batches (same retry keys): {command_hint(f'broadcast resume {broadcast.id}')}")
    lines += [f"Sent {report.sent:,}; survey starts {report.starts:,} ({_percent(report.rate(report.starts))}), "
              f"completions {report.completions:,} (response rate {_percent(report.rate(report.completions))})",
              "Response rate over time: " + " · ".join(f"{label} {_percent(report.rate(count))}"
                                                        for label, count in report.over_time)]
    return "\n".join(lines)


def _report(services: Services, broadcast_id: int) -> Report:
    with services.db.session_scope() as session:
        report = build_report(session, broadcast_id=broadcast_id, now=services.clock())
    if report is None:
        raise click.ClickException(f"no broadcast #{broadcast_id} (see: {command_hint('broadcast list')})")
    return report


def watch(services: Services, broadcast_id: int, interval: float = 0.5) -> Report:
    """Draw a live progress bar until the send finishes (or is stopped, or cancelled)."""
    report = _report(services, broadcast_id)
    while report.broadcast.status == BroadcastStatus.SCHEDULED:
        click.echo(f"waiting until {local(report.broadcast.scheduled_at, services.zone)}...", err=True)
        time.sleep(max(interval, 5.0))
        report = _report(services, broadcast_id)
    with click.progressbar(length=max(report.broadcast.recipients or 0, 1), label=f"Broadcast #{broadcast_id}",
                           show_pos=True, show_percent=True, show_eta=True) as bar:
        shown = 0
        while True:
            bar.update(report.done - shown)
            shown = report.done
            if report.finished:
                break
            time.sleep(interval)
            report = _report(services, broadcast_id)
    return report


def _refuse_past(at: datetime | None, at_text: str | None, *, now: datetime, zone: ZoneInfo) -> None:
    """Refuse a send time that has passed, as typed and in the shop's zone, before anything is shown or saved."""
    if at is not None and at < now:
        raise click.UsageError(f"--at {at_text!r}: {local(at, zone)} is in the past")


def _start(services: Services, broadcast_id: int) -> None:
    with services.db.session_scope() as session:
        planning.start(session, broadcast_id=broadcast_id, now=services.clock(), catalogue=services.catalogue,
                       options=services.settings.extra)
    tasks.run_broadcast(current_app, broadcast_id)


@broadcast_cli.command("create")
@click.option("--survey", "survey_key", required=True, help="The survey's key (see: surveys list).")
@click.option("--segment", "spec", required=True, help=SEGMENT_HELP)
@click.option("--at", "at_text", help="Send later: '2025-06-01 18:00' (shop time zone), an ISO time with offset, "
                                      "or +30m / +2h / +1d.")
@click.option("--dry-run", is_flag=True, help="Only show the preview.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@click.option("--wait", is_flag=True, help="Show a live progress bar until the send finishes.")
def create_command(survey_key: str, spec: str, at_text: str | None, dry_run: bool, yes: bool, wait: bool) -> None:
    """Preview a survey broadcast, then send it (or schedule it) once confirmed."""
    services = _services()
    now, options = services.clock(), services.settings.extra
    try:
        zone = services.zone
        at = parse_when(at_text, now=now, zone=zone) if at_text else None
        _refuse_past(at, at_text, now=now, zone=zone)
        with services.db.session_scope() as session:
            plan = planning.preview(session, survey_key=survey_key, spec=spec, now=now,
                                    catalogue=services.catalogue, options=options)
        click.echo(format_preview(plan, f"at {local(at, zone)}" if at else "now"))
    except (KoubeiError, RenderError) as exc:
        raise click.UsageError(str(exc)) from None
    recipients = plan.audience.recipients
    if dry_run or recipients == 0:
        click.echo("\ndry run: nothing was saved or sent" if dry_run else "\nnobody to invite: nothing was saved")
        return
    question = f"\nSend the invitation to {recipients:,} customer(s) " + (f"at {local(at, zone)}?" if at else "now?")
    if not yes and not click.confirm(question, default=False):
        click.echo("nothing was sent")
        return
    now = services.clock()
    _refuse_past(at, at_text, now=now, zone=zone)  # the time may have passed while the question waited
    try:
        with services.db.session_scope() as session:
            broadcast_id = planning.create(session, plan=plan, at=at, now=now).id
    except KoubeiError as exc:
        raise click.UsageError(str(exc)) from None
    if at is not None:
        click.echo(f"broadcast #{broadcast_id} scheduled for {local(at, zone)} "
                   f"(cancel with: {command_hint(f'broadcast cancel {broadcast_id}')})")
    else:
        _start(services, broadcast_id)
        click.echo(f"broadcast #{broadcast_id} started (follow it: {command_hint(f'broadcast watch {broadcast_id}')})")
    if wait:
        click.echo(format_report(watch(services, broadcast_id), zone))


@broadcast_cli.command("list")
@click.option("--limit", default=20, show_default=True)
def list_command(limit: int) -> None:
    """The latest broadcasts."""
    services = _services()
    zone = services.zone
    with services.db.session_scope() as session:
        rows = [(b.id, b.status, b.scheduled_at, b.recipients, b.previewed_recipients, b.segment)
                for b in stored.list_broadcasts(session, limit=limit)]
    for broadcast_id, status, at, recipients, previewed, segment in rows:
        count = f"{recipients:,}" if recipients is not None else f"~{previewed:,}"
        click.echo(f"#{broadcast_id:<5} {status:10} {local(at, zone)}  {count:>9} recipients  {segment}")
    if not rows:
        click.echo(f"no broadcasts yet: {command_hint('broadcast create --survey KEY --segment all --dry-run')}")


@broadcast_cli.command("status")
@click.argument("broadcast_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status_command(broadcast_id: int, fmt: str) -> None:
    """Where a broadcast stands: progress, failures with LINE's reasons, starts, completions, response rate."""
    services = _services()
    report = _report(services, broadcast_id)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report, services.zone))


@broadcast_cli.command("watch")
@click.argument("broadcast_id", type=int)
@click.option("--interval", default=0.5, show_default=True, help="Seconds between refreshes.")
def watch_command(broadcast_id: int, interval: float) -> None:
    """A live progress bar for a running send, then its status."""
    services = _services()
    click.echo(format_report(watch(services, broadcast_id, interval), services.zone))


@broadcast_cli.command("cancel")
@click.argument("broadcast_id", type=int)
def cancel_command(broadcast_id: int) -> None:
    """Cancel a scheduled broadcast, or stop one that is sending after the batches in flight."""
    services = _services()
    try:
        with services.db.session_scope() as session:
            planning.cancel(session, broadcast_id=broadcast_id, now=services.clock())
    except KoubeiError as exc:
        raise click.ClickException(str(exc)) from None
    report = _report(services, broadcast_id)
    click.echo(f"broadcast #{broadcast_id} cancelled" + (f" after {report.sent:,} recipient(s) were sent"
                                                         if report.sent else ": nothing was sent"))


@broadcast_cli.command("resume")
@click.argument("broadcast_id", type=int)
def resume_command(broadcast_id: int) -> None:
    """Send what is left: after the monthly limit was raised, failed batches, or a worker that died."""
    services = _services()
    try:
        with services.db.session_scope() as session:
            retried = planning.resume(session, broadcast_id=broadcast_id)
    except KoubeiError as exc:
        raise click.ClickException(str(exc)) from None
    tasks.run_broadcast(current_app, broadcast_id)
    click.echo(f"broadcast #{broadcast_id} resumed ({retried} failed batch(es) retried with their retry keys); "
               f"follow it: {command_hint(f'broadcast watch {broadcast_id}')}")


def register(app: Flask) -> None:
    """Add the broadcast command group to the app's CLI."""
    app.cli.add_command(broadcast_cli)

"""Complaint case commands: ``flask cases report | list``."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot.services import Services, get_services
from handlers.escalation.reports import build_report
from storage import cases, staff
from storage.models import CaseStatus, Customer

cases_cli = AppGroup("cases", help="Complaint cases: report and list.")


def _services() -> Services:
    return get_services(current_app)


def _since(day: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A --since date is the start of that day in the shop's time zone."""
    return datetime.combine(day.date(), time.min, zone) if day else None


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value} %"


def format_report(report: dict[str, Any]) -> str:
    """The report as text for a terminal."""
    counts, sla, recovery = report["cases"], report["sla"], report["recovery"]
    since = report["since"][:10] if report["since"] else "the beginning"
    return "\n".join([
        f"Complaint cases since {since}: {counts['total']}",
        f"  open {counts['open']}   claimed {counts['claimed']}   resolved {counts['resolved']}",
        "  by source: " + (", ".join(f"{k} {v}" for k, v in report["by_source"].items()) or "—"),
        f"Median time to first response: {_duration(report['median_seconds_to_first_response'])}",
        f"Median time to resolution:     {_duration(report['median_seconds_to_resolution'])}",
        f"SLA breaches: {sla['breached_cases']} case(s) — claimed late {sla['claim_breaches']}, "
        f"resolved late {sla['resolve_breaches']} (re-escalated {sla['re_escalated']}, "
        f"overdue alerts {sla['overdue_alerts']})",
        f"Recovery: {recovery['recovered']} of {recovery['resolved']} resolved case(s) rated 4–5 "
        f"= {_percent(recovery['recovery_rate'])} (surveys sent {recovery['surveys_sent']}, "
        f"answered {recovery['surveys_answered']}: {_percent(recovery['recovery_rate_of_answered'])} recovered)",
    ])


@cases_cli.command("report")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only cases opened on or after this day (the shop's time zone, KOUBEI_TIMEZONE).")
def report_command(fmt: str, since: datetime | None) -> None:
    """Counts, median response and resolution times, SLA breaches and the recovery rate."""
    services = _services()
    with services.db.session_scope() as session:
        report = build_report(session, now=services.clock(), since=_since(since, services.zone))
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if fmt == "json" else format_report(report))


@cases_cli.command("list")
@click.option("--status", type=click.Choice([s.value for s in CaseStatus]), default=None)
def list_command(status: str | None) -> None:
    """List cases, newest first, with who handles them."""
    services = _services()
    with services.db.session_scope() as session:
        rows = [c for c in reversed(cases.list_cases(session)) if status is None or c.status == status]
        for case in rows:
            customer = session.get(Customer, case.customer_id)
            handler = staff.get_member(session, staff_id=case.claimed_by_id) if case.claimed_by_id else None
            opened = case.opened_at.astimezone(services.zone).strftime("%m-%d %H:%M")
            click.echo(f"#{case.id:<5} {case.status:8} {opened}  {customer.display_name or customer.line_user_id:16} "
                       f"{handler.name if handler else '—':10} {case.score:.2f}  {case.excerpt[:40]}")
        click.echo(f"{len(rows)} case(s)")


def register(app: Flask) -> None:
    """Add the cases command group to the app's CLI."""
    app.cli.add_command(cases_cli)

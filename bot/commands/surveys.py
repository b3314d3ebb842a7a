"""Staff commands for surveys: ``flask surveys import | list | report | export | invite``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from bot.commands import command_hint
from bot.notifications import queue_notifications, send_queued
from bot.services import Services, get_services
from handlers.context import HandlerContext
from handlers.replies import Notify
from handlers.spreadsheets import SpreadsheetWriter
from handlers.surveys import EntrySource, invite
from handlers.surveys.definitions import DefinitionError, load_definition
from handlers.surveys.engine import SurveyOptions
from handlers.surveys.reports import build_report, export_rows
from handlers.surveys.versions import KindChanged, import_definitions
from storage import customers, staff, surveys
from storage.models import Customer, FollowStatus, ResponseState

surveys_cli = AppGroup("surveys", help="Feedback surveys: import definitions, invite, report, export.")


def _services() -> Services:
    return get_services(current_app)


@surveys_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(paths: tuple[Path, ...]) -> None:
    """Import survey YAML files: all of them, or none when any is malformed."""
    definitions, problems = [], []
    for path in paths:
        try:
            definitions.append(load_definition(path))
        except DefinitionError as exc:
            problems.append(str(exc))
    keys = [d.key for d in definitions]
    problems += [f"survey key {key!r} appears in more than one file" for key in sorted(set(keys))
                 if keys.count(key) > 1]
    if problems:
        raise click.ClickException("nothing was imported:\n" + "\n".join(problems))
    services = _services()
    try:
        with services.db.session_scope() as session:
            results = import_definitions(session, definitions=definitions, now=services.clock())
    except KindChanged as exc:
        raise click.ClickException(f"nothing was imported:\n{exc}") from None
    for result in results:
        click.echo(f"{result.key}: {result.action} (version {result.version})")


@surveys_cli.command("list")
def list_command() -> None:
    """List surveys with their latest version and how many people started and finished them."""
    services = _services()
    with services.db.session_scope() as session:
        rows = surveys.list_surveys(session)
        if not rows:
            click.echo(f"no surveys yet: {command_hint('surveys import examples/surveys/post_purchase.yaml')}")
        for survey in rows:
            version = surveys.get_latest_version(session, survey_id=survey.id)
            responses = [r for r, _ in surveys.list_responses(session, survey_id=survey.id)]
            done = sum(r.state == ResponseState.COMPLETED for r in responses)
            questions = len(version.definition["questions"]) if version else 0
            access = "public" if survey.public else "invite-only"
            click.echo(f"{survey.key:20} v{version.number if version else 0:<3} {access:11} {questions:2} questions  "
                       f"{len(responses):4} started {done:4} completed  {survey.title}")


def _format(value: Any, unit: str = "") -> str:
    return "—" if value is None else f"{value}{unit}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def format_report(report: dict[str, Any]) -> str:
    """The report as text for a terminal."""
    lines = [f"Survey {report['survey']} — {report['title']} (versions {', '.join(map(str, report['versions']))})",
             f"Invitations {report['invitations']}   starts {report['starts']}   completions {report['completions']}"
             f"   completion rate {_format(report['completion_rate'], ' %')}",
             f"Median time to complete: {_duration(report['median_seconds_to_complete'])}",
             "Starts by source: " + (", ".join(f"{k} {v}" for k, v in report["starts_by_source"].items()) or "—")]
    for q in report["questions"]:
        lines += ["", f"[{q['id']}] {q['kind']} — {q['text']}", f"  answered {q['answered']}, skipped {q['skipped']}"]
        if q["kind"] == "nps":
            lines.append(f"  NPS {_format(q['nps'])}   promoters {q['promoters']}   passives {q['passives']}"
                         f"   detractors {q['detractors']}")
        elif q["kind"] == "rating":
            lines.append(f"  mean {_format(q['mean'])} / 5   satisfied (4–5) {_format(q['satisfied_share'], ' %')}")
            lines.append("  " + "   ".join(f"{score}★ {count}" for score, count in q["distribution"].items()))
        elif q["kind"] == "choice":
            lines += [f"  {o['count']:4}  {_format(o['share'], ' %'):>7}  {o['label']}" for o in q["options"]]
        else:
            lines.append(f"  negative {q['negative']} ({_format(q['negative_share'], ' %')})")
    text = report["free_text"]
    lines += ["", f"Free text: {text['answers']} answers, {text['negative']} negative "
                  f"({_format(text['negative_share'], ' %')}, sentiment below {text['negative_below']})",
              "Top keywords: " + (", ".join(f"{k['word']} ({k['count']})" for k in text["top_keywords"]) or "—")]
    return "\n".join(lines)


@surveys_cli.command("report")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def report_command(key: str, fmt: str) -> None:
    """Print a survey's results: reach, completion, NPS, CSAT, choices and free text."""
    services = _services()
    negative_below = SurveyOptions.from_options(services.settings.extra).negative_below
    with services.db.session_scope() as session:
        report = build_report(session, key=key, negative_below=negative_below)
    if report is None:
        raise click.ClickException(f"no survey with key {key!r} (see: {command_hint('surveys list')})")
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if fmt == "json" else format_report(report))


@surveys_cli.command("export")
@click.argument("key")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(key: str, out: Path) -> None:
    """Write one row per response to a CSV file (UTF-8 with BOM, so Excel shows Chinese correctly)."""
    services = _services()
    with services.db.session_scope() as session:
        exported = export_rows(session, key=key, zone=services.zone)
    if exported is None:
        raise click.ClickException(f"no survey with key {key!r} (see: {command_hint('surveys list')})")
    header, rows = exported
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = SpreadsheetWriter(handle)
        writer.writerow(header)
        writer.writerows(rows)
    click.echo(f"wrote {len(rows)} response(s) to {out}")


@surveys_cli.command("invite")
@click.argument("key")
@click.option("--to", "line_ids", multiple=True, help="A customer's LINE user ID (repeatable).")
@click.option("--all", "everyone", is_flag=True, help="Every customer who follows the account.")
def invite_command(key: str, line_ids: tuple[str, ...], everyone: bool) -> None:
    """Push an invitation card to customers, skipping those the fatigue and opt-out rules protect."""
    if everyone == bool(line_ids):
        raise click.UsageError("give either --all or one or more --to LINE_USER_ID")
    services = _services()
    now = services.clock()
    refused: dict[str, int] = {}
    with services.db.session_scope() as session:
        if surveys.get_by_key(session, key=key) is None:
            raise click.ClickException(f"no survey with key {key!r} (see: {command_hint('surveys list')})")
        if everyone:  # staff only when named: their own accounts are not the shop's customers
            following = select(Customer).where(Customer.follow_status != FollowStatus.UNFOLLOWED)
            targets = session.scalars(following.where(Customer.line_user_id.not_in(staff.active_staff_line_ids()))
                                      .order_by(Customer.id)).all()
            left_out = session.scalar(select(func.count()).select_from(following.where(
                Customer.line_user_id.in_(staff.active_staff_line_ids())).subquery()))
            if left_out:
                refused["staff"] = left_out
        else:
            targets = [c for c in (customers.get_by_line_id(session, line_user_id=i) for i in line_ids)
                       if c is not None]
        ctx = HandlerContext(session=session, now=now, catalogue=services.catalogue, options=services.settings.extra)
        pushes: list[Notify] = []
        for customer in targets:
            outcome = invite(ctx, customer=customer, survey_key=key, source=EntrySource.BROADCAST)
            pushes += [n for n in outcome.outgoing if isinstance(n, Notify)]
            if outcome.refused:
                refused[outcome.refused] = refused.get(outcome.refused, 0) + 1
        outbound_ids = queue_notifications(session, notifications=pushes, now=now)
    send_queued(services, outbound_ids)
    unknown = len(line_ids) - len(targets) if line_ids else 0
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(refused.items())) or "none"
    click.echo(f"invited {len(pushes)}; skipped: {skipped}" + (f"; unknown customers {unknown}" if unknown else ""))


def register(app: Flask) -> None:
    """Add the surveys command group to the app's CLI."""
    app.cli.add_command(surveys_cli)

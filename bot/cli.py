"""Administrative commands under ``flask --app wsgi``."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

import storage.migrate
from bot import tasks
from bot.commands import broadcasts as broadcast_commands
from bot.commands import cases as case_commands
from bot.commands import customers as customer_commands
from bot.commands import referrals as referral_commands
from bot.commands import staff as staff_commands
from bot.commands import surveys as survey_commands
from bot.commands.sentiment import sentiment_cli
from bot.services import get_services
from storage.models import OutboundMessage, OutboxStatus

db_cli = AppGroup("db", help="Database schema (Alembic).")
queue_cli = AppGroup("queue", help="Events and outbound messages.")


@db_cli.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema to the latest migration."""
    storage.migrate.upgrade(get_services(current_app).db.url, revision)
    click.echo("database is up to date")


@db_cli.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    storage.migrate.check(get_services(current_app).db.url)
    click.echo("models and migrations agree")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a migration for the difference between models and database."""
    storage.migrate.revision(get_services(current_app).db.url, message)


@queue_cli.command("sweep")
def queue_sweep() -> None:
    """Re-enqueue events and outbound messages a crash left unfinished."""
    found_events, found_messages = tasks.sweep(get_services(current_app))
    click.echo(f"re-enqueued {found_events} events and {found_messages} outbound messages")


@queue_cli.command("run-job")
@click.argument("name")
def queue_run_job(name: str) -> None:
    """Run a periodic job now (they also run on their own schedule in the worker)."""
    services = get_services(current_app)
    job = services.router.jobs.get(name)
    if job is None:
        raise click.UsageError(f"no job {name!r}; known: {', '.join(sorted(services.router.jobs)) or 'none'}")
    click.echo(f"{name}: {tasks.run_job(services, job)} message(s) queued")


@queue_cli.command("failed")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def queue_failed(fmt: str) -> None:
    """List outbound messages LINE refused, with LINE's reason."""
    services = get_services(current_app)
    stuck = (OutboxStatus.FAILED, OutboxStatus.QUOTA_EXCEEDED)
    with services.db.session_scope() as session:
        rows = session.scalars(select(OutboundMessage).where(OutboundMessage.status.in_(stuck))
                               .order_by(OutboundMessage.id)).all()
        items = [{"id": r.id, "kind": r.kind, "recipient": r.recipient, "status": r.status,
                  "attempts": r.attempts, "error": r.last_error} for r in rows]
    if fmt == "json":
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(f"#{item['id']} {item['kind']} to {item['recipient']}: {item['status']} "
                   f"after {item['attempts']} attempts — {item['error']}")
    click.echo(f"{len(items)} message(s)")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(queue_cli)
    referral_commands.register(app)
    survey_commands.register(app)
    broadcast_commands.register(app)
    customer_commands.register(app)
    staff_commands.register(app)
    case_commands.register(app)
    app.cli.add_command(sentiment_cli)

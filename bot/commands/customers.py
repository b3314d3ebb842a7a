"""Staff commands for customers: ``flask customers tag | import-tags | tags | seed``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot.commands import command_hint
from bot.services import Services, get_services
from handlers.broadcasts import InvalidSegment, normalize_tag
from handlers.broadcasts.tagging import USER_ID, read_tag_bytes, tag_customers, untag_customers
from storage import customer_tags

customers_cli = AppGroup("customers", help="Customers: tags for broadcast segments, CSV import, test followers.")


def _services() -> Services:
    return get_services(current_app)


def _tag(value: str) -> str:
    try:
        return normalize_tag(value)
    except InvalidSegment as exc:
        raise click.UsageError(str(exc)) from None


@customers_cli.command("tag")
@click.argument("tag")
@click.argument("line_user_ids", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Take the tag away instead of giving it.")
def tag_command(tag: str, line_user_ids: tuple[str, ...], remove: bool) -> None:
    """Give customers a tag: flask customers tag VIP U4af4980629... U5b7c... (segments: tag:VIP)."""
    bad = [user for user in line_user_ids if not USER_ID.match(user)]
    if bad:
        raise click.UsageError(f"not LINE user IDs (U and 32 hex digits): {', '.join(bad)}")
    tag = _tag(tag)
    services = _services()
    with services.db.session_scope() as session:
        if remove:
            removed = untag_customers(session, line_user_ids=line_user_ids, tags=[tag])
            click.echo(f"removed tag {tag!r} from {removed} customer(s)")
            return
        done = tag_customers(session, pairs=[(user, tag) for user in line_user_ids], now=services.clock())
    created = f"; {done.created} new customer(s)" if done.created else ""
    click.echo(f"tagged {done.added} customer(s) {tag!r}{created}")


@customers_cli.command("import-tags")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_tags_command(path: Path) -> None:
    """Import tags from a UTF-8 or Big5 CSV of line_user_id and tags (separated by ; or |): all rows or none."""
    checked = read_tag_bytes(path.read_bytes())
    if checked.problems:
        shown = checked.problems[:20]
        more = len(checked.problems) - len(shown)
        raise click.ClickException("nothing was imported:\n" + "\n".join(shown)
                                   + (f"\n... and {more} more" if more else ""))
    services = _services()
    with services.db.session_scope() as session:
        done = tag_customers(session, pairs=checked.pairs, now=services.clock())
    click.echo(f"{len(checked.pairs)} tag(s) for {done.customers} customer(s): {done.added} new, "
               f"{len(checked.pairs) - done.added} already there; {done.created} customer(s) created")


@customers_cli.command("tags")
def tags_command() -> None:
    """List tags and how many customers have each."""
    services = _services()
    with services.db.session_scope() as session:
        counts = customer_tags.count_by_tag(session)
    for tag, count in counts:
        click.echo(f"{count:8}  {tag}")
    if not counts:
        click.echo(f"no tags yet: {command_hint('customers tag VIP <LINE user ID>')}, "
                   f"or {command_hint('customers import-tags FILE.csv')}")


@customers_cli.command("seed")
@click.argument("count", type=click.IntRange(1, 1_000_000))
@click.option("--tag", help="Tag every seeded follower.")
@click.option("--language", help="Their LINE language (e.g. en); default: none, so zh-TW texts.")
def seed_command(count: int, tag: str | None, language: str | None) -> None:
    """Create test followers with made-up LINE user IDs, to try broadcasts in the emulator."""
    services = _services()
    tag = _tag(tag) if tag else None
    with services.db.session_scope() as session:
        customer_tags.seed_followers(session, count=count, now=services.clock(), language=language, tag=tag)
    click.echo(f"created {count} follower(s)" + (f" tagged {tag!r}" if tag else ""))


def register(app: Flask) -> None:
    """Add the customers command group to the app's CLI."""
    app.cli.add_command(customers_cli)

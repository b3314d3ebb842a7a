"""Staff commands: ``flask staff invite | group-code | list | remove | duty``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bot.commands import command_hint
from bot.services import Services, get_services
from handlers.escalation.options import CaseOptions
from handlers.staff import IssuedCode, find_member, issue_code, remove_member
from storage import staff
from storage.models import CodeKind, StaffRole

HOURS_OPTION = click.option("--hours", type=click.FloatRange(min=0, min_open=True), default=None,
                            help="How long the code works (default KOUBEI_STAFF_CODE_HOURS, or 72).")
NAME_LENGTH = 64  # staff_members.name
staff_cli = AppGroup("staff", help="Staff who handle complaint cases in LINE: invite, group code, list, remove.")


def _services() -> Services:
    return get_services(current_app)


def _local(moment: datetime) -> str:
    zone = _services().zone
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def _issue(kind: CodeKind, hours: float | None, name: str | None = None, role: StaffRole | None = None) -> IssuedCode:
    services = _services()
    valid_for = timedelta(hours=hours) if hours else CaseOptions.from_options(services.settings.extra).code_valid_for
    with services.db.session_scope() as session:
        return issue_code(session, kind=kind, now=services.clock(), valid_for=valid_for, name=name, role=role)


@staff_cli.command("invite")
@click.option("--name", required=True, help="How the staff member is shown to colleagues.")
@click.option("--role", type=click.Choice([r.value for r in StaffRole]), default=StaffRole.STAFF.value,
              show_default=True, help="Managers also receive SLA re-escalations and overdue alerts.")
@HOURS_OPTION
def invite_command(name: str, role: str, hours: float | None) -> None:
    """Print a one-time code; the staff member sends it to the bot in a 1:1 chat to enrol."""
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        # colleagues read it on every claim ("✅ {name} 已認領"), and `staff remove NAME` finds them by it
        raise click.BadParameter(f"give a name of 1 to {NAME_LENGTH} characters", param_hint="--name")
    issued = _issue(CodeKind.STAFF, hours, name=name, role=StaffRole(role))
    click.echo(issued.code)
    click.echo(f"{name} ({role}): send this code to the bot in a 1:1 chat before {_local(issued.expires_at)}. "
               "It works once.")


@staff_cli.command("group-code")
@HOURS_OPTION
def group_code_command(hours: float | None) -> None:
    """Print a one-time code that makes the LINE group it is sent in the staff group."""
    issued = _issue(CodeKind.GROUP, hours)
    click.echo(issued.code)
    click.echo(f"Add the bot to your staff group and send this code there before {_local(issued.expires_at)}. "
               "New cases then go to that group instead of each on-duty staff member.")


@staff_cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_command(fmt: str) -> None:
    """List staff members, the staff group and codes not used yet."""
    services = _services()
    with services.db.session_scope() as session:
        members = [{"id": m.id, "name": m.name, "role": m.role, "line_user_id": m.line_user_id,
                    "on_duty": m.on_duty, "enrolled_at": m.enrolled_at.isoformat()}
                   for m in staff.list_members(session)]
        group = staff.get_staff_group(session)
        pending = [{"kind": c.kind, "name": c.name, "role": c.role, "expires_at": c.expires_at.isoformat()}
                   for c in staff.list_pending_codes(session, now=services.clock())]
        data = {"staff": members, "staff_group": group.line_group_id if group else None, "pending_codes": pending}
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for m in members:
        duty = "on duty" if m["on_duty"] else "off duty"
        click.echo(f"#{m['id']:<4} {m['name']:16} {m['role']:8} {duty:9} {m['line_user_id']}")
    group_text = data["staff_group"] or "none (cases go to on-duty staff)"
    click.echo(f"{len(members)} staff member(s); staff group: {group_text}")
    for code in pending:
        who = f"{code['name']} ({code['role']})" if code["kind"] == CodeKind.STAFF else "staff group"
        until = _local(datetime.fromisoformat(code["expires_at"]))
        click.echo(f"pending {code['kind']} code for {who}, valid until {until}")


def _find(session, ref: str):
    """The active staff member ``ref`` names, or a one-line error saying why there is none."""
    found = find_member(session, ref=ref)
    if found is not None:
        return found
    namesakes = [m for m in staff.list_members(session) if m.name == ref.strip()]
    if len(namesakes) > 1:
        ids = ", ".join(f"#{m.id}" for m in namesakes)
        raise click.ClickException(f"{len(namesakes)} active staff members are named {ref!r} ({ids}): "
                                   f"give the number instead")
    raise click.ClickException(f"no active staff member {ref!r} (see {command_hint('staff list')})")


@staff_cli.command("remove")
@click.argument("member")
def remove_command(member: str) -> None:
    """Remove a staff member (by id, LINE user ID or name): buttons and notifications stop at once."""
    services = _services()
    with services.db.session_scope() as session:
        found = _find(session, member)
        orphaned = remove_member(session, member=found, now=services.clock())
        click.echo(f"removed #{found.id} {found.name}")
        if orphaned:
            numbers = ", ".join(f"#{case_id}" for case_id in orphaned)
            click.echo(f"their claimed cases {numbers} are open for anyone on the staff to take over "
                       f"(認領 or 回覆 on the case card)")


@staff_cli.command("duty")
@click.argument("member")
@click.argument("state", type=click.Choice(["on", "off"]))
def duty_command(member: str, state: str) -> None:
    """Put a staff member on or off duty (who gets new cases when there is no staff group)."""
    services = _services()
    with services.db.session_scope() as session:
        found = _find(session, member)
        found.on_duty = state == "on"
        click.echo(f"#{found.id} {found.name} is {'on' if found.on_duty else 'off'} duty")


def register(app: Flask) -> None:
    """Add the staff command group to the app's CLI."""
    app.cli.add_command(staff_cli)

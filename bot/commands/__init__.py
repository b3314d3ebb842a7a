"""Flask CLI command groups of the bot, registered by the app factory."""

from __future__ import annotations

import click
from flask.cli import ScriptInfo


def command_hint(command: str) -> str:
    """A command as the user types it: ``./run flask …`` in development, ``flask --app wsgi …`` in production."""
    # not at the top: ``python -m bot.devserver`` imports the bot package, and so this module, before running it
    from bot.devserver import RUN_FLASK

    context = click.get_current_context(silent=True)
    if context is not None and context.find_root().info_name == RUN_FLASK:
        return f"{RUN_FLASK} {command}"
    script = context.find_object(ScriptInfo) if context is not None else None
    import_path = script.app_import_path if script is not None else None
    return f"flask --app {import_path} {command}" if import_path else f"flask {command}"

"""A local emulator of the LINE Messaging API and webhook platform, with a chat page."""

from __future__ import annotations

from flask import Flask

from line_emulator import admin, api, chat, webhook_admin
from line_emulator.config import EmulatorConfig
from line_emulator.endpoint import EXTENSION
from line_emulator.ids import new_user_id
from line_emulator.state import EmulatorState

__all__ = ["EmulatorConfig", "create_app"]


def create_app(config: EmulatorConfig | None = None) -> Flask:
    """Build one emulator app; each app has its own in-memory state."""
    if config is None:
        config = EmulatorConfig(channel_secret="emulator-secret", access_token="emulator-token-" + new_user_id()[1:])
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.extensions[EXTENSION] = EmulatorState(config)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(webhook_admin.bp)
    app.register_blueprint(chat.bp)
    return app

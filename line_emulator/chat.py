"""The chat page where a person plays a customer (or a group member) talking to the bot."""

from __future__ import annotations

from flask import Blueprint, render_template

from line_emulator.endpoint import emulator_state

bp = Blueprint("emulator_chat", __name__)


@bp.get("/")
@bp.get("/chat")
def chat_page() -> str:
    """Serve the single-page chat UI."""
    state = emulator_state()
    return render_template("chat.html", webhook_url=state.webhook_url or "", bot_user_id=state.config.bot_user_id)

"""Admin endpoints that play the LINE Platform: build, sign and POST webhook events."""

from __future__ import annotations

from typing import Any

import requests
from flask import Blueprint, Response, jsonify

from line_emulator import webhooks
from line_emulator.admin import bad_request, json_body
from line_emulator.endpoint import emulator_state
from line_emulator.ids import is_group_id, is_user_id

bp = Blueprint("emulator_webhooks", __name__, url_prefix="/_emulator/webhook")

USER_ID_HINT = "userId must look like a LINE user ID: 'U' and 32 lowercase hex digits"
GROUP_ID_HINT = "groupId must look like a LINE group ID: 'C' and 32 lowercase hex digits"

Answer = Response | tuple[Response, int]


def dispatch(event: webhooks.Event) -> Answer:
    """Send one event to the bot; answer the bot's status, or 502 if it could not be reached."""
    state = emulator_state()
    url = state.webhook_url
    error = None
    status = None
    if not url:
        error = "no webhook URL is configured"
    else:
        body = webhooks.payload([event], state.config.bot_user_id)
        try:
            response = webhooks.post(url, body, state.config.channel_secret, state.config.webhook_timeout)
            status = response.status_code
        except requests.RequestException as exc:
            error = f"webhook delivery failed: {type(exc).__name__}: {exc}"
    state.record_webhook({"url": url, "event": event, "status": status, "error": error})
    if error is not None:
        return jsonify({"status": None, "error": error, "event": event}), 502
    return jsonify({"status": status, "event": event})


def speaker(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """Read userId and optional groupId; the third value is an error message, if any."""
    user_id, group_id = body.get("userId"), body.get("groupId") or None
    if not is_user_id(user_id):
        return "", None, USER_ID_HINT
    if group_id is not None and not is_group_id(group_id):
        return "", None, GROUP_ID_HINT
    return user_id, group_id, None


@bp.post("/text")
def text() -> Answer:
    """The user (alone or in a group) sends a text message."""
    body = json_body()
    user_id, group_id, problem = speaker(body)
    message_text = body.get("text")
    if problem or not isinstance(message_text, str) or not message_text:
        return bad_request(problem or "text must be a non-empty string")
    state = emulator_state()
    chat_id = group_id or user_id
    state.ensure_user(user_id)
    event = webhooks.text_event(user_id, message_text, state.issue_reply_token(chat_id), group_id)
    state.add_user_entry(chat_id, user_id, "user", message=event["message"])
    return dispatch(event)


@bp.post("/postback")
def postback() -> Answer:
    """The user taps a postback action; displayText, if given, shows as their message."""
    body = json_body()
    user_id, group_id, problem = speaker(body)
    data, params = body.get("data"), body.get("params")
    if problem or not isinstance(data, str):
        return bad_request(problem or "data must be a string")
    if params is not None and not isinstance(params, dict):
        return bad_request("params must be an object")
    state = emulator_state()
    chat_id = group_id or user_id
    state.ensure_user(user_id)
    token = state.issue_reply_token(chat_id)
    event = webhooks.postback_event(user_id, data, token, group_id, params)
    display = body.get("displayText")
    if isinstance(display, str) and display:
        state.add_user_entry(
            chat_id, user_id, "user", message={"type": "text", "text": display}, postback=event["postback"]
        )
    else:
        state.add_user_entry(chat_id, user_id, "event", event="postback", postback=event["postback"])
    return dispatch(event)


@bp.post("/follow")
def follow() -> Answer:
    """The user adds the bot as a friend (or unblocks it)."""
    user_id, _, problem = speaker({"userId": json_body().get("userId")})
    if problem:
        return bad_request(problem)
    state = emulator_state()
    unblocked = state.follow(user_id)
    event = webhooks.follow_event(user_id, state.issue_reply_token(user_id), unblocked)
    state.add_user_entry(user_id, user_id, "event", event="follow", isUnblocked=unblocked)
    return dispatch(event)


@bp.post("/unfollow")
def unfollow() -> Answer:
    """The user blocks the bot."""
    user_id, _, problem = speaker({"userId": json_body().get("userId")})
    if problem:
        return bad_request(problem)
    state = emulator_state()
    state.unfollow(user_id)
    event = webhooks.unfollow_event(user_id)
    state.add_user_entry(user_id, user_id, "event", event="unfollow")
    return dispatch(event)


@bp.post("/join")
def join() -> Answer:
    """The bot is invited into a group."""
    group_id = json_body().get("groupId")
    if not is_group_id(group_id):
        return bad_request(GROUP_ID_HINT)
    state = emulator_state()
    event = webhooks.join_event(group_id, state.issue_reply_token(group_id))
    state.add_user_entry(group_id, None, "event", event="join")
    return dispatch(event)


@bp.post("/leave")
def leave() -> Answer:
    """The bot is removed from a group."""
    group_id = json_body().get("groupId")
    if not is_group_id(group_id):
        return bad_request(GROUP_ID_HINT)
    state = emulator_state()
    event = webhooks.leave_event(group_id)
    state.add_user_entry(group_id, None, "event", event="leave")
    return dispatch(event)

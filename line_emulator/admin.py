"""Admin API under /_emulator/ for tests and the chat page: inspect, inject faults, set up."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from line_emulator.endpoint import emulator_state
from line_emulator.ids import is_chat_id, new_user_id

bp = Blueprint("emulator_admin", __name__, url_prefix="/_emulator")


def bad_request(message: str) -> tuple[Response, int]:
    """Answer a malformed admin request."""
    return jsonify({"message": message}), 400


def json_body() -> dict[str, Any]:
    """Return the request's JSON object, or an empty one."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.get("/calls")
def list_calls() -> Response:
    """List recorded Messaging API calls, optionally for one path."""
    return jsonify(emulator_state().list_calls(request.args.get("path")))


@bp.delete("/calls")
def clear_calls() -> Response:
    """Forget the call log (use /reset to forget everything)."""
    emulator_state().clear_calls()
    return jsonify({})


@bp.post("/reset")
def reset() -> Response:
    """Clear calls, faults, tokens, retry keys, users, messages and quota usage."""
    emulator_state().reset()
    return jsonify({})


@bp.post("/faults")
def add_fault() -> Response | tuple[Response, int]:
    """Make the next N matching API calls fail with a status, or answer slowly."""
    body = json_body()
    status, count, delay = body.get("status"), body.get("count", 1), body.get("delay")
    if status is None and not delay:
        return bad_request("give a status, a delay, or both")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        return bad_request("status must be an HTTP status code")
    if not isinstance(count, int) or count < 1:
        return bad_request("count must be a positive integer")
    if delay is not None and (not isinstance(delay, (int, float)) or delay < 0):
        return bad_request("delay must be a number of seconds")
    fault_body = body.get("body")
    if fault_body is not None and not isinstance(fault_body, dict):
        return bad_request("body must be a JSON object")
    fault = emulator_state().add_fault(status, count, fault_body, body.get("path"), delay)
    return jsonify(fault.as_dict())


@bp.get("/faults")
def list_faults() -> Response:
    """Show pending faults."""
    return jsonify(emulator_state().list_faults())


@bp.delete("/faults")
def clear_faults() -> Response:
    """Drop pending faults."""
    emulator_state().clear_faults()
    return jsonify({})


@bp.get("/users")
def list_users() -> Response:
    """List known users (profiles and whether they follow the bot)."""
    return jsonify(emulator_state().list_users())


@bp.post("/users")
def upsert_user() -> Response | tuple[Response, int]:
    """Register or update a user profile; a user ID is generated when none is given."""
    body = json_body()
    user_id = body.get("userId") or new_user_id()
    if not is_chat_id(user_id) or not user_id.startswith("U"):
        return bad_request("userId must look like a LINE user ID: 'U' and 32 lowercase hex digits")
    following = body.get("following")
    user = emulator_state().upsert_user(
        user_id,
        displayName=body.get("displayName"),
        pictureUrl=body.get("pictureUrl"),
        language=body.get("language"),
        statusMessage=body.get("statusMessage"),
        following=None if following is None else bool(following),
    )
    return jsonify(user)


@bp.post("/reply-tokens")
def issue_reply_token() -> Response | tuple[Response, int]:
    """Mint a valid reply token for a chat (tests that build their own webhook events)."""
    body = json_body()
    chat_id = body.get("chatId") or body.get("userId") or body.get("groupId")
    if not is_chat_id(chat_id):
        return bad_request("give a userId or chatId like 'U' + 32 lowercase hex digits")
    return jsonify({"replyToken": emulator_state().issue_reply_token(chat_id)})


@bp.get("/messages")
def list_messages() -> Response | tuple[Response, int]:
    """List the bot's messages delivered to a chat, after seq `since`."""
    chat_id = request.args.get("chatId")
    if not chat_id:
        return bad_request("chatId is required")
    since = request.args.get("since", default=0, type=int)
    include_user = request.args.get("include") == "user"
    return jsonify(emulator_state().timeline(chat_id, since, include_user))


@bp.get("/conversation")
def conversation() -> Response | tuple[Response, int]:
    """Give the chat page both sides of a chat and whether the loading animation shows."""
    chat_id = request.args.get("chatId")
    if not chat_id:
        return bad_request("chatId is required")
    since = request.args.get("since", default=0, type=int)
    state = emulator_state()
    return jsonify(
        {"entries": state.timeline(chat_id, since, include_user=True), "loadingUntil": state.loading_until(chat_id)}
    )


@bp.get("/quota")
def get_quota() -> Response:
    """Show the monthly limit and usage."""
    return jsonify(emulator_state().quota())


@bp.post("/quota")
def set_quota() -> Response | tuple[Response, int]:
    """Set the monthly limit (null = unlimited) and/or the usage so far."""
    body = json_body()
    limit, usage = body.get("monthlyLimit"), body.get("totalUsage")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        return bad_request("monthlyLimit must be a non-negative integer or null")
    if usage is not None and (not isinstance(usage, int) or usage < 0):
        return bad_request("totalUsage must be a non-negative integer")
    emulator_state().set_quota(limit, usage, change_limit="monthlyLimit" in body)
    return jsonify(emulator_state().quota())


@bp.get("/webhook-url")
def get_webhook_url() -> Response:
    """Show where webhooks go."""
    return jsonify({"webhookUrl": emulator_state().webhook_url})


@bp.put("/webhook-url")
def set_webhook_url() -> Response:
    """Change where webhooks go (e.g. once the bot under test has a port)."""
    emulator_state().webhook_url = json_body().get("webhookUrl")
    return jsonify({"webhookUrl": emulator_state().webhook_url})


@bp.get("/webhooks")
def list_webhooks() -> Response:
    """List webhooks sent to the bot and how it answered."""
    return jsonify(emulator_state().list_webhooks())

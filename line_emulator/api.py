"""The subset of LINE's Messaging API the bot uses, answering as LINE does."""

from __future__ import annotations

from flask import Blueprint, url_for

from line_emulator.endpoint import Call, Outcome, error, line_endpoint
from line_emulator.ids import is_chat_id, is_user_id
from line_emulator.validation import body_error, size_detail, validate_messages

bp = Blueprint("line_api", __name__)

MONTHLY_LIMIT = "You have reached your monthly limit."


def _invalid_property(name: str) -> Outcome:
    """Answer LINE's error for a malformed ID property."""
    return error(400, f"The property, '{name}', in the request body is invalid (line: -, column: -)")


def _checked_messages(call: Call, extra: list[dict[str, str]] | None = None) -> Outcome | None:
    """Return a 400 answer if the messages (or extra problems) break LINE's rules."""
    details = (extra or []) + validate_messages(call.body.get("messages"))
    return Outcome(400, body_error(details)) if details else None


@bp.post("/v2/bot/message/reply")
@line_endpoint
def reply(call: Call) -> Outcome:
    """Send messages with a reply token: free, single use, short-lived."""
    token = call.body.get("replyToken")
    missing = [] if token else [{"message": "must be specified", "property": "replyToken"}]
    problem = _checked_messages(call, missing)
    if problem:
        return problem
    chat_id = call.state.consume_reply_token(str(token))
    if chat_id is None:
        return error(400, "Invalid reply token")
    sent = call.state.deliver(chat_id, "reply", call.body["messages"], call.request_id)
    return Outcome(200, {"sentMessages": sent}, sent_messages=sent)


@bp.post("/v2/bot/message/push")
@line_endpoint
def push(call: Call) -> Outcome:
    """Send messages to one user, group or room; counts against the monthly quota."""
    to = call.body.get("to")
    missing = [] if to else [{"message": "must be specified", "property": "to"}]
    problem = _checked_messages(call, missing)
    if problem:
        return problem
    if not is_chat_id(to):
        return _invalid_property("to")
    if call.state.would_exceed(1):
        return error(429, MONTHLY_LIMIT)
    shown = call.state.is_following(to)
    sent = call.state.deliver(to, "push", call.body["messages"], call.request_id, show=shown)
    call.state.consume_quota(1)
    return Outcome(200, {"sentMessages": sent}, sent_messages=sent)


@bp.post("/v2/bot/message/multicast")
@line_endpoint
def multicast(call: Call) -> Outcome:
    """Send messages to up to 500 users at once."""
    to = call.body.get("to")
    size = size_detail(to, 1, 500, "to")
    problem = _checked_messages(call, [size] if size else [])
    if problem:
        return problem
    for index, user_id in enumerate(to):
        if not is_user_id(user_id):
            return _invalid_property(f"to[{index}]")
    recipients = list(dict.fromkeys(to))
    if call.state.would_exceed(len(recipients)):
        return error(429, MONTHLY_LIMIT)
    for user_id in recipients:
        call.state.deliver(
            user_id, "multicast", call.body["messages"], call.request_id, show=call.state.is_following(user_id)
        )
    call.state.consume_quota(len(recipients))
    return Outcome(200, {})


@bp.post("/v2/bot/message/broadcast")
@line_endpoint
def broadcast(call: Call) -> Outcome:
    """Send messages to every user who follows the bot."""
    problem = _checked_messages(call)
    if problem:
        return problem
    recipients = call.state.following_user_ids()
    if call.state.would_exceed(len(recipients)):
        return error(429, MONTHLY_LIMIT)
    for user_id in recipients:
        call.state.deliver(user_id, "broadcast", call.body["messages"], call.request_id)
    call.state.consume_quota(len(recipients))
    return Outcome(200, {})


@bp.post("/v2/bot/message/narrowcast")
@line_endpoint
def narrowcast(call: Call) -> Outcome:
    """Accept a narrowcast; it is only recorded (audiences are not emulated)."""
    problem = _checked_messages(call)
    return problem or Outcome(202, {})


@bp.post("/v2/bot/chat/loading/start")
@line_endpoint
def loading_start(call: Call) -> Outcome:
    """Show the loading animation in a one-on-one chat."""
    chat_id = call.body.get("chatId")
    if not chat_id:
        return error(400, "The request body has 1 error(s)", [{"message": "must be specified", "property": "chatId"}])
    if not is_user_id(chat_id):
        return _invalid_property("chatId")
    seconds = call.body.get("loadingSeconds", 20)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 5 <= seconds <= 60 or seconds % 5:
        return error(
            400,
            "The request body has 1 error(s)",
            [{"message": "must be a multiple of 5 between 5 and 60", "property": "loadingSeconds"}],
        )
    call.state.start_loading(chat_id, seconds)
    return Outcome(202, {})


@bp.get("/v2/bot/message/quota")
@line_endpoint
def quota(call: Call) -> Outcome:
    """Report the monthly message limit."""
    limit = call.state.quota()["monthlyLimit"]
    return Outcome(200, {"type": "none"} if limit is None else {"type": "limited", "value": limit})


@bp.get("/v2/bot/message/quota/consumption")
@line_endpoint
def quota_consumption(call: Call) -> Outcome:
    """Report how many messages were sent this month."""
    return Outcome(200, {"totalUsage": call.state.quota()["totalUsage"]})


def _profile(call: Call, user_id: str, *, need_following: bool) -> Outcome:
    """Answer a user's profile, or LINE's 404."""
    user = call.state.get_user(user_id)
    if user is None or (need_following and not user["following"]):
        return error(404, "Not found")
    body = {
        "userId": user["userId"],
        "displayName": user["displayName"],
        "pictureUrl": user["pictureUrl"] or url_for("static", filename="avatar.svg", _external=True),
    }
    if need_following:
        body["language"] = user["language"]
        if user["statusMessage"]:
            body["statusMessage"] = user["statusMessage"]
    return Outcome(200, body)


@bp.get("/v2/bot/profile/<user_id>")
@line_endpoint
def profile(call: Call, user_id: str) -> Outcome:
    """Return the profile of a user who follows the bot."""
    return _profile(call, user_id, need_following=True)


@bp.get("/v2/bot/group/<group_id>/member/<user_id>")
@line_endpoint
def group_member_profile(call: Call, group_id: str, user_id: str) -> Outcome:
    """Return the profile of a group member (any user the emulator knows)."""
    return _profile(call, user_id, need_following=False)


@bp.route("/v2/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
@line_endpoint
def not_emulated(call: Call, rest: str) -> Outcome:
    """Answer 404 for endpoints the emulator does not provide."""
    return error(404, "Not found")

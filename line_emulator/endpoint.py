"""The checks every Messaging API call goes through, in LINE's order, plus recording and faults."""

from __future__ import annotations

import functools
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, jsonify, request

from line_emulator.config import EmulatorConfig
from line_emulator.ids import is_retry_key, new_request_id
from line_emulator.state import EmulatorState

AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."
RETRY_KEY_PATHS = {
    "/v2/bot/message/push",
    "/v2/bot/message/multicast",
    "/v2/bot/message/narrowcast",
    "/v2/bot/message/broadcast",
}
EXTENSION = "line_emulator"


@dataclass
class Outcome:
    """What an endpoint answers: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    sent_messages: list[dict[str, str]] | None = None


@dataclass
class Call:
    """What a handler gets: the parsed body and the context of this request."""

    state: EmulatorState
    config: EmulatorConfig
    body: dict[str, Any]
    request_id: str


Handler = Callable[..., Outcome]


def error(status: int, message: str, details: list[dict[str, str]] | None = None) -> Outcome:
    """Build one of LINE's error answers."""
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return Outcome(status, body)


def emulator_state() -> EmulatorState:
    """Return the state of the app serving this request."""
    return current_app.extensions[EXTENSION]


def line_endpoint(handler: Handler) -> Callable[..., Response]:
    """Wrap a handler with fault injection, auth, retry keys, JSON parsing and recording."""

    @functools.wraps(handler)
    def view(**kwargs: Any) -> Response:
        state = emulator_state()
        request_id = new_request_id()
        auth = request.headers.get("Authorization")
        auth_valid = auth is not None and hmac.compare_digest(
            auth.encode(), f"Bearer {state.config.access_token}".encode()
        )
        fault = state.take_fault(request.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            outcome = Outcome(fault.status, dict(fault.body or {}))
        else:
            outcome = _handle(state, handler, kwargs, request_id, auth_valid)
        faulted = fault is not None and fault.status is not None
        _record(state, request_id, auth is not None, auth_valid, outcome, faulted)
        response = jsonify(outcome.body)
        response.status_code = outcome.status
        response.headers["X-Line-Request-Id"] = request_id
        response.headers.update(outcome.headers)
        return response

    return view


def _record(
    state: EmulatorState, request_id: str, auth_present: bool, auth_valid: bool, outcome: Outcome, faulted: bool
) -> None:
    """Log the call with its request and answer (never the Authorization header)."""
    state.record_call(
        {
            "at": time.time(),
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("utf-8", "replace"),
            "retryKey": request.headers.get("X-Line-Retry-Key"),
            "authPresent": auth_present,
            "authValid": auth_valid,
            "requestId": request_id,
            "requestBody": _logged_body(),
            "status": outcome.status,
            "responseBody": outcome.body,
            "fault": faulted,
        }
    )


def _handle(
    state: EmulatorState, handler: Handler, kwargs: dict[str, Any], request_id: str, auth_valid: bool
) -> Outcome:
    """Run LINE's checks, then the handler, honouring the retry key atomically."""
    if not auth_valid:
        return error(401, AUTH_FAILED)
    retry_key = request.headers.get("X-Line-Retry-Key")
    if retry_key is not None and request.path not in RETRY_KEY_PATHS:
        return error(400, "X-Line-Retry-Key header is not supported by this endpoint")
    if retry_key is not None and not is_retry_key(retry_key):
        return error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
    body, problem = _parse_body()
    if problem is not None:
        return problem
    with state.lock:
        if retry_key is not None:
            accepted = state.accepted_key(retry_key)
            if accepted is not None:
                answer: dict[str, Any] = {"message": "The retry key is already accepted"}
                if accepted.sent_messages is not None:
                    answer["sentMessages"] = accepted.sent_messages
                return Outcome(409, answer, {"X-Line-Accepted-Request-Id": accepted.request_id})
        outcome = handler(Call(state, state.config, body, request_id), **kwargs)
        if retry_key is not None and 200 <= outcome.status < 300:
            state.accept_key(retry_key, request_id, outcome.sent_messages)
        return outcome


def _parse_body() -> tuple[dict[str, Any], Outcome | None]:
    """Parse a POST body as a JSON object the way LINE reports bad JSON."""
    if request.method != "POST":
        return {}, None
    raw = request.get_data(as_text=True)
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, error(400, f"The request body could not be parsed as JSON (line: {exc.lineno}, column: {exc.colno})")
    if not isinstance(body, dict):
        return {}, error(400, "The request body has 1 error(s)", [{"message": "must be an object", "property": ""}])
    return body, None


def _logged_body() -> Any:
    """Return the request body for the call log: JSON if it parses, else text."""
    raw = request.get_data(as_text=True)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw

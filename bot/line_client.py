"""The only place that calls LINE: reply, push, multicast and profile, with timeouts.

Every send returns a SendResult that says what LINE decided, so the outbox can retry,
give up or succeed without knowing HTTP.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)

from bot.config import call_timeouts
from handlers.context import Profile

log = logging.getLogger(__name__)

MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."
INVALID_REPLY_TOKEN = "Invalid reply token"
RETRY_KEY_LIFETIME = timedelta(hours=23)  # LINE remembers a retry key for 24 hours; keep a margin


class Outcome(StrEnum):
    """What LINE did with a request."""

    SENT = "sent"
    ALREADY_ACCEPTED = "already_accepted"
    RETRY = "retry"
    MONTHLY_LIMIT = "monthly_limit"
    INVALID_REPLY_TOKEN = "invalid_reply_token"
    REJECTED = "rejected"


@dataclass(frozen=True)
class SendResult:
    """LINE's answer to one send, classified."""

    outcome: Outcome
    status: int | None = None
    request_id: str | None = None
    reason: str | None = None

    @property
    def delivered(self) -> bool:
        """LINE has the message, now or from an earlier attempt with the same retry key."""
        return self.outcome in (Outcome.SENT, Outcome.ALREADY_ACCEPTED)


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return value
    return None


def _reason(body: Any) -> str:
    """LINE's error message and details, as one line for people to read."""
    try:
        data = json.loads(body) if isinstance(body, (bytes, str)) else {}
    except ValueError:
        return str(body)[:300]
    message = data.get("message", "")
    details = "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in data.get("details", []))
    return f"{message} ({details})" if details else message


def classify_error(exc: ApiException) -> SendResult:
    """Map an HTTP error from LINE to what the outbox should do."""
    reason = _reason(exc.body)
    request_id = _header(exc.headers, "x-line-request-id")
    status = exc.status or 0
    if status == 409:
        accepted = _header(exc.headers, "x-line-accepted-request-id") or request_id
        return SendResult(Outcome.ALREADY_ACCEPTED, status, accepted, reason)
    if status == 429 and MONTHLY_LIMIT_MESSAGE.lower().rstrip(".") in reason.lower():
        return SendResult(Outcome.MONTHLY_LIMIT, status, request_id, reason)
    if status == 429 or status >= 500 or status == 0:
        return SendResult(Outcome.RETRY, status, request_id, reason or str(exc.reason))
    if status == 400 and INVALID_REPLY_TOKEN.lower() in reason.lower():
        return SendResult(Outcome.INVALID_REPLY_TOKEN, status, request_id, reason)
    return SendResult(Outcome.REJECTED, status, request_id, reason)


class LineClient:
    """A Messaging API client bound to one channel and one host (LINE's or the emulator's)."""

    def __init__(self, *, host: str, access_token: str, timeout: float = 5.0, connections: int = 0) -> None:
        """``connections``: how many calls may run at once, each kept alive (the SDK's own default is
        5 per core; one over the limit is opened, used once and dropped with a warning)."""
        configuration = Configuration(host=host, access_token=access_token)
        configuration.retries = False  # the outbox retries, with backoff and a retry key
        configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, connections)
        self._api_client = ApiClient(configuration)
        self._api = MessagingApi(self._api_client)
        self._timeout = call_timeouts(timeout)
        self.longest_call_seconds = sum(self._timeout)

    def close(self) -> None:
        """Release pooled connections."""
        self._api_client.close()

    def _send(self, call, *args, **kwargs) -> SendResult:
        try:
            response = call(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as exc:
            return classify_error(exc)
        except urllib3.exceptions.HTTPError as exc:
            return SendResult(Outcome.RETRY, None, None, f"{type(exc).__name__}: {exc}"[:300])
        return SendResult(Outcome.SENT, response.status_code,
                          _header(response.headers, "x-line-request-id"))

    def reply(self, *, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        """Answer an event with its reply token: free, single use, short-lived."""
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        return self._send(self._api.reply_message_with_http_info, request)

    def push(self, *, to: str, messages: list[dict[str, Any]], retry_key: str) -> SendResult:
        """Push to one chat; the retry key makes a repeated attempt harmless."""
        request = PushMessageRequest.from_dict({"to": to, "messages": messages})
        return self._send(self._api.push_message_with_http_info, request, x_line_retry_key=retry_key)

    def multicast(self, *, to: list[str], messages: list[dict[str, Any]], retry_key: str) -> SendResult:
        """Send the same messages to up to 500 users in one call."""
        request = MulticastRequest.from_dict({"to": to, "messages": messages})
        return self._send(self._api.multicast_with_http_info, request, x_line_retry_key=retry_key)

    def show_loading(self, *, chat_id: str, seconds: int = 5) -> SendResult:
        """Show the typing indicator while a slower answer is prepared."""
        request = ShowLoadingAnimationRequest(chatId=chat_id, loadingSeconds=seconds)
        return self._send(self._api.show_loading_animation_with_http_info, request)

    def get_profile(self, user_id: str) -> Profile | None:
        """Fetch a user's profile; None when LINE does not give it (not a friend, or an error)."""
        try:
            profile = self._api.get_profile(user_id, _request_timeout=self._timeout)
        except ApiException as exc:
            log.warning("profile of %s not available: HTTP %s", user_id, exc.status)
            return None
        except urllib3.exceptions.HTTPError as exc:
            log.warning("profile of %s not available: %s", user_id, type(exc).__name__)
            return None
        return Profile(user_id=user_id, display_name=profile.display_name,
                       picture_url=profile.picture_url, language=profile.language)

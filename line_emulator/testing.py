"""Helpers for tests: run the emulator on a free local port and drive its admin API."""

from __future__ import annotations

import threading
from typing import Any, Self

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from line_emulator import create_app
from line_emulator.config import EmulatorConfig
from line_emulator.endpoint import EXTENSION

KEEP = object()


class WebhookDeliveryError(RuntimeError):
    """The emulator could not deliver a webhook to the bot (no URL, refused, timed out)."""


class _QuietHandler(WSGIRequestHandler):
    """Request handler that keeps test output free of access-log lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log."""


class EmulatorServer:
    """Run an emulator app on 127.0.0.1 and a free port in a background thread."""

    def __init__(self, config: EmulatorConfig | None = None, quiet: bool = True) -> None:
        """Build the app now; the server starts with start() or `with`."""
        self.app: Flask = create_app(config)
        self.quiet = quiet
        self.config: EmulatorConfig = self.app.extensions[EXTENSION].config
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the running emulator, e.g. http://127.0.0.1:54321 (use as SDK host)."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def client(self) -> EmulatorClient:
        """An admin client for this server."""
        return EmulatorClient(self.url)

    def start(self) -> Self:
        """Start serving; return self."""
        if self._server is None:
            handler = _QuietHandler if self.quiet else None
            self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=handler)
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="line-emulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    def __enter__(self) -> Self:
        """Start on entering a with block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a with block."""
        self.stop()


class EmulatorClient:
    """Thin wrapper over the emulator's /_emulator/ admin API."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        """Talk to the emulator at url (its base URL)."""
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call an admin endpoint and return its JSON, raising on HTTP errors."""
        response = requests.request(method, f"{self.url}/_emulator{path}", timeout=self.timeout, **kwargs)
        response.raise_for_status()
        return response.json()

    def calls(self, path: str | None = None) -> list[dict[str, Any]]:
        """Recorded Messaging API calls, optionally only to one path."""
        return self._request("GET", "/calls", params={"path": path} if path else None)

    def clear_calls(self) -> None:
        """Forget the call log only."""
        self._request("DELETE", "/calls")

    def reset(self) -> None:
        """Forget calls, faults, tokens, retry keys, users, messages and quota usage."""
        self._request("POST", "/reset")

    def inject_fault(
        self,
        status: int | None = None,
        count: int = 1,
        body: dict[str, Any] | None = None,
        path: str | None = None,
        delay: float | None = None,
    ) -> dict[str, Any]:
        """Make the next count matching API calls fail with status and/or wait delay seconds."""
        spec = {"status": status, "count": count, "body": body, "path": path, "delay": delay}
        return self._request("POST", "/faults", json={k: v for k, v in spec.items() if v is not None})

    def faults(self) -> list[dict[str, Any]]:
        """Pending faults."""
        return self._request("GET", "/faults")

    def clear_faults(self) -> None:
        """Drop pending faults."""
        self._request("DELETE", "/faults")

    def add_user(
        self,
        user_id: str,
        display_name: str,
        language: str = "zh-TW",
        picture_url: str | None = None,
        following: bool = True,
    ) -> dict[str, Any]:
        """Register or update a user profile."""
        return self._request(
            "POST",
            "/users",
            json={
                "userId": user_id,
                "displayName": display_name,
                "language": language,
                "pictureUrl": picture_url,
                "following": following,
            },
        )

    def users(self) -> list[dict[str, Any]]:
        """Known users."""
        return self._request("GET", "/users")

    def issue_reply_token(self, chat_id: str) -> str:
        """Mint a valid reply token for a user or group chat."""
        return self._request("POST", "/reply-tokens", json={"chatId": chat_id})["replyToken"]

    def messages(self, chat_id: str, since: int = 0) -> list[dict[str, Any]]:
        """The bot's messages delivered to a chat after seq since, oldest first."""
        return self._request("GET", "/messages", params={"chatId": chat_id, "since": since})

    def texts(self, chat_id: str, since: int = 0) -> list[str]:
        """Just the texts of the bot's text messages in a chat."""
        return [m["message"]["text"] for m in self.messages(chat_id, since) if m["message"].get("type") == "text"]

    def quota(self) -> dict[str, Any]:
        """The monthly limit and usage."""
        return self._request("GET", "/quota")

    def set_quota(self, monthly_limit: int | None | object = KEEP, total_usage: int | None = None) -> dict[str, Any]:
        """Set the monthly limit (None = unlimited; omitted = unchanged) and/or usage so far."""
        spec: dict[str, Any] = {}
        if monthly_limit is not KEEP:
            spec["monthlyLimit"] = monthly_limit
        if total_usage is not None:
            spec["totalUsage"] = total_usage
        return self._request("POST", "/quota", json=spec)

    def set_webhook_url(self, url: str | None) -> None:
        """Point webhooks at the bot's callback URL."""
        self._request("PUT", "/webhook-url", json={"webhookUrl": url})

    def webhooks(self) -> list[dict[str, Any]]:
        """Webhooks sent so far and the bot's answers."""
        return self._request("GET", "/webhooks")

    def _send(self, kind: str, spec: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Have the emulator send a webhook; return the bot's status and the event."""
        response = requests.post(
            f"{self.url}/_emulator/webhook/{kind}",
            json={k: v for k, v in spec.items() if v is not None},
            timeout=self.timeout,
        )
        if response.status_code == 502:
            raise WebhookDeliveryError(response.json().get("error"))
        response.raise_for_status()
        answer = response.json()
        return answer["status"], answer["event"]

    def send_text(self, user_id: str, text: str, group_id: str | None = None) -> tuple[int, dict[str, Any]]:
        """The user sends text (in a group if group_id); returns (bot status, event)."""
        return self._send("text", {"userId": user_id, "text": text, "groupId": group_id})

    def send_postback(
        self,
        user_id: str,
        data: str,
        group_id: str | None = None,
        display_text: str | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """The user taps a postback action; returns (bot status, event)."""
        return self._send(
            "postback",
            {"userId": user_id, "data": data, "groupId": group_id, "displayText": display_text, "params": params},
        )

    def follow(self, user_id: str) -> tuple[int, dict[str, Any]]:
        """The user adds the bot as a friend; returns (bot status, event)."""
        return self._send("follow", {"userId": user_id})

    def unfollow(self, user_id: str) -> tuple[int, dict[str, Any]]:
        """The user blocks the bot; returns (bot status, event)."""
        return self._send("unfollow", {"userId": user_id})

    def join(self, group_id: str) -> tuple[int, dict[str, Any]]:
        """The bot is added to a group; returns (bot status, event)."""
        return self._send("join", {"groupId": group_id})

    def leave(self, group_id: str) -> tuple[int, dict[str, Any]]:
        """The bot is removed from a group; returns (bot status, event)."""
        return self._send("leave", {"groupId": group_id})

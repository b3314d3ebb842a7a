"""Fixtures for the emulator's tests: a running emulator, the real SDK client, a webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from line_emulator import EmulatorConfig
from line_emulator.ids import new_user_id
from line_emulator.testing import EmulatorClient, EmulatorServer

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


class QuietHandler(WSGIRequestHandler):
    """Keep the receiver's access log out of test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the access log."""


@dataclass
class Receiver:
    """A stand-in bot callback that verifies signatures with the SDK's WebhookParser."""

    url: str = ""
    status: int = 200
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    events: list[object] = field(default_factory=list)
    on_event: object = None


def make_receiver_app(receiver: Receiver) -> Flask:
    """Build the callback app: 400 on a bad signature, else parse and answer receiver.status."""
    app = Flask("receiver")
    parser = WebhookParser(SECRET)

    @app.post("/callback")
    def callback() -> tuple[str, int]:
        body = request.get_data()
        receiver.bodies.append(body)
        receiver.headers.append(dict(request.headers))
        try:
            events = parser.parse(body.decode("utf-8"), request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError:
            return "bad signature", 400
        receiver.events.extend(events)
        if callable(receiver.on_event):
            for event in events:
                receiver.on_event(event)
        return "OK", receiver.status

    return app


@pytest.fixture
def config() -> EmulatorConfig:
    """Emulator settings shared by the tests (a short reply token lifetime is set per test)."""
    return EmulatorConfig(channel_secret=SECRET, access_token=TOKEN)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Run a webhook receiver on a free port."""
    found = Receiver()
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, make_receiver_app(found), threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_port}/callback"
    yield found
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def server(config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """Run the emulator on a free port."""
    with EmulatorServer(config) as running:
        yield running


@pytest.fixture
def emulator(server: EmulatorServer) -> EmulatorClient:
    """Admin client of the running emulator."""
    return server.client


@pytest.fixture
def api_client(server: EmulatorServer) -> Iterator[ApiClient]:
    """The real line-bot-sdk HTTP client pointed at the emulator."""
    with ApiClient(Configuration(host=server.url, access_token=TOKEN)) as client:
        yield client


@pytest.fixture
def line_api(api_client: ApiClient) -> MessagingApi:
    """The SDK's MessagingApi, as the bot uses it."""
    return MessagingApi(api_client)


@pytest.fixture
def user_id(emulator: EmulatorClient) -> str:
    """A registered customer who follows the bot."""
    found = new_user_id()
    emulator.add_user(found, "王小明")
    return found

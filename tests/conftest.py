"""Fixtures: a real emulator over HTTP, a real database, the app with Huey in immediate mode."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

import storage.migrate
from bot import create_app
from bot.config import Settings
from bot.services import Services, get_services
from line_emulator import EmulatorConfig
from line_emulator.testing import EmulatorClient, EmulatorServer
from storage.models import Base
from tests import factories
from tests.factories import Clock

CHANNEL_SECRET = "test-channel-secret-0123456789ab"
ACCESS_TOKEN = "test-access-token"
PG_URL = os.environ.get("KOUBEI_TEST_DATABASE_URL")


def free_port() -> int:
    """Ask the OS for a port nobody uses."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def bot_port() -> int:
    """The port the live bot server listens on (known before the emulator starts)."""
    return free_port()


@pytest.fixture(scope="session")
def emulator_server(bot_port: int) -> Iterator[EmulatorServer]:
    """One emulator for the session, sending its webhooks to the live bot's port."""
    config = EmulatorConfig(channel_secret=CHANNEL_SECRET, access_token=ACCESS_TOKEN,
                            webhook_url=f"http://127.0.0.1:{bot_port}/callback")
    server = EmulatorServer(config)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorClient:
    """The emulator's admin client, reset before each test."""
    client = EmulatorClient(emulator_server.url)
    client.reset()
    return client


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite database migrated once by Alembic; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "koubei.db"
    storage.migrate.upgrade(f"sqlite:///{path}")
    return path


def _reset_postgres(url: str) -> None:
    storage.migrate.upgrade(url)
    engine = create_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A clean database: PostgreSQL when KOUBEI_TEST_DATABASE_URL is set, else a SQLite file."""
    if PG_URL:
        _reset_postgres(PG_URL)
        return PG_URL
    path = tmp_path / "koubei.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def make_settings(tmp_path: Path, database_url: str, api_base: str, **overrides) -> Settings:
    """Test settings: emulator credentials, immediate Huey, no retry back-off unless asked."""
    values = dict(env="testing", line_channel_secret=CHANNEL_SECRET, line_channel_access_token=ACCESS_TOKEN,
                  secret_key="test", line_api_base=api_base, database_url=database_url, huey_immediate=True,
                  instance_path=tmp_path / "instance", line_bot_basic_id="@koubei", retry_base_seconds=0.0,
                  line_timeout_seconds=2.0)
    values.update(overrides)
    return Settings.from_env({}, **values)


@pytest.fixture
def settings_overrides() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(tmp_path, database_url, emulator, emulator_server, settings_overrides):
    """The bot, wired to the emulator and a clean database, Huey in immediate mode."""
    application = create_app(make_settings(tmp_path, database_url, emulator_server.url, **settings_overrides))
    yield application
    services = get_services(application)
    services.line.close()
    services.db.dispose()


@pytest.fixture
def services(app) -> Services:
    """The app's services (database, LINE client, clock...)."""
    return get_services(app)


@pytest.fixture
def clock(services) -> Clock:
    """A frozen clock the test moves by hand, installed as the app's clock."""
    services.clock = Clock()
    return services.clock


@pytest.fixture
def runner(app):
    """Flask's CLI runner for the app."""
    return app.test_cli_runner()


@dataclass
class LiveBot:
    """The bot served over real HTTP on loopback."""

    url: str

    def post(self, body: bytes, signature: str | None, **headers) -> requests.Response:
        """POST raw bytes to /callback with a signature (or none)."""
        if signature is not None:
            headers["X-Line-Signature"] = signature
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return requests.post(f"{self.url}/callback", data=body, headers=headers, timeout=30)

    def send(self, *events: dict) -> requests.Response:
        """Post events in one correctly signed webhook."""
        body = factories.envelope(*events)
        return self.post(body, factories.sign(body, CHANNEL_SECRET))


@pytest.fixture(scope="session")
def complaint_detector(request) -> None:
    """Load snownlp and the complaint model once per run (cached between runs), as the worker does at start.

    Otherwise the first text message of a run pays for it inside a webhook request (Huey is immediate).
    """
    from handlers import complaint_detection

    cache = getattr(request.config, "cache", None)
    complaint_detection.warm_up(cache.mkdir("complaint_model") if cache is not None else None)


@pytest.fixture
def live_bot(app, bot_port, complaint_detector) -> Iterator[LiveBot]:
    """Serve the app on the port the emulator sends webhooks to."""
    server = make_server("127.0.0.1", bot_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveBot(f"http://127.0.0.1:{bot_port}")
    server.shutdown()
    thread.join(5)


@pytest.fixture
def customer_id() -> str:
    """A fresh LINE user ID."""
    return "U" + os.urandom(16).hex()

"""The processes under test, each on a free loopback port, all stopped together whatever happens."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.processes import BIN, ChildProcesses, StackError, clean_env, free_port
from bot.config import PROJECT_ROOT

GUNICORN_CONF = PROJECT_ROOT / "gunicorn.conf.py"


@dataclass
class StackConfig:
    """What to run: database, queue backend and consumer shape."""

    database_url: str | None  # None: a fresh SQLite file in the work dir
    redis_url: str | None
    consumer_workers: int
    consumer_type: str
    consumer_max_delay: float
    keep_workdir: bool = False
    event_batch_size: int | None = None  # None: the bot's default


@dataclass
class Stack(ChildProcesses):
    """Emulator, bot web (gunicorn), Huey consumer and the bare Flask app, on loopback."""

    config: StackConfig
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="koubei-bench-")))
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    token: str = field(default_factory=lambda: "bench-" + secrets.token_urlsafe(24))
    ports: dict[str, int] = field(default_factory=lambda: {n: free_port() for n in ("emulator", "bot", "hello")})
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        """The bot's database: the given server URL, or SQLite in the work dir."""
        return self.config.database_url or f"sqlite:///{self.workdir / 'koubei.db'}"

    def url(self, name: str) -> str:
        """Base URL of one of the servers."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self) -> dict[str, str]:
        """A clean environment: nothing from the caller's KOUBEI_*, DATABASE_URL or REDIS_URL leaks in."""
        env = clean_env(
            KOUBEI_ENV="development", KOUBEI_INSTANCE_PATH=str(self.workdir), DATABASE_URL=self.database_url,
            LINE_CHANNEL_SECRET=self.secret, LINE_CHANNEL_ACCESS_TOKEN=self.token,
            SECRET_KEY=secrets.token_hex(16), LINE_API_BASE=self.url("emulator"), PYTHONUNBUFFERED="1",
        )
        if self.config.redis_url:
            env["REDIS_URL"] = self.config.redis_url
        if self.config.event_batch_size is not None:
            env["KOUBEI_EVENT_BATCH_SIZE"] = str(self.config.event_batch_size)
        return env

    def _wait_ready(self, name: str, path: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise StackError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            try:
                if requests.get(self.url(name) + path, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise StackError(f"{name} not ready after {timeout:.0f}s:\n{self.log_tail(name)}")

    def migrate(self) -> None:
        """Build the schema the way a release does: ``flask --app wsgi db upgrade``."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                                cwd=PROJECT_ROOT, env=self.env(), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise StackError(f"db upgrade failed:\n{result.stdout}\n{result.stderr}")

    def start_emulator(self) -> None:
        """The LINE emulator alone (``start_servers`` starts it too)."""
        # the load generator mints tokens long before the worker uses them: a long reply-token TTL
        options = ["--channel-secret", self.secret, "--access-token", self.token, "--reply-token-ttl", "3600",
                   "--webhook-url", self.url("bot") + "/callback"]
        self.spawn("emulator", [str(BIN / "gunicorn"), "--config", "python:bench.webhook.emulator_conf",
                                "--control-socket", str(self.workdir / "emulator.ctl"),
                                "--bind", f"127.0.0.1:{self.ports['emulator']}",
                                f"line_emulator.__main__:build_app({options!r})"])
        self._wait_ready("emulator", "/_emulator/quota")

    def start_servers(self) -> None:
        """Emulator, bot web and bare Flask app; the consumer starts separately, when wanted."""
        self.start_emulator()
        # gunicorn's control socket defaults to one path per user: give each server its own
        self.spawn("bot", [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONF),
                           "--control-socket", str(self.workdir / "bot.ctl"),
                           "--bind", f"127.0.0.1:{self.ports['bot']}", "wsgi:app"])
        self.spawn("hello", [str(BIN / "gunicorn"), "--config", "python:bench.webhook.hello_conf",
                             "--control-socket", str(self.workdir / "hello.ctl"),
                             "--bind", f"127.0.0.1:{self.ports['hello']}", "bench.webhook.hello:app"])
        self._wait_ready("bot", "/healthz")
        self._wait_ready("hello", "/healthz")

    def slow_line_api(self, seconds: float) -> None:
        """Make every Messaging API call take this long, like a real round trip to LINE."""
        fault = {"delay": seconds, "count": 10**9, "path": "/v2/bot/"}
        requests.post(self.url("emulator") + "/_emulator/faults", json=fault, timeout=10).raise_for_status()

    def start_consumer(self) -> None:
        """The Huey consumer, as the Procfile runs it, with the benchmark's worker count."""
        self.spawn("consumer", [str(BIN / "huey_consumer"), "worker.huey",
                                "--workers", str(self.config.consumer_workers),
                                "--worker-type", self.config.consumer_type,
                                "--max-delay", str(self.config.consumer_max_delay)])
        time.sleep(1.0)
        if self.processes["consumer"].poll() is not None:
            raise StackError(f"consumer exited:\n{self.log_tail('consumer')}")

    def stop(self) -> None:
        """Stop every process this stack started: TERM its group, then KILL what is left."""
        self.stop_processes()
        if not self.config.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

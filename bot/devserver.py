"""``./run``: migrate, then run web + worker (and the LINE emulator when there are no credentials).

``./run flask ARGS`` runs an administrative command with that same environment.

One supervisor for a newcomer's machine: children are stopped together on Ctrl-C, and if one
dies the rest are stopped too, so nothing is left half-running.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bot.config import DEFAULT_INSTANCE, PROJECT_ROOT

DEV_ENV_FILE = "dev.env"
EMULATOR_USERS_FILE = "emulator-users.json"
RUN_FLASK = "./run flask"  # the program name of ./run's administrative commands, in their usage lines and hints


def _dev_credentials(instance: Path) -> dict[str, str]:
    """Development credentials for the emulator, made once and kept under instance/."""
    path = instance / DEV_ENV_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"LINE_CHANNEL_SECRET={secrets.token_hex(16)}\n"
            f"LINE_CHANNEL_ACCESS_TOKEN=dev-{secrets.token_urlsafe(24)}\n"
            f"SECRET_KEY={secrets.token_hex(16)}\n", encoding="utf-8")
        path.chmod(0o600)
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def _environment() -> tuple[dict[str, str], bool]:
    """The children's environment; True when running against the emulator."""
    env = dict(os.environ)
    instance = Path(env.get("KOUBEI_INSTANCE_PATH") or DEFAULT_INSTANCE)
    use_emulator = not (env.get("LINE_CHANNEL_SECRET") and env.get("LINE_CHANNEL_ACCESS_TOKEN"))
    if use_emulator:
        env.update(_dev_credentials(instance))
        env["KOUBEI_ENV"] = "development"
        env["LINE_API_BASE"] = f"http://127.0.0.1:{env.get('KOUBEI_EMULATOR_PORT', '5100')}"
        env.setdefault("LINE_BOT_BASIC_ID", "@koubei-dev")
    env.setdefault("PORT", "5000")
    env["PYTHONUNBUFFERED"] = "1"
    return env, use_emulator


def _commands(env: dict[str, str], use_emulator: bool) -> list[tuple[str, list[str]]]:
    bin_dir = Path(sys.executable).parent
    host = "127.0.0.1" if use_emulator else "0.0.0.0"
    commands = [
        ("web", [str(bin_dir / "gunicorn"), "--config", str(PROJECT_ROOT / "gunicorn.conf.py"),
                 "--bind", f"{host}:{env['PORT']}", "wsgi:app"]),
        ("worker", [str(bin_dir / "huey_consumer"), "worker.huey", "--workers",
                    env.get("WORKER_CONCURRENCY", "2"), "--worker-type", "process",
                    # an idle consumer polls the SQLite queue at most this far apart (Huey's default: 10 s)
                    "--max-delay", "1"]),
    ]
    if use_emulator:
        instance = Path(env.get("KOUBEI_INSTANCE_PATH") or DEFAULT_INSTANCE)
        commands.insert(0, ("emulator", [sys.executable, "-m", "line_emulator", "--port",
                                         env.get("KOUBEI_EMULATOR_PORT", "5100"), "--webhook-url",
                                         f"http://127.0.0.1:{env['PORT']}/callback",
                                         # the chat page's people survive a restart, like their rows in the bot
                                         "--users-file", str(instance / EMULATOR_USERS_FILE)]))
    return commands


def _migrate(env: dict[str, str]) -> int:
    """Upgrade the schema; its exit code. A failure has said why already (a wrong setting, in one line)."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env=env,
                          cwd=PROJECT_ROOT).returncode


def flask_command(args: list[str]) -> int:
    """Run ``flask --app wsgi ARGS`` with the environment ``./run`` gives the bot, on an up-to-date schema.

    A newcomer may import a survey before ever starting the bot, or after pulling a new
    migration: upgrade first (silently; a no-op when current), in this process, so the app
    loads once.
    """
    env, _use_emulator = _environment()
    os.environ.update(env)
    os.chdir(PROJECT_ROOT)
    if args[:1] != ["db"]:
        import storage.migrate
        from bot.services import get_services
        from wsgi import app

        logging.getLogger("alembic").setLevel(logging.WARNING)
        storage.migrate.upgrade(get_services(app).db.url)
    from flask.cli import cli

    return cli.main(args=["--app", "wsgi", *args], prog_name=RUN_FLASK)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _wait_until_serving(urls: list[str], children: list[tuple[str, subprocess.Popen]],
                        stopping: Callable[[], bool], timeout: float = 120.0) -> bool:
    """Wait until every URL answers 200; False if a child dies, Ctrl-C comes or time runs out first."""
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending:
        if stopping() or time.monotonic() > deadline or any(child.poll() is not None for _, child in children):
            return False
        pending = [url for url in pending if not _answers(url)]
        if pending:
            time.sleep(0.2)
    return True


def main() -> int:
    """Start everything and wait; stop everything when one stops or on Ctrl-C."""
    if sys.argv[1:2] == ["flask"]:
        return flask_command(sys.argv[2:])
    env, use_emulator = _environment()
    migrated = _migrate(env)
    if migrated != 0:
        return migrated  # nothing started yet, so nothing to stop
    children = [(name, subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)) for name, cmd in _commands(env, use_emulator)]
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    chat_page = f"http://127.0.0.1:{env.get('KOUBEI_EMULATOR_PORT', '5100')}/"
    urls = [f"http://127.0.0.1:{env['PORT']}/healthz"] + ([chat_page] if use_emulator else [])
    # the chat page is announced only once it and the bot answer: a newcomer's first tap must reach the bot
    if not _wait_until_serving(urls, children, lambda: stopping):
        if not stopping and all(child.poll() is None for _, child in children):
            print(f"\n  The bot does not answer on {urls[0]} yet; see the log above.\n", flush=True)
    elif use_emulator:
        print(f"\n  Koubei is running against the local LINE emulator.\n"
              f"  Open the chat page: {chat_page}\n  Stop with Ctrl-C.\n", flush=True)
    else:
        print(f"\n  Koubei is running on port {env['PORT']} with your LINE channel.\n", flush=True)
    code = 0
    while not stopping:
        for name, child in children:
            if child.poll() is not None:
                print(f"{name} exited with code {child.returncode}; stopping the others", flush=True)
                code, stopping = child.returncode or 1, True
        time.sleep(0.5)
    for _name, child in children:
        if child.poll() is None:
            child.terminate()
    for _name, child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())

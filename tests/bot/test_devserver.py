"""The README's commands for real: `./run` (bot.devserver) and `./run flask` on a fresh instance folder.

`./run` itself only creates the venv and execs `python -m bot.devserver`; these tests start that module
as a newcomer does (no LINE credentials: the emulator) and as a deployment does (credentials set), and
talk to what it starts over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from bot.config import DEFAULT_CATALOGUE
from bot.devserver import _answers
from handlers.catalogue import Catalogue
from line_emulator.testing import EmulatorClient
from tests import factories
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, free_port
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 180  # migrations, gunicorn, and the worker loading (the first time, building) the complaint model
t = Catalogue.load(DEFAULT_CATALOGUE).translator("zh-TW")  # what a newcomer reads


@pytest.fixture
def fresh_env(tmp_path, tmp_path_factory) -> dict[str, str]:
    """A newcomer's environment: no LINE credentials, no database settings, an empty instance folder."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LINE_", "KOUBEI_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    # one model cache for the whole run, as the real-worker tests use
    env.update(KOUBEI_INSTANCE_PATH=str(tmp_path / "instance"),
               KOUBEI_MODEL_CACHE=str(tmp_path_factory.getbasetemp() / "model-cache"))
    return env


class Output:
    """Everything a process and its children print, read as it comes so no pipe ever fills."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def text(self) -> str:
        return "\n".join(self.lines)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def running(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, Output]]:
    """`./run` in its own process group; whatever is left at the end is killed."""
    process = subprocess.Popen([sys.executable, "-m", "bot.devserver"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, Output(process)
    finally:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_run_starts_a_bot_a_newcomer_can_talk_to_and_ctrl_c_stops_everything(fresh_env):
    web_port, chat_port = free_port(), free_port()
    fresh_env.update(PORT=str(web_port), KOUBEI_EMULATOR_PORT=str(chat_port))
    with running(fresh_env) as (process, output):
        chat_page = f"http://127.0.0.1:{chat_port}/"
        assert wait_until(lambda: f"Open the chat page: {chat_page}" in output.text(), START_SECONDS), output.text()
        page = requests.get(chat_page, timeout=10)
        assert page.status_code == 200 and "LINE emulator" in page.text

        emulator = EmulatorClient(chat_page)
        user_id = "U" + os.urandom(16).hex()
        emulator.add_user(user_id, "王小明")
        status, _ = emulator.follow(user_id)  # signed with the generated development secret
        assert status == 200
        welcome = t("welcome.new", name="王小明")
        # answered by the worker process, through the LINE SDK, within the worker's start-up time
        assert wait_until(lambda: welcome in emulator.texts(user_id), START_SECONDS), (emulator.texts(user_id),
                                                                                        output.text())
        health = requests.get(f"http://127.0.0.1:{web_port}/healthz", timeout=10).json()
        assert (health["database"], health["queue"], health["events"]) == ("ok", "ok", {"done": 1})
        instance = Path(fresh_env["KOUBEI_INSTANCE_PATH"])
        assert (instance / "dev.env").stat().st_mode & 0o777 == 0o600
        # the chat page's people are kept for the next ./run, as the bot keeps their rows
        kept = json.loads((instance / "emulator-users.json").read_text(encoding="utf-8"))
        assert [(user["userId"], user["displayName"], user["following"]) for user in kept] == [
            (user_id, "王小明", True)]

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        process.wait(60)
        assert wait_until(lambda: not group_alive(process.pid), 30), "a child outlived Ctrl-C"


def test_run_with_channel_credentials_is_a_deployment_without_the_emulator(fresh_env, emulator_server, emulator):
    """README, "Deploying with your LINE channel": `./run` binds 0.0.0.0:$PORT and starts no emulator."""
    web_port = free_port()
    # LINE's API is this test's emulator (nothing reaches LINE here); webhooks are posted by hand
    fresh_env.update(PORT=str(web_port), LINE_CHANNEL_SECRET=CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
                     SECRET_KEY="deployment-secret", LINE_API_BASE=emulator_server.url,
                     KOUBEI_EMULATOR_PORT=str(free_port()))
    with running(fresh_env) as (process, output):
        assert wait_until(lambda: f"Koubei is running on port {web_port} with your LINE channel." in output.text(),
                          START_SECONDS), output.text()
        assert f"Listening at: http://0.0.0.0:{web_port}" in output.text()
        assert "LINE emulator running" not in output.text()
        assert not _answers(f"http://127.0.0.1:{fresh_env['KOUBEI_EMULATOR_PORT']}/")
        assert not (Path(fresh_env["KOUBEI_INSTANCE_PATH"]) / "dev.env").exists()

        callback = f"http://127.0.0.1:{web_port}/callback"
        user_id = "U" + os.urandom(16).hex()
        emulator.add_user(user_id, "王小明")
        body = factories.envelope(factories.make_text_event(user_id, "你好",
                                                            reply_token=emulator.issue_reply_token(user_id)))
        forged = requests.post(callback, data=body, headers={"X-Line-Signature": factories.sign(body, "not-it")},
                               timeout=10)
        assert forged.status_code == 400
        signed = requests.post(callback, data=body, headers={"X-Line-Signature": factories.sign(body, CHANNEL_SECRET),
                                                             "Content-Type": "application/json"}, timeout=10)
        assert signed.status_code == 200
        menu = t("menu.help.text")
        assert wait_until(lambda: emulator.texts(user_id) == [menu], START_SECONDS), (emulator.texts(user_id),
                                                                                       output.text())
        os.killpg(process.pid, signal.SIGTERM)  # how a process manager stops it
        process.wait(60)
        assert wait_until(lambda: not group_alive(process.pid), 30), "a child outlived SIGTERM"


def _run_flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.devserver", "flask", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_run_flask_works_before_the_bot_ever_started(fresh_env):
    imported = _run_flask(fresh_env, "surveys", "import", "examples/surveys/post_purchase.yaml")
    assert imported.returncode == 0, imported.stderr
    assert "post_purchase: created (version 1)" in imported.stdout
    assert "alembic" not in imported.stderr  # the schema was brought up to date without a word
    listed = _run_flask(fresh_env, "surveys", "list")
    assert listed.returncode == 0 and listed.stdout.startswith("post_purchase "), listed.stdout
    assert _run_flask(fresh_env, "no-such-command").returncode == 2  # flask's own exit code comes through


BAD_ZONE = "Error: KOUBEI_TIMEZONE must be a time zone like Asia/Taipei, got 'Asia/Taipeii'"


def test_run_with_a_wrong_setting_says_so_in_one_line_and_starts_nothing(fresh_env):
    fresh_env.update(PORT=str(free_port()), KOUBEI_EMULATOR_PORT=str(free_port()), KOUBEI_TIMEZONE="Asia/Taipeii")
    with running(fresh_env) as (process, output):
        assert process.wait(60) != 0
        assert wait_until(lambda: not group_alive(process.pid), 10), "a child outlived the failed start"
        assert wait_until(lambda: output.text().strip() == BAD_ZONE, 10), output.text()


def test_run_flask_with_a_wrong_setting_says_so_in_one_line(fresh_env):
    fresh_env["KOUBEI_TIMEZONE"] = "Asia/Taipeii"
    for args in (["surveys", "list"], ["db", "upgrade"]):
        result = _run_flask(fresh_env, *args)
        assert result.returncode != 0 and result.stderr.strip() == BAD_ZONE, (args, result.stderr)


def test_run_flask_hints_say_run_flask(fresh_env):
    listed = _run_flask(fresh_env, "broadcast", "list")
    assert listed.returncode == 0, listed.stderr
    assert "no broadcasts yet: ./run flask broadcast create --survey KEY --segment all --dry-run" in listed.stdout
    usage = _run_flask(fresh_env, "broadcast", "create")
    assert "Usage: ./run flask broadcast create [OPTIONS]" in usage.stderr


def test_run_flask_empty_lists_hint_run_flask(fresh_env):
    # a newcomer who copies the hint of an empty list must get a command that works in development
    surveys = _run_flask(fresh_env, "surveys", "list")
    assert surveys.returncode == 0, surveys.stderr
    assert "no surveys yet: ./run flask surveys import examples/surveys/post_purchase.yaml" in surveys.stdout
    tags = _run_flask(fresh_env, "customers", "tags")
    assert tags.returncode == 0, tags.stderr
    assert ("no tags yet: ./run flask customers tag VIP <LINE user ID>, "
            "or ./run flask customers import-tags FILE.csv") in tags.stdout

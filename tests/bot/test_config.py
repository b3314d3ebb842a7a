"""Settings from the environment: defaults, required values in production, secrets kept hidden."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Secret, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_embedded_sqlite_and_lines_host(tmp_path):
    settings = Settings.from_env({"KOUBEI_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'koubei.db'}"
    assert settings.redis_url is None and settings.line_api_base == "https://api.line.me"
    assert settings.is_production


def test_environment_values_are_read():
    settings = Settings.from_env({
        "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "SECRET_KEY": "k",
        "DATABASE_URL": "postgresql+psycopg://db/koubei", "REDIS_URL": "redis://r:6379/0",
        "LINE_API_BASE": "http://127.0.0.1:5100/", "LINE_BOT_BASIC_ID": "@shop",
    })
    assert settings.line_channel_secret.reveal() == "s" and settings.line_channel_access_token.reveal() == "t"
    assert settings.database_url == "postgresql+psycopg://db/koubei" and settings.redis_url == "redis://r:6379/0"
    assert settings.line_api_base == "http://127.0.0.1:5100" and settings.line_bot_basic_id == "@shop"
    settings.validate()


@pytest.mark.parametrize("given", ["postgres://u:p@db.example:5432/shop", "postgresql://u:p@db.example:5432/shop"])
def test_a_hosts_postgres_url_is_read_with_the_installed_driver(given):
    """Heroku-style hosts hand out postgres://, which SQLAlchemy 2 refuses; postgresql:// means psycopg2."""
    settings = Settings.from_env({"DATABASE_URL": given})
    assert settings.database_url == "postgresql+psycopg://u:p@db.example:5432/shop"
    assert Settings.from_env({"DATABASE_URL": "postgresql+psycopg://db/k"}).database_url == "postgresql+psycopg://db/k"


def test_a_database_koubei_cannot_use_is_refused_at_start():
    settings = Settings.from_env({"DATABASE_URL": "mysql://root@db/shop", "LINE_CHANNEL_SECRET": "s",
                                  "LINE_CHANNEL_ACCESS_TOKEN": "t", "SECRET_KEY": "k"})
    with pytest.raises(ConfigError, match="DATABASE_URL must be a SQLite or PostgreSQL URL.*'mysql'"):
        settings.validate()


def test_production_start_names_every_missing_variable():
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"LINE_CHANNEL_ACCESS_TOKEN": "t"}).validate()
    assert "LINE_CHANNEL_SECRET" in str(error.value) and "SECRET_KEY" in str(error.value)
    assert "LINE_CHANNEL_ACCESS_TOKEN" not in str(error.value)


def test_a_delivery_lease_shorter_than_a_line_call_is_refused_at_start():
    settings = Settings.from_env({"KOUBEI_ENV": "development", "LINE_CHANNEL_SECRET": "s",
                                  "LINE_CHANNEL_ACCESS_TOKEN": "t", "KOUBEI_DELIVERY_LEASE_SECONDS": "6"})
    with pytest.raises(ConfigError, match=r"KOUBEI_DELIVERY_LEASE_SECONDS \(6\) must be longer .* \(8 s"):
        settings.validate()
    Settings.from_env({"KOUBEI_ENV": "development", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
                       "KOUBEI_DELIVERY_LEASE_SECONDS": "6", "KOUBEI_LINE_TIMEOUT_SECONDS": "2"}).validate()


def test_secrets_never_show_in_reprs():
    settings = Settings.from_env({"LINE_CHANNEL_SECRET": "very-secret", "LINE_CHANNEL_ACCESS_TOKEN": "tok-123"})
    assert "very-secret" not in repr(settings) and "tok-123" not in repr(settings)
    assert str(Secret("x")) == "Secret('********')"


def test_wsgi_fails_at_once_naming_the_missing_variable(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KOUBEI_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Missing required environment variable(s): LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, SECRET_KEY" \
        in result.stderr


def test_web_process_does_not_import_snownlp(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KOUBEI_INSTANCE_PATH": str(tmp_path), "KOUBEI_ENV": "development",
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_API_BASE": "http://127.0.0.1:9"}
    code = "import sys, wsgi; print('snownlp' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# A wrong setting, and the one line each process prints for it instead of a traceback
BAD_SETTINGS = {
    "time zone": ({"KOUBEI_TIMEZONE": "Asia/Taipeii"},
                  "KOUBEI_TIMEZONE must be a time zone like Asia/Taipei, got 'Asia/Taipeii'"),
    "business hours": ({"KOUBEI_BUSINESS_HOURS": "9-21"},
                       "KOUBEI_BUSINESS_HOURS must look like 'mon-sat 09:00-21:00' or '09:00-21:00', got '9-21'"),
    "claim minutes": ({"KOUBEI_CASE_CLAIM_MINUTES": "abc"}, "KOUBEI_CASE_CLAIM_MINUTES must be a number, got 'abc'"),
    "complaint threshold": ({"KOUBEI_COMPLAINT_THRESHOLD": "0,6"},
                            "KOUBEI_COMPLAINT_THRESHOLD must be a number, got '0,6'"),
    "tunable": ({"KOUBEI_EVENT_BATCH_SIZE": "many"}, "KOUBEI_EVENT_BATCH_SIZE must be a whole number, got 'many'"),
    "niceness": ({"KOUBEI_WORKER_NICE": "20"}, "KOUBEI_WORKER_NICE must be between 0 and 19, got 20."),
    "missing catalogue": ({"KOUBEI_CATALOGUE": "/nonexistent/texts.toml"},
                          "KOUBEI_CATALOGUE: cannot read /nonexistent/texts.toml: No such file or directory"),
}
DEVELOPMENT = {"KOUBEI_ENV": "development", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
               "LINE_API_BASE": "http://127.0.0.1:9"}
VENV_BIN = Path(sys.executable).parent


def _clean_env(tmp_path, **values: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "KOUBEI_INSTANCE_PATH": str(tmp_path), **values}


def _one_line(result: subprocess.CompletedProcess) -> str:
    """The error a process printed, checked to be its only line of output."""
    assert result.returncode != 0, result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr.strip()


@pytest.mark.parametrize(("values", "message"), BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_flask_cli_says_what_is_wrong_in_one_line(tmp_path, values, message):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "surveys", "list"], cwd=ROOT,
                            env=_clean_env(tmp_path, **DEVELOPMENT, **values), capture_output=True, text=True,
                            timeout=60)
    assert _one_line(result) == f"Error: {message}"


def test_production_start_without_credentials_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                            env=_clean_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert _one_line(result).startswith("Error: Missing required environment variable(s): LINE_CHANNEL_SECRET, "
                                        "LINE_CHANNEL_ACCESS_TOKEN, SECRET_KEY.")


def test_gunicorn_stops_with_one_line(tmp_path):
    command = [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "wsgi:app"]
    result = subprocess.run(command, cwd=ROOT, env=_clean_env(tmp_path, **DEVELOPMENT, KOUBEI_TIMEZONE="Asia/Taipeii"),
                            capture_output=True, text=True, timeout=60)
    assert _one_line(result) == f"Error: {BAD_SETTINGS['time zone'][1]}"


def test_the_huey_worker_stops_with_one_line(tmp_path):
    command = [str(VENV_BIN / "huey_consumer"), "worker.huey", "--workers", "1"]
    result = subprocess.run(command, cwd=ROOT, env=_clean_env(tmp_path, **DEVELOPMENT, KOUBEI_CASE_CLAIM_MINUTES="abc"),
                            capture_output=True, text=True, timeout=60)
    assert _one_line(result) == f"Error: {BAD_SETTINGS['claim minutes'][1]}"


def test_a_programming_error_at_start_keeps_its_traceback(tmp_path):
    code = ("import bot\n"
            "def broken(settings=None):\n    raise KeyError('a bug, not a setting')\n"
            "bot.create_app = broken\nimport wsgi\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_clean_env(tmp_path, **DEVELOPMENT),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr and "KeyError: 'a bug, not a setting'" in result.stderr

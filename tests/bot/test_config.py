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

"""Settings: one typed object built from the environment, overridable by tests."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LINE_API_HOST = "https://api.line.me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
DEFAULT_CATALOGUE = PROJECT_ROOT / "bot" / "texts" / "messages.toml"


def call_timeouts(timeout: float) -> tuple[float, float]:
    """A Messaging API call's connect and read timeouts: the whole call lasts at most their sum."""
    return min(timeout, 3.0), timeout


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names it, and the entry points print only that."""


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value, for the one place that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def _secret(value: str | None) -> Secret | None:
    return Secret(value) if value else None


def _database_url(raw: str) -> str:
    """A SQLAlchemy URL on the driver we install: hosts (Heroku, Render, Railway) hand out ``postgres://``.

    SQLAlchemy 2 no longer reads ``postgres://``, and reads ``postgresql://`` as psycopg2, which is not
    installed; both mean psycopg 3 here. A URL naming its driver is left as it is.
    """
    scheme, sep, rest = raw.partition("://")
    if sep and scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return raw


# Tuning knobs read from KOUBEI_<NAME> (upper-cased field name), with their types.
TUNABLE = {
    "line_timeout_seconds": float,
    "delivery_max_attempts": int,
    "retry_base_seconds": float,
    "reply_token_ttl_seconds": float,
    "sweep_interval_minutes": int,
    "stale_after_seconds": float,
    "event_lease_seconds": float,
    "event_batch_size": int,
    "delivery_lease_seconds": float,
    "worker_nice": int,
}


def _tunables(env: Mapping[str, str]) -> dict[str, float | int]:
    values = {}
    for name, kind in TUNABLE.items():
        raw = env.get(f"KOUBEI_{name.upper()}")
        if raw:
            try:
                values[name] = kind(raw)
            except ValueError:
                what = "whole number" if kind is int else "number"
                raise ConfigError(f"KOUBEI_{name.upper()} must be a {what}, got {raw!r}") from None
    return values


@dataclass(frozen=True)
class Settings:
    """Everything the app needs from its environment, in one place."""

    env: str = "production"
    line_channel_secret: Secret | None = None
    line_channel_access_token: Secret | None = None
    line_api_base: str = LINE_API_HOST
    line_bot_basic_id: str | None = None
    secret_key: Secret | None = None
    api_key: Secret | None = None  # KOUBEI_API_KEY: bearer key of the staff API (/api)
    instance_path: Path = DEFAULT_INSTANCE
    database_url: str = ""
    redis_url: str | None = None
    huey_immediate: bool = False
    catalogue_path: Path = DEFAULT_CATALOGUE
    model_cache_path: Path | None = None
    max_body_bytes: int = 1024 * 1024
    line_timeout_seconds: float = 5.0
    delivery_max_attempts: int = 8
    retry_base_seconds: float = 1.0
    reply_token_ttl_seconds: float = 50.0
    sweep_interval_minutes: int = 1
    stale_after_seconds: float = 60.0
    event_lease_seconds: float = 60.0
    event_batch_size: int = 16
    delivery_lease_seconds: float = 30.0
    worker_nice: int = 10  # the worker yields the CPU to the web process, whose answer LINE times
    extra: Mapping[str, str] = field(default_factory=dict)

    REQUIRED_IN_PRODUCTION = (
        "LINE_CHANNEL_SECRET",
        "LINE_CHANNEL_ACCESS_TOKEN",
        "SECRET_KEY",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Read settings from environment variables; keyword overrides win."""
        env = os.environ if environ is None else environ
        instance = Path(env.get("KOUBEI_INSTANCE_PATH") or DEFAULT_INSTANCE)
        values = dict(
            env=env.get("KOUBEI_ENV", "production"),
            line_channel_secret=_secret(env.get("LINE_CHANNEL_SECRET")),
            line_channel_access_token=_secret(env.get("LINE_CHANNEL_ACCESS_TOKEN")),
            line_api_base=(env.get("LINE_API_BASE") or LINE_API_HOST).rstrip("/"),
            line_bot_basic_id=env.get("LINE_BOT_BASIC_ID") or None,
            secret_key=_secret(env.get("SECRET_KEY")),
            api_key=_secret(env.get("KOUBEI_API_KEY")),
            instance_path=instance,
            database_url=_database_url(env.get("DATABASE_URL") or ""),
            redis_url=env.get("REDIS_URL") or None,
            catalogue_path=Path(env.get("KOUBEI_CATALOGUE") or DEFAULT_CATALOGUE),
            model_cache_path=Path(env["KOUBEI_MODEL_CACHE"]) if env.get("KOUBEI_MODEL_CACHE") else None,
            extra={k: v for k, v in env.items() if k.startswith("KOUBEI_") and k != "KOUBEI_API_KEY"},
            **_tunables(env),
        )
        values.update(overrides)
        for name in ("line_channel_secret", "line_channel_access_token", "secret_key", "api_key"):
            if isinstance(values[name], str):
                values[name] = _secret(values[name])
        settings = cls(**values)
        if not settings.database_url:
            url = f"sqlite:///{settings.instance_path / 'koubei.db'}"
            settings = dataclasses.replace(settings, database_url=url)
        return settings

    @property
    def is_production(self) -> bool:
        """Production is the default: development and tests say so explicitly."""
        return self.env not in ("development", "testing")

    @property
    def model_cache(self) -> Path:
        """Where the worker caches the fitted complaint model."""
        return self.model_cache_path or self.instance_path / "models"

    @property
    def huey_sqlite_path(self) -> Path:
        """Where Huey keeps its queue when there is no Redis."""
        return self.instance_path / "huey.db"

    def missing_required(self) -> list[str]:
        """Name the required variables that are not set."""
        present = {
            "LINE_CHANNEL_SECRET": self.line_channel_secret,
            "LINE_CHANNEL_ACCESS_TOKEN": self.line_channel_access_token,
            "SECRET_KEY": self.secret_key,
        }
        return [name for name in self.REQUIRED_IN_PRODUCTION if not present[name]]

    def validate(self) -> None:
        """Fail at start-up, naming what is missing, rather than at the first event."""
        missing = self.missing_required()
        if self.is_production and missing:
            raise ConfigError(
                "Missing required environment variable(s): " + ", ".join(missing)
                + ". Set them, or set KOUBEI_ENV=development to use the local LINE emulator."
            )
        if not self.database_url.startswith(("sqlite:", "postgresql+psycopg:")):
            scheme = self.database_url.partition(":")[0]
            raise ConfigError(
                f"DATABASE_URL must be a SQLite or PostgreSQL URL (sqlite:///path or postgresql://user@host/db), "
                f"got one starting {scheme!r}."
            )
        longest_call = sum(call_timeouts(self.line_timeout_seconds))
        if self.delivery_lease_seconds <= longest_call:
            # a sender only starts a call its lease will outlast; a shorter lease could never send
            raise ConfigError(
                f"KOUBEI_DELIVERY_LEASE_SECONDS ({self.delivery_lease_seconds:g}) must be longer than one "
                f"LINE call can take ({longest_call:g} s with KOUBEI_LINE_TIMEOUT_SECONDS "
                f"{self.line_timeout_seconds:g})."
            )
        if not 0 <= self.worker_nice <= 19:
            raise ConfigError(f"KOUBEI_WORKER_NICE must be between 0 and 19, got {self.worker_nice}.")
        if not self.line_channel_secret or not self.line_channel_access_token:
            raise ConfigError(
                "LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are needed "
                "(the emulator's values in development)."
            )

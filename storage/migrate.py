"""Run Alembic from code, with the URL from settings: the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the schema up to date."""
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Fail when the models differ from what the migrations build."""
    command.check(alembic_config(url))


def revision(url: str, message: str, autogenerate: bool = True) -> None:
    """Write a new migration from the difference between models and schema."""
    command.revision(alembic_config(url), message=message, autogenerate=autogenerate)

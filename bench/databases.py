"""The benchmarks' PostgreSQL database: dropped and created again, never one the tests or people use."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROTECTED_DATABASES = {"postgres", "test", "template0", "template1"}


def recreate_postgres(choice: str, example: str) -> str:
    """Drop and create the PostgreSQL database named in the URL; return the URL to connect with."""
    url = make_url(choice)
    if not url.drivername.startswith("postgresql"):
        raise SystemExit("--database must be 'sqlite' or a postgresql+psycopg:// URL")
    if not url.database or url.database in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to drop database {url.database!r}: name a benchmark database (e.g. {example})")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)

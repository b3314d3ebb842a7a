"""The optional PostgreSQL and Redis backends: a fresh database and an empty queue for every run."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROTECTED_DATABASES = {"postgres", "test", "template0", "template1"}
PROTECTED_REDIS_DBS = {15}  # the test suite's


def prepare_database(choice: str) -> str | None:
    """None for a fresh SQLite file; for PostgreSQL, drop and recreate the named database."""
    if choice == "sqlite":
        return None
    url = make_url(choice)
    if not url.drivername.startswith("postgresql"):
        raise SystemExit("--database must be 'sqlite' or a postgresql+psycopg:// URL")
    if not url.database or url.database in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to drop database {url.database!r}: name a benchmark database (koubei_bench)")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def prepare_redis(url: str | None) -> str | None:
    """Empty the chosen Redis db so no earlier run's tasks are counted."""
    if url is None:
        return None
    import redis

    client = redis.Redis.from_url(url)
    if client.connection_pool.connection_kwargs.get("db", 0) in PROTECTED_REDIS_DBS:
        raise SystemExit("refusing to flush the test suite's Redis db 15: pick another (e.g. /14)")
    client.flushdb()
    client.close()
    return url


def describe_database(url: str) -> str:
    """The database and its server version, for the machine table."""
    if url.startswith("sqlite"):
        return "SQLite (WAL), fresh file in the work dir"
    engine = create_engine(url)
    with engine.connect() as conn:
        server = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return f"PostgreSQL {server} on loopback"


def describe_queue(url: str | None) -> str:
    """The Huey backend and its server version."""
    if url is None:
        return "Huey on SQLite (huey.db in the work dir)"
    import redis

    client = redis.Redis.from_url(url)
    server = client.info("server")["redis_version"]
    client.close()
    return f"Huey on Redis {server} on loopback"


def redis_pids(url: str | None) -> list[int]:
    """The Redis server's process, when it runs on this machine (its CPU is the queue's)."""
    if url is None:
        return []
    import redis

    client = redis.Redis.from_url(url)
    pid = int(client.info("server")["process_id"])
    client.close()
    return [pid]

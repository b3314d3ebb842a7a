"""The optional PostgreSQL and Redis backends: a fresh database and an empty queue for every run."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from bench.databases import recreate_postgres

PROTECTED_REDIS_DBS = {15}  # the test suite's


def prepare_database(choice: str) -> str | None:
    """None for a fresh SQLite file; for PostgreSQL, drop and recreate the named database."""
    if choice == "sqlite":
        return None
    return recreate_postgres(choice, "koubei_bench")


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
        return "Huey on SQLite (in the bot's SQLite file; huey.db in the work dir beside PostgreSQL)"
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

"""Engine and session factory, built from a URL; nothing connects at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker

from storage import write_lock


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the webhook write while the worker reads; busy_timeout waits out writers."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


READ_ONLY = "koubei_read_only"


@dataclass(frozen=True)
class DriverTransaction:
    """A driver cursor in an open transaction, its connection, and the dialect that compiles for it."""

    cursor: Any
    connection: Any
    dialect: Dialect


def _is_read_only(conn) -> bool:
    return bool(conn.get_execution_options().get(READ_ONLY))


def _sqlite_begin(conn) -> None:
    """Writers take the write lock at BEGIN, so two never deadlock on lock upgrade; readers never do."""
    conn.exec_driver_sql("BEGIN" if _is_read_only(conn) else "BEGIN IMMEDIATE")


def _sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def make_engine(url: str, *, echo: bool = False, lock: write_lock.WriteLock | None = None) -> Engine:
    """Create an engine with the settings each backend needs; SQLite writers take ``lock`` first.

    Its errors leave the statement's parameters out: they hold reply tokens and what customers wrote,
    and a failed transaction's error goes to the log.
    """
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 15,
                                                                "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if lock is not None:  # registered first: queue for the file lock, then BEGIN IMMEDIATE
            write_lock.attach(engine, lock, _is_read_only)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """An engine and its session factory: one per app, passed where it is needed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite_path = _sqlite_file(url)
        # whoever else writes this file in this process (the task queue) must share the lock
        self.write_lock = write_lock.WriteLock(self.sqlite_path) if self.sqlite_path else None
        self.engine = make_engine(url, lock=self.write_lock)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessionmaker = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}),
                                               expire_on_commit=False)

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def driver_transaction(self) -> Iterator[DriverTransaction]:
        """One writing transaction straight on the driver's connection: commit on success.

        For the webhook only (see storage/driver_sql.py): no Connection, no ORM, no events, so
        on SQLite the write lock and BEGIN IMMEDIATE are taken here.
        """
        dbapi_connection = self.engine.raw_connection()  # from the pool, back to it at close()
        try:
            if self.write_lock is not None:
                self.write_lock.acquire()
            try:
                cursor = dbapi_connection.cursor()
                if self.dialect == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield DriverTransaction(cursor, dbapi_connection.driver_connection, self.engine.dialect)
                except BaseException:
                    dbapi_connection.rollback()
                    raise
                dbapi_connection.commit()
                cursor.close()
            finally:
                if self.write_lock is not None:
                    self.write_lock.release()
        finally:
            dbapi_connection.close()

    @contextmanager
    def driver_read(self) -> Iterator[DriverTransaction]:
        """A read straight on the driver's connection: no lock, no ORM; whatever it began is rolled back.

        For the worker's check whether a task still has work, which most tasks end at once a
        backlog is drained (a Session costs several times the query there).
        """
        dbapi_connection = self.engine.raw_connection()
        try:
            cursor = dbapi_connection.cursor()
            try:
                yield DriverTransaction(cursor, dbapi_connection.driver_connection, self.engine.dialect)
            finally:
                cursor.close()
                dbapi_connection.rollback()
        finally:
            dbapi_connection.close()

    @contextmanager
    def read_scope(self) -> Iterator[Session]:
        """A consistent read that never waits for writers (SQLite WAL: no write lock); nothing is kept."""
        session = self._read_sessionmaker()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def ping(self) -> bool:
        """Answer whether the database takes a query."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    @property
    def dialect(self) -> str:
        """The backend's name: 'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        """Close pooled connections (at shutdown)."""
        self.engine.dispose()

    def forget_inherited_connections(self) -> None:
        """In a forked child: drop the pool's connections without closing them, as they are the parent's."""
        self.engine.dispose(close=False)

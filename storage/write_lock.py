"""One writer at a time on a SQLite file, served in arrival order, across processes.

SQLite lets one transaction write at a time. A writer that finds the file locked waits in
SQLite's busy handler, which sleeps 1, 2, 5 … up to 100 ms between tries, so under load the
webhook loses whole sleeps to the worker and its p99 grows from milliseconds to seconds. Taking
a file lock first queues writers in the kernel instead, which wakes the next one as soon as the
lock is free. A second file, the gate, keeps a process that has just released the lock from
taking it straight back while another process waits: whoever waits holds the gate.

SQLite's own locking still guarantees correctness; this only decides who goes next.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, event

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's busy handler alone decides who goes next
    fcntl = None


HELD = "koubei_write_lock_held"


class WriteLock:
    """A lock shared by every process and thread that writes one SQLite file (reentrant per thread)."""

    def __init__(self, database_path: Path) -> None:
        self._paths = (Path(f"{database_path}-gate.lock"), Path(f"{database_path}-write.lock"))
        self._thread_lock = threading.RLock()
        self._local = threading.local()
        self._files: tuple[int, int] | None = None
        self._pid = 0

    def _descriptors(self) -> tuple[int, int]:
        # a forked child (gunicorn preloads the app) must not share the parent's open files:
        # flock locks belong to the open file, so sharing it would let both hold the lock at once
        if self._files is None or self._pid != os.getpid():
            self._files = tuple(os.open(path, os.O_RDWR | os.O_CREAT, 0o600) for path in self._paths)
            self._pid = os.getpid()
        return self._files

    def acquire(self) -> None:
        """Wait for the lock: other threads of this process first, then other processes, in turn."""
        self._thread_lock.acquire()
        depth = getattr(self._local, "depth", 0)
        if depth == 0 and fcntl is not None:
            try:
                gate, lock = self._descriptors()
                fcntl.flock(gate, fcntl.LOCK_EX)
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                finally:
                    fcntl.flock(gate, fcntl.LOCK_UN)
            except BaseException:
                self._thread_lock.release()
                raise
        self._local.depth = depth + 1

    def release(self) -> None:
        """Give the lock to the next writer (call from the thread that acquired it)."""
        self._local.depth -= 1
        if self._local.depth == 0 and fcntl is not None:
            fcntl.flock(self._descriptors()[1], fcntl.LOCK_UN)
        self._thread_lock.release()


def attach(engine: Engine, lock: WriteLock, is_read_only: Callable[[Connection], bool]) -> None:
    """Take the lock when a writing transaction begins; give it back when its connection returns to the pool.

    A Session returns its connection at commit or rollback, so the lock covers exactly one
    transaction, taken lazily at its first statement (as SQLite's own lock would be).
    """
    @event.listens_for(engine, "begin")
    def take(conn: Connection) -> None:
        if not is_read_only(conn) and not conn.info.get(HELD):
            lock.acquire()
            conn.info[HELD] = True

    @event.listens_for(engine, "checkin")
    def give_back(_dbapi_connection, record) -> None:
        if record.info.pop(HELD, False):
            lock.release()

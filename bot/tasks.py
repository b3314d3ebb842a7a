"""The task queue: a Huey instance per app and the thin tasks the worker runs.

Tasks receive ids, open their own unit of work through the services, and send what the
handlers produced. The periodic sweep re-enqueues whatever a crash left unfinished.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage

from bot import broadcasting, delivery, dispatch, outbox_writer
from bot.config import Settings
from bot.services import Services, get_services
from handlers.jobs import Job, JobContext
from storage import Database, events, outbox
from storage.db import DriverTransaction
from storage.write_lock import WriteLock

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

EXTENSION_KEY = "koubei.huey"


class QueueStorage(SqliteStorage):
    """Huey's SQLite queue without an fsync per task, its writers queued on the database's file lock.

    By default the queue's tables live in the bot's own SQLite file, so the webhook can write an
    event and its task in one transaction (``joined``): one commit per webhook instead of two,
    and no task without its event or event without its task.
    In WAL mode, synchronous=NORMAL stays consistent after a power cut but may forget the last
    few enqueues; the sweeps re-enqueue every event, outbox row and broadcast left unfinished.
    Huey's default (FULL) costs an fsync per enqueue in the webhook and per dequeue in the worker.
    Writers take turns on the file lock (storage/write_lock.py), shared with the database engine
    when the file is the same, rather than sleeping in SQLite's busy handler.
    """

    def __init__(self, name: str = "huey", filename: str = "huey.db", write_lock: WriteLock | None = None,
                 **kwargs) -> None:
        # set before Huey creates its tables through db()
        self._write_lock = write_lock or WriteLock(Path(filename))
        self._joined = threading.local()
        super().__init__(name, filename=filename, **kwargs)

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def db(self, commit=False, close=False):
        """Huey's cursor; a writing one only once this process's turn on the file lock has come."""
        if not commit:
            with super().db(commit=False, close=close) as cursor:
                yield cursor
            return
        self._write_lock.acquire()
        try:
            with super().db(commit=True, close=close) as cursor:
                yield cursor
        finally:
            self._write_lock.release()

    @contextmanager
    def joined(self, dbapi_connection) -> Iterator[None]:
        """Enqueue in this thread through the caller's open transaction on the same file."""
        self._joined.conn = dbapi_connection
        try:
            yield
        finally:
            self._joined.conn = None

    def enqueue(self, data, priority=None) -> None:
        conn = getattr(self._joined, "conn", None)
        if conn is None:
            super().enqueue(data, priority)
            return
        cursor = conn.cursor()
        try:
            cursor.execute("insert into task (queue, data, priority) values (?, ?, ?)",
                           (self.name, self.to_blob(data), priority or 0))
        finally:
            cursor.close()


def make_huey(settings: Settings, db: Database) -> Huey:
    """Huey on Redis when REDIS_URL is set, else in the bot's SQLite file (or beside another database)."""
    if settings.huey_immediate:
        return MemoryHuey("koubei", immediate=True, results=False)
    if settings.redis_url:
        return RedisHuey("koubei", url=settings.redis_url, results=False)
    if db.sqlite_path is not None:
        filename, lock = db.sqlite_path, db.write_lock
    else:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        filename, lock = settings.huey_sqlite_path, None
    return SqliteHuey("koubei", storage_class=QueueStorage, filename=str(filename), write_lock=lock,
                      results=False, timeout=15)


class HueyQueue:
    """The TaskQueue the app uses, backed by this app's Huey tasks."""

    def __init__(self, huey: Huey, process_task, deliver_task, database: Database | None = None) -> None:
        self.huey = huey
        storage = huey.storage
        # the queue's tables are in the bot's own SQLite file: enqueue through its transactions
        self._joinable = (isinstance(storage, QueueStorage) and database is not None
                          and database.sqlite_path is not None and Path(storage.filename) == database.sqlite_path)
        self._process = process_task
        self._deliver = deliver_task

    def process_event(self, event_id: int) -> None:
        """Queue an event for the worker, as task ``event-<id>``.

        The id says which event a task is for in the consumer's log, and costs no random bytes in
        the webhook (Huey's default is a uuid4). Two tasks for one event (a sweep's re-enqueue) may
        share it: with no results kept, Huey uses the id for nothing else.
        """
        self._process(event_id, id=f"event-{event_id}")

    def process_events_in(self, tx: DriverTransaction, event_ids: list[int]) -> bool:
        """Queue events inside the caller's transaction when the queue lives in its database.

        False when it does not (Redis, another file): the caller queues them after its commit.
        """
        if not self._joinable:
            return False
        with self.huey.storage.joined(tx.connection):
            for event_id in event_ids:
                self.process_event(event_id)
        return True

    def deliver(self, outbound_id: int, delay: float = 0.0) -> None:
        """Queue an outbox row, now or after a back-off."""
        if delay > 0:
            self._deliver.schedule(args=(outbound_id,), delay=delay)
        else:
            self._deliver(outbound_id)


def deliver_now(services: Services, outbound_ids: list[int]) -> None:
    """Send new outbox rows straight away (reply tokens are short-lived), retrying later if needed."""
    for outbound_id in outbound_ids:
        retry = delivery.deliver(services, outbound_id)
        if retry is not None:
            services.queue.deliver(*retry)


def handle_event(services: Services, event_id: int) -> None:
    """Process an event and the claims it chains to, sending each claim's replies before the next."""
    for attempts in dispatch.process_claims(services, event_id):
        send_held(services, attempts)


def send_held(services: Services, attempts: list[delivery.Attempt]) -> None:
    """Send the rows events wrote already claimed for this worker; retries go through the queue."""
    for outbound_id, delay in delivery.deliver_held(services, attempts).items():
        services.queue.deliver(outbound_id, delay=delay)


def sweep(services: Services) -> tuple[int, int]:
    """Re-enqueue events and messages a crash left unfinished; return how many of each."""
    now = services.clock()
    older_than = timedelta(seconds=services.settings.stale_after_seconds)
    with services.db.session_scope() as session:
        event_ids = events.list_stale_event_ids(session, now=now, older_than=older_than)
        outbound_ids = outbox.list_due_ids(session, now=now, older_than=older_than)
    for event_id in event_ids:
        services.queue.process_event(event_id)
    for outbound_id in outbound_ids:
        services.queue.deliver(outbound_id)
    if event_ids or outbound_ids:
        log.warning("sweep re-enqueued %d events and %d outbound messages", len(event_ids), len(outbound_ids))
    return len(event_ids), len(outbound_ids)


def run_job(services: Services, job: Job) -> int:
    """Run one periodic job in its own unit of work and deliver what it asks to send."""
    with services.db.session_scope() as session:
        ctx = JobContext(session=session, now=services.clock(), catalogue=services.catalogue,
                         options=services.settings.extra, basic_id=services.settings.line_bot_basic_id)
        rows = outbox_writer.queue_notifications(session, job.run(ctx), now=ctx.now)
        outbound_ids = [row.id for row in rows]
    deliver_now(services, outbound_ids)
    return len(outbound_ids)


def _register_job(huey: Huey, app: Flask, job: Job) -> None:
    @huey.periodic_task(crontab(minute=f"*/{job.every_minutes}"), name=f"job_{job.name}")
    def job_task() -> None:
        run_job(get_services(app), job)


def init_app(app: Flask, settings: Settings) -> Huey:
    """Create this app's Huey and register its tasks, bound to the app's services."""
    services = get_services(app)
    huey = make_huey(settings, services.db)

    @huey.task(name="process_event")
    def process_event_task(event_id: int) -> None:
        services = get_services(app)
        handle_event(services, event_id)

    @huey.task(name="deliver")
    def deliver_task(outbound_id: int) -> None:
        deliver_now(get_services(app), [outbound_id])

    @huey.periodic_task(crontab(minute=f"*/{settings.sweep_interval_minutes}"), name="sweep")
    def sweep_task() -> None:
        sweep(get_services(app))

    for job in services.router.jobs.values():
        _register_job(huey, app, job)
    _register_broadcast_tasks(huey, app)

    app.extensions[EXTENSION_KEY] = huey
    services.queue = HueyQueue(huey, process_event_task, deliver_task, database=services.db)
    return huey


# --- broadcasts (issue 6): one sender task per broadcast; a sweep restarts those nobody is sending ---

BROADCAST_TASK_KEY = "koubei.run_broadcast"


def _register_broadcast_tasks(huey: Huey, app: Flask) -> None:
    @huey.task(name="run_broadcast")
    def run_broadcast_task(broadcast_id: int) -> None:
        broadcasting.run(get_services(app), broadcast_id)

    @huey.periodic_task(crontab(minute="*"), name="broadcast_sweep")
    def broadcast_sweep_task() -> None:
        for broadcast_id in broadcasting.unattended(get_services(app)):
            run_broadcast_task(broadcast_id)

    app.extensions[BROADCAST_TASK_KEY] = run_broadcast_task


def run_broadcast(app: Flask, broadcast_id: int) -> None:
    """Queue the sender of a started broadcast (under Huey's immediate mode it runs at once)."""
    app.extensions[BROADCAST_TASK_KEY](broadcast_id)


def get_huey(app: Flask) -> Huey:
    """Return this app's Huey instance (the worker runs it)."""
    return app.extensions[EXTENSION_KEY]

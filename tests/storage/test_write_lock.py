"""SQLite's write lock is queued in the kernel: writers go in turn, readers never wait."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from storage import Database


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    with db.session_scope() as session:
        session.execute(text("CREATE TABLE log (id INTEGER PRIMARY KEY, who TEXT)"))
    yield db
    db.dispose()


def _hold_write(db: Database, started: threading.Event, finish: threading.Event, order: list[str]) -> None:
    with db.session_scope() as session:
        session.execute(text("INSERT INTO log (who) VALUES ('first')"))
        started.set()
        finish.wait(10)
        order.append("first commits")


def test_a_second_writer_waits_for_the_first_commit_and_then_goes(database):
    started, finish, order = threading.Event(), threading.Event(), []
    first = threading.Thread(target=_hold_write, args=(database, started, finish, order))
    first.start()
    assert started.wait(10)

    def second_writer() -> None:
        with database.session_scope() as session:
            session.execute(text("INSERT INTO log (who) VALUES ('second')"))
            order.append("second writes")

    second = threading.Thread(target=second_writer)
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second writer must wait while the first holds the lock"
    finish.set()
    first.join(10)
    second.join(10)
    assert order == ["first commits", "second writes"]
    with database.read_scope() as session:
        assert session.execute(text("SELECT who FROM log ORDER BY id")).scalars().all() == ["first", "second"]


def test_a_reader_does_not_wait_for_an_open_write(database):
    started, finish, order = threading.Event(), threading.Event(), []
    writer = threading.Thread(target=_hold_write, args=(database, started, finish, order))
    writer.start()
    assert started.wait(10)
    seen = []
    reader = threading.Thread(target=lambda: seen.append(_count(database)))
    reader.start()
    reader.join(5)
    finished_while_writing = not reader.is_alive()
    finish.set()
    writer.join(10)
    assert finished_while_writing and seen == [0]  # the uncommitted row is not visible
    assert _count(database) == 1


def test_the_lock_is_given_back_after_a_rollback(database):
    with pytest.raises(RuntimeError), database.session_scope() as session:
        session.execute(text("INSERT INTO log (who) VALUES ('rolled back')"))
        raise RuntimeError("handler failed")
    done = []
    other = threading.Thread(target=lambda: done.append(_write(database, "after")))
    other.start()
    other.join(5)
    assert done == [True] and _count(database) == 1


def test_a_read_scope_keeps_nothing(database):
    with database.read_scope() as session:
        session.execute(text("INSERT INTO log (who) VALUES ('discarded')"))
    assert _count(database) == 0


def _count(db: Database) -> int:
    with db.read_scope() as session:
        return session.execute(text("SELECT count(*) FROM log")).scalar_one()


def _write(db: Database, who: str) -> bool:
    with db.session_scope() as session:
        session.execute(text("INSERT INTO log (who) VALUES (:who)"), {"who": who})
    return True

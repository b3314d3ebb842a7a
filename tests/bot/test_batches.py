"""A backlog is processed in batches: each event still handled once, answered once, failures isolated."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import tasks
from handlers.replies import Text
from storage import events
from storage.base import utcnow
from storage.models import EventStatus, WebhookEvent
from tests import factories
from tests.bot.test_recovery import BrokenQueue, later, process_event


@pytest.fixture
def settings_overrides() -> dict:
    return {"event_batch_size": 3, "huey_immediate": False}  # a real SQLite queue that nobody consumes


def _users(count: int) -> list[str]:
    return ["U" + os.urandom(16).hex() for _ in range(count)]


def _backlog(live_bot, services, emulator, texts: list[str]) -> tuple[list[int], list[str]]:
    """Store one text event per new user while the queue is down; return event ids and users."""
    users = _users(len(texts))
    batch = [factories.make_text_event(user, text, reply_token=emulator.issue_reply_token(user))
             for user, text in zip(users, texts, strict=True)]
    queue, services.queue = services.queue, BrokenQueue()
    assert live_bot.send(*batch).status_code == 200
    services.queue = queue
    with services.db.session_scope() as session:
        ids = session.scalars(select(WebhookEvent.id).order_by(WebhookEvent.id)).all()
    return list(ids), users


def _statuses(services) -> list[tuple[str, int]]:
    with services.db.session_scope() as session:
        rows = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        return [(row.status, row.attempts) for row in rows]


def test_a_backlog_is_taken_in_batches_and_every_message_answered_once(live_bot, services, emulator):
    ids, users = _backlog(live_bot, services, emulator, ["你好"] * 5)

    first = process_event(services, ids[0])  # its own event and the next two waiting
    assert len(first) == 3
    assert _statuses(services) == [(EventStatus.DONE, 1)] * 3 + [(EventStatus.RECEIVED, 0)] * 2
    tasks.send_held(services, first)

    second = process_event(services, ids[1])  # its event is done: it takes what is still waiting
    assert len(second) == 2
    assert process_event(services, ids[4]) == []  # nothing left for the last task
    tasks.send_held(services, second)

    assert _statuses(services) == [(EventStatus.DONE, 1)] * 5
    assert [len(emulator.messages(user)) for user in users] == [1] * 5
    assert len(emulator.calls("/v2/bot/message/reply")) == 5


def test_a_failing_event_does_not_hold_back_the_rest_of_its_batch(live_bot, services, emulator):
    def crash_on_boom(ctx, event):
        if event.text == "boom":
            raise RuntimeError("handler bug")
        return None

    services.router.on_message(0, crash_on_boom)
    ids, users = _backlog(live_bot, services, emulator, ["你好", "boom", "謝謝"])

    attempts = process_event(services, ids[0])  # no exception: the others went through
    tasks.send_held(services, attempts)

    assert [len(emulator.messages(user)) for user in users] == [1, 0, 1]
    assert [status for status, _ in _statuses(services)] == [EventStatus.DONE, EventStatus.PROCESSING,
                                                             EventStatus.DONE]
    with services.db.session_scope() as session:
        assert "handler bug" in session.get(WebhookEvent, ids[1]).error
    services.clock = later(2)
    assert tasks.sweep(services) == (1, 0)  # the failed one is due again at once
    with pytest.raises(RuntimeError, match="handler bug"):  # as the queued task would: it fails again, alone
        process_event(services, ids[1])
    assert _statuses(services)[1] == (EventStatus.PROCESSING, 2)


def test_a_worker_whose_lease_ran_out_leaves_the_event_to_its_new_owner(live_bot, services, emulator):
    ids, _ = _backlog(live_bot, services, emulator, ["a", "b", "c"])
    now = utcnow()
    mine = now + timedelta(seconds=60)
    with services.db.session_scope() as session:
        assert [row.id for row in events.claim_batch(session, event_id=ids[0], now=now, lease_until=mine,
                                                     limit=3)] == ids
    later_now = now + timedelta(seconds=120)  # the first worker stalled past its lease
    with services.db.session_scope() as session:
        # another worker takes the event it was sent, not the others (they are not waiting: leased)
        taken = events.claim_batch(session, event_id=ids[1], now=later_now,
                                   lease_until=later_now + timedelta(seconds=60), limit=3)
        assert [row.id for row in taken] == [ids[1]]
        assert events.claim_batch(session, event_id=ids[1], now=later_now,
                                  lease_until=later_now + timedelta(seconds=60), limit=3) == []
    with services.db.session_scope() as session:
        assert events.still_leased(session, event_ids=ids, lease_until=mine) == {ids[0], ids[2]}


def _echo(ctx, event):
    """Answer each text with itself, so the order of the answers shows the order of handling."""
    return [Text(f"收到：{event.text}")] if event.text else None


def _stored(live_bot, services, *sent: tuple[str, str]) -> list[int]:
    """Store text events (sender, text), one request each, while the queue is down; return their ids."""
    queue, services.queue = services.queue, BrokenQueue()
    for user, text in sent:
        assert live_bot.send(factories.make_text_event(user, text)).status_code == 200
    services.queue = queue
    with services.db.session_scope() as session:
        return list(session.scalars(select(WebhookEvent.id).order_by(WebhookEvent.id)))


def test_a_senders_second_message_waits_for_the_worker_that_has_their_first(live_bot, services, emulator):
    [user] = _users(1)
    services.router.on_message(0, _echo)
    [first] = _stored(live_bot, services, (user, "餐點送錯了"))
    seen: list = []

    def meanwhile(options, event):
        # the first worker holds the first message (before its transaction); the second one arrives
        # and another worker runs its task
        if event.id == first:
            second = _stored(live_bot, services, (user, "訂單編號是 A1234"))[-1]
            seen.append(process_event(services, second))
        return {}

    services.router.prepare(meanwhile)
    attempts = process_event(services, first)
    assert seen == [[]]  # the other worker left it: the sender's earlier message was still being handled
    assert [a.messages[0]["text"] for a in attempts] == ["收到：餐點送錯了", "收到：訂單編號是 A1234"]
    tasks.send_held(services, attempts)
    assert emulator.texts(user) == ["收到：餐點送錯了", "收到：訂單編號是 A1234"]
    assert _statuses(services) == [(EventStatus.DONE, 1)] * 2


def test_a_claim_takes_the_senders_earlier_waiting_message_with_it(live_bot, services, emulator):
    users = _users(4)
    services.router.on_message(0, _echo)
    ids = _stored(live_bot, services, (users[1], "a"), (users[2], "b"), (users[0], "一"), (users[3], "c"),
                  (users[0], "二"))
    # the batch is the named event and the two oldest waiting; the sender's earlier message joins it
    attempts = process_event(services, ids[4])
    assert [(a.recipient, a.messages[0]["text"]) for a in attempts] == [
        (users[1], "收到：a"), (users[2], "收到：b"), (users[0], "收到：一"), (users[0], "收到：二")]
    assert [status for status, _ in _statuses(services)] == [EventStatus.DONE] * 3 + [EventStatus.RECEIVED,
                                                                                     EventStatus.DONE]


def test_events_of_a_sender_with_one_at_a_live_worker_are_not_claimed(live_bot, services, emulator):
    users = _users(2)
    ids = _stored(live_bot, services, (users[0], "一"), (users[0], "二"), (users[1], "x"))
    now = utcnow()
    with services.db.session_scope() as session:
        assert [row.id for row in events.claim_batch(session, event_id=ids[0], now=now,
                                                     lease_until=now + timedelta(seconds=60))] == [ids[0]]
    with services.db.session_scope() as session:  # another worker, sent the second message's task
        taken = events.claim_batch(session, event_id=ids[1], now=now, lease_until=now + timedelta(seconds=60),
                                   limit=3)
    assert [row.id for row in taken] == [ids[2]]  # only the other sender's
    later_now = now + timedelta(seconds=120)  # the first worker died: its event goes first, then the next
    with services.db.session_scope() as session:
        taken = events.claim_batch(session, event_id=ids[1], now=later_now,
                                   lease_until=later_now + timedelta(seconds=60), limit=3)
    assert [row.id for row in taken] == [ids[0], ids[1]]


def test_a_task_sees_work_only_where_a_claim_would_take_some(live_bot, services, emulator):
    """The lock-free check a task makes first: its own event claimable, or any event still waiting."""
    ids, _ = _backlog(live_bot, services, emulator, ["你好"] * 2)
    now = utcnow()

    def has_work(event_id: int, at=now) -> bool:
        with services.db.driver_read() as tx:
            return events.has_work(tx, event_id=event_id, now=at)

    assert has_work(ids[0]) and has_work(10_000)  # waiting events: any task may take them
    lease_until = now + timedelta(seconds=60)
    with services.db.session_scope() as session:
        claimed = events.claim_batch(session, event_id=ids[0], now=now, lease_until=lease_until, limit=2)
    assert [row.id for row in claimed] == ids
    assert not has_work(ids[0]) and not has_work(ids[1])  # leased to a live worker, nothing waiting
    assert has_work(ids[1], at=lease_until + timedelta(seconds=1))  # that worker died: its lease ran out
    with services.db.session_scope() as session:
        events.mark_done(session, event_ids=set(ids), now=now)
    assert not has_work(ids[0], at=lease_until + timedelta(seconds=1))


def test_a_chained_backlog_sends_each_claims_replies_before_taking_the_next(live_bot, services, emulator):
    """A sender's later messages chain one claim to the next; the first replies must not wait for the chain."""
    [user] = _users(1)
    services.router.on_message(0, _echo)
    ids = _stored(live_bot, services, *[(user, text) for text in "一二三四五"])
    answered_before: dict[int, int] = {}

    def note_answers(options, event):
        answered_before[event.id] = len(emulator.texts(user))
        return {}

    services.router.prepare(note_answers)
    tasks.handle_event(services, ids[0])

    # the first claim (batch size 3) was answered before its follower claim was prepared
    assert answered_before == {ids[0]: 0, ids[1]: 0, ids[2]: 0, ids[3]: 3, ids[4]: 3}
    assert emulator.texts(user) == [f"收到：{text}" for text in "一二三四五"]
    assert _statuses(services) == [(EventStatus.DONE, 1)] * 5

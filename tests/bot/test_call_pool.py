"""A batch's answers go out together, each chat's in order, and one failure does not stop the rest."""

from __future__ import annotations

import threading
import time

from bot.call_pool import CallPool
from bot.line_client import LineClient
from tests.conftest import ACCESS_TOKEN


def test_calls_for_different_chats_run_at_the_same_time():
    # each call waits until all three are running: one after another, the barrier would break
    barrier = threading.Barrier(3, timeout=5)

    def send(chat: str) -> str:
        barrier.wait()
        return chat

    assert CallPool(3).run_by_key(send, ["Ua", "Ub", "Uc"], key=lambda chat: chat) == ["Ua", "Ub", "Uc"]


def test_one_chats_calls_stay_in_order():
    finished: list[tuple[str, int]] = []
    lock = threading.Lock()

    def send(item: tuple[str, int]) -> int:
        chat, n = item
        time.sleep(0.05 * (3 - n))  # earlier answers take longer: run at once, they would finish last
        with lock:
            finished.append(item)
        return n

    items = [("Ua", 0), ("Ub", 0), ("Ua", 1), ("Ua", 2), ("Ub", 1)]
    assert CallPool(4).run_by_key(send, items, key=lambda item: item[0]) == [0, 0, 1, 2, 1]
    assert [n for chat, n in finished if chat == "Ua"] == [0, 1, 2]
    assert [n for chat, n in finished if chat == "Ub"] == [0, 1]


def test_a_failure_is_handed_back_and_the_other_calls_still_run():
    def send(item: tuple[str, int]) -> int:
        if item == ("Ua", 0):
            raise RuntimeError("database down")
        return item[1]

    items = [("Ua", 0), ("Ua", 1), ("Ub", 2)]
    outcomes = CallPool(2).run_by_key(send, items, key=lambda item: item[0])
    assert isinstance(outcomes[0], RuntimeError)
    assert outcomes[1:] == [1, 2]


def test_one_thread_runs_everything_in_the_callers_thread():
    callers = CallPool(1).run_by_key(lambda _: threading.get_ident(), ["Ua", "Ub"], key=lambda chat: chat)
    assert callers == [threading.get_ident()] * 2


def test_every_call_made_at_once_keeps_its_connection(emulator, caplog):
    # 24 profile fetches held open together: with fewer pooled connections than calls, urllib3
    # opens extra ones, drops them after one use and warns
    users = [f"U{i:032x}" for i in range(1, 25)]
    for user in users:
        emulator.add_user(user, display_name="客人")
    emulator.inject_fault(delay=0.3, count=len(users), path="/v2/bot/profile")
    client = LineClient(host=emulator.url, access_token=ACCESS_TOKEN, connections=len(users))
    try:
        profiles = CallPool(len(users)).run_by_key(client.get_profile, users, key=lambda user: user)
    finally:
        client.close()
    assert [profile.user_id for profile in profiles] == users
    assert not [record for record in caplog.records if "pool is full" in record.getMessage()]

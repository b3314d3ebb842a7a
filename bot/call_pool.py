"""Threads that make a batch's calls to LINE at the same time: every call is a network round trip.

A worker process handles one batch at a time. Made one after another, a batch's profile fetches
and answers cost a round trip each (30–100 ms to LINE); made together, about one each. Calls for
the same chat stay in order, one after another, so a customer never sees a later answer before
an earlier one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class CallPool:
    """A small thread pool, started on first use in the process that uses it.

    A Huey worker process is forked from the consumer after the app is built; threads do not
    survive a fork, so each process starts its own pool.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="koubei-line")
                self._pid = os.getpid()
            return self._executor

    def run_by_key(self, fn: Callable[[T], R], items: Sequence[T],
                   key: Callable[[T], Hashable]) -> list[R | BaseException]:
        """Call ``fn`` on every item; items with the same key run in order, different keys at once.

        Returns, in the order of ``items``, each call's result or the exception it raised: one
        failure does not stop the others.
        """
        groups: dict[Hashable, list[int]] = {}
        for index, item in enumerate(items):
            groups.setdefault(key(item), []).append(index)
        outcomes: list[R | BaseException] = [None] * len(items)  # type: ignore[list-item]

        def run_group(indexes: list[int]) -> None:
            for index in indexes:
                try:
                    outcomes[index] = fn(items[index])
                except Exception as exc:  # handed back to the caller, which decides
                    outcomes[index] = exc

        if len(groups) <= 1 or self.size <= 1:
            for indexes in groups.values():
                run_group(indexes)
            return outcomes
        futures: list[Future] = [self._pool().submit(run_group, indexes) for indexes in groups.values()]
        for future in futures:
            future.result()
        return outcomes

"""A lean load client on raw sockets: closed loop for capacity, open loop for latency at a fixed rate.

Every loop is bounded by a request count and a deadline. Requests are prepared bytes, so the
client spends its CPU on connect/send/receive only; its own CPU time is reported beside the figures.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

TIMEOUT = 10.0


@dataclass
class Outcome:
    """What happened to one request: status (0 when the connection failed) and timings."""

    index: int
    status: int
    latency: float  # seconds from the intended send time to the last byte of the answer
    stored: int | None = None  # the bot's "stored" count, when it answered JSON


@dataclass
class RunResult:
    """All outcomes of one run, with its wall time and the client's own CPU time."""

    outcomes: list[Outcome] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu: float = 0.0

    @property
    def ok(self) -> list[Outcome]:
        """Answers with status 200."""
        return [o for o in self.outcomes if o.status == 200]

    @property
    def statuses(self) -> Counter:
        """How many requests ended with each status (0: no answer)."""
        return Counter(o.status for o in self.outcomes)

    @property
    def throughput(self) -> float:
        """Successful requests per second of wall time."""
        return len(self.ok) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile of successful requests, in milliseconds (nearest rank)."""
        latencies = sorted(o.latency for o in self.ok)
        if not latencies:
            return float("nan")
        rank = min(len(latencies) - 1, max(0, round(q / 100 * len(latencies)) - 1))
        return latencies[rank] * 1000


def post(address: tuple[str, int], request: bytes) -> tuple[int, bytes]:
    """Send one prepared request on a fresh connection; read until the server closes it."""
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head[9:12]), body


def _attempt(address: tuple[str, int], index: int, request: bytes, since: float) -> Outcome:
    try:
        status, body = post(address, request)
    except (OSError, ValueError):
        return Outcome(index, 0, time.perf_counter() - since)
    latency = time.perf_counter() - since
    stored = None
    if status == 200 and body.startswith(b"{"):
        try:
            stored = json.loads(body).get("stored")
        except ValueError:
            pass
    return Outcome(index, status, latency, stored)


def _run(threads: int, work) -> RunResult:
    result = RunResult()
    lock = threading.Lock()

    def worker() -> None:
        local = work()
        with lock:
            result.outcomes.extend(local)

    cpu, start = time.process_time(), time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.elapsed = time.perf_counter() - start
    result.client_cpu = time.process_time() - cpu
    result.outcomes.sort(key=lambda o: o.index)
    return result


def closed_loop(address: tuple[str, int], requests: Sequence[bytes], *, concurrency: int,
                duration: float) -> RunResult:
    """Keep `concurrency` requests in flight until the requests run out or the time is up."""
    counter = itertools.count()
    deadline = time.perf_counter() + duration

    def work() -> list[Outcome]:
        local = []
        while time.perf_counter() < deadline:
            index = next(counter)  # atomic under the GIL
            if index >= len(requests):
                break
            local.append(_attempt(address, index, requests[index], time.perf_counter()))
        return local

    return _run(concurrency, work)


def open_loop(address: tuple[str, int], requests: Sequence[bytes], *, rate: float, threads: int = 32) -> RunResult:
    """Send request i at start + i/rate whatever the server does; latency counts from that moment.

    Counting from the intended time, not the actual one, keeps a slow server from hiding its
    queueing delay (coordinated omission).
    """
    counter = itertools.count()
    start = time.perf_counter() + 0.05
    deadline = start + len(requests) / rate + 2 * TIMEOUT

    def work() -> list[Outcome]:
        local = []
        while True:
            index = next(counter)
            if index >= len(requests) or time.perf_counter() > deadline:
                break
            due = start + index / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            local.append(_attempt(address, index, requests[index], due))
        return local

    return _run(threads, work)

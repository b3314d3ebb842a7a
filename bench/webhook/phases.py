"""The four phases: (a) capacity, (b) latency at a fixed rate, (c) end-to-end, (d) zero-loss audit."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.webhook import checks, client, cpu, payloads
from bench.webhook.stack import Stack, StackError

DRAIN_STALL_SECONDS = 60.0  # a drain fails once no event finished and no answer went out for this long


@dataclass
class Run:
    """State shared by the phases: the stack, what was sent and what must come back."""

    args: argparse.Namespace
    stack: Stack
    ledger: checks.Ledger
    users: list[str]
    sent: dict[str, payloads.Prepared] = field(default_factory=dict)  # every event a request carried
    acked: set[str] = field(default_factory=set)  # events the bot answered 200 for
    unanswered: int = 0
    token_chats: dict[str, str] = field(default_factory=dict)
    server_pids: dict[str, list[int]] = field(default_factory=dict)  # Redis, known at start
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)  # phase -> group -> CPU seconds
    wall: dict[str, float] = field(default_factory=dict)  # phase -> seconds measured
    work: dict[str, int] = field(default_factory=dict)  # phase -> requests or events handled
    figures: dict[str, object] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """Host header for the bot."""
        return f"127.0.0.1:{self.stack.ports['bot']}"

    def address(self, name: str) -> tuple[str, int]:
        """Socket address of a server."""
        return "127.0.0.1", self.stack.ports[name]

    def build(self, count: int, seed: int, tokens: bool = False) -> list[payloads.Prepared]:
        """Signed events from the user pool; with real reply tokens when asked."""
        senders = payloads.senders_for(self.users, count, seed)
        minted = payloads.mint_reply_tokens(self.stack.url("emulator"), senders) if tokens else None
        if minted:
            self.token_chats.update(zip(minted, senders, strict=True))
        return payloads.prepare(self.host, self.stack.secret, senders, minted, seed)

    def account(self, prepared: list[payloads.Prepared], result: client.RunResult) -> None:
        """Remember which events went out and which the bot acknowledged."""
        for outcome in result.outcomes:
            item = prepared[outcome.index]
            self.sent[item.event_id] = item
            if outcome.status == 200:
                self.acked.add(item.event_id)
            else:
                self.unanswered += 1

    def _sample(self) -> cpu.Sample | None:
        trees = {key: process.pid for key, process in self.stack.processes.items()}
        servers = dict(self.server_pids)
        if backends := self.ledger.backend_pids():
            servers["database"] = backends
        return cpu.sample(trees, servers)

    def measure(self, name: str, work, units=None):
        """Run work() and add the CPU each process group spent to the phase's account.

        units(result) says how many requests or events the phase handled, for per-event costs.
        """
        before = self._sample()
        result = work()
        wall, used = cpu.spent(before, self._sample())
        account = self.cpu.setdefault(name, {})
        for group, seconds in used.items():
            account[group] = account.get(group, 0.0) + seconds
        self.wall[name] = self.wall.get(name, 0.0) + wall
        if units is not None:
            self.work[name] = self.work.get(name, 0) + units(result)
        self.stack.check_alive()
        return result

    def drain(self, label: str) -> None:
        """Wait until every stored event is done and answered; fail loudly once nothing moves for a while."""
        stored, _, _ = self.ledger.progress()
        if self.ledger.wait_drained(stored, stall=DRAIN_STALL_SECONDS) is None:
            raise StackError(f"{label}: backlog stuck for {DRAIN_STALL_SECONDS:.0f} s "
                             f"({self.ledger.progress()} of {stored}); "
                             f"see {self.stack.workdir}/consumer.log")


def phase_capacity(run: Run) -> None:
    """(a) Closed-loop capacity, bare Flask and bot web alternating, worker not yet running."""
    args = run.args
    per_round = int(args.ack_seconds * 5000)  # more than either server can take in the time
    # the same kind of signed bodies for the bare app, so both sides read the same bytes
    filler = [p.request for p in run.build(per_round, seed=args.seed * 1000)]
    hello, bot = [], []
    for number in range(args.rounds):
        prepared = run.build(per_round, seed=args.seed * 2000 + number)
        result = run.measure("a: bare Flask", lambda: client.closed_loop(
            run.address("hello"), filler, concurrency=args.concurrency, duration=args.ack_seconds),
            units=lambda r: len(r.ok))
        hello.append(result)
        result = run.measure("a: bot web (worker stopped)", lambda p=prepared: client.closed_loop(
            run.address("bot"), [x.request for x in p], concurrency=args.concurrency, duration=args.ack_seconds),
            units=lambda r: len(r.ok))
        run.account(prepared, result)
        bot.append(result)
    run.figures["hello_rps"] = [r.throughput for r in hello]
    run.figures["bot_rps"] = [r.throughput for r in bot]
    run.figures["hello_errors"] = sum(len(r.outcomes) - len(r.ok) for r in hello)
    run.figures["bot_p50_ms"] = statistics.median(r.percentile(50) for r in bot)
    run.figures["hello_p50_ms"] = statistics.median(r.percentile(50) for r in hello)
    run.figures["client_cpu_share"] = max(r.client_cpu / r.elapsed for r in hello + bot)


def warm_up(run: Run, count: int = 40) -> None:
    """A few events through the whole path first, so one-time loads (models, imports) are not timed."""
    prepared = run.build(count, seed=run.args.seed * 5000, tokens=True)
    result = client.closed_loop(run.address("bot"), [p.request for p in prepared], concurrency=1, duration=60.0)
    run.account(prepared, result)
    run.drain("warm-up")


def phase_rate(run: Run) -> None:
    """(b) Open-loop fixed rate with the worker running: ack latency percentiles."""
    args = run.args
    prepared = run.build(int(args.rate * args.rate_seconds), seed=args.seed * 3000)
    result = run.measure("b: fixed rate", lambda: client.open_loop(
        run.address("bot"), [p.request for p in prepared], rate=args.rate))
    run.account(prepared, result)
    run.figures.update(rate_planned=len(prepared), rate_sent=len(result.outcomes), rate_ok=len(result.ok),
                       rate_elapsed=result.elapsed,
                       p50_ms=result.percentile(50), p99_ms=result.percentile(99), max_ms=result.percentile(100))
    run.drain("phase b")


def phase_end_to_end(run: Run) -> None:
    """(c) N events as fast as the bot acks them; time until the emulator recorded the last answer."""
    args = run.args
    prepared = run.build(args.events, seed=args.seed * 4000, tokens=True)
    rng = random.Random(args.seed)
    # redeliver bodies sent well before the end (their originals are long acknowledged); small runs: the first half
    pool = range(max(1, args.events - min(200, args.events // 2)))
    again = rng.sample(pool, k=min(len(pool), int(args.events * args.redeliveries)))
    requests = [p.request for p in prepared] + [prepared[i].request for i in again]
    start = time.time()
    result = run.measure("c: send", lambda: client.closed_loop(
        run.address("bot"), requests, concurrency=args.concurrency, duration=120.0),
        units=lambda r: sum(1 for o in r.outcomes if o.index < args.events and o.status == 200))
    acked_at = time.time()
    originals = client.RunResult([o for o in result.outcomes if o.index < args.events], result.elapsed)
    run.account(prepared, originals)
    resent = [o for o in result.outcomes if o.index >= args.events]
    run.measure("c: drain", lambda: run.drain("phase c"))
    run.figures.update(e2e_events=args.events, e2e_start=start, e2e_acked_at=acked_at,
                       e2e_ack_rps=len(result.ok) / result.elapsed if result.elapsed else 0.0,
                       redeliveries=len(resent), redeliveries_deduplicated=sum(
                           1 for o in resent if o.status == 200 and o.stored == 0))


def audit(run: Run) -> None:
    """(d) Zero loss: every acknowledged event stored once, done, answered exactly once."""
    stored = run.ledger.audit()
    ids = stored["ids"]
    deliveries = checks.fetch_deliveries(run.stack.url("emulator"), run.token_chats)
    expected_chats = Counter(run.sent[e].user_id for e in ids if e in run.sent)
    run.figures.update(
        stored=len(ids), stored_distinct=len(set(ids)), duplicate_events=checks.duplicates(ids),
        lost=len(run.acked - set(ids)), stored_without_ack=len(set(ids) - run.acked), unanswered=run.unanswered,
        event_statuses=stored["statuses"], outbox=stored["outbox"],
        messages_per_event={str(k): v for k, v in stored["messages_per_event"].items()},
        replies=deliveries.replies, pushes=deliveries.pushes, refused_calls=deliveries.refused,
        tokens_used_twice=sum(1 for c in deliveries.replies_by_token.values() if c > 1),
        chats_mismatched=checks.compare_chats(expected_chats, deliveries.per_chat),
    )
    if "e2e_start" in run.figures:
        # phase (b) was drained before (c) began: every answer recorded since then belongs to (c)
        start = run.figures["e2e_start"]
        last = max((t for t in deliveries.times if t >= start), default=start)
        seconds = last - start
        run.figures.update(e2e_seconds=seconds, e2e_rps=run.args.events / seconds if seconds > 0 else 0.0)

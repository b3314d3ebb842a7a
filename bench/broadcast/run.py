"""``python -m bench.broadcast``: seed followers, broadcast a survey to all, then kill -9 a worker mid-send and resume.

Phase 1 runs planning, the recipients snapshot, recording and sending in one timed child process
(the figures the targets are about). Phase 2 sends a second survey from a real Huey consumer,
kills it with SIGKILL in the middle, starts a new one, and lets the per-minute sweep resume the
send. Both phases are audited against the emulator's record of every multicast call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select

from bench.broadcast.stack import Stack, StackError, peak_memory_mb
from bot.config import PROJECT_ROOT
from storage.models import BatchStatus, Broadcast, BroadcastBatch, BroadcastRecipient, Customer

MULTICAST = "/v2/bot/message/multicast"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Options; the defaults are the documented run."""
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite",
                        help="'sqlite' (a fresh file) or a PostgreSQL URL whose database is DROPPED and recreated")
    parser.add_argument("--kill-at", type=float, default=0.4, help="share of phase 2's batches sent before the kill")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, database)")
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures (default: bench/results/)")
    return parser.parse_args(argv)


def emulator_calls(stack: Stack) -> list[dict]:
    """Every Messaging API call the emulator recorded since its last reset."""
    return requests.get(stack.emulator_url + "/_emulator/calls", timeout=120).json()


def audit(stack: Stack, broadcast_id: int) -> dict:
    """Compare what LINE accepted with the recipients snapshot: calls, 409s, duplicates, missed."""
    calls = emulator_calls(stack)
    multicasts = [c for c in calls if c["path"] == MULTICAST]
    accepted = Counter(user for c in multicasts if c["status"] == 200 for user in c["requestBody"]["to"])
    engine = create_engine(stack.database_url)
    with engine.connect() as conn:
        snapshot = set(conn.scalars(select(Customer.line_user_id).join(
            BroadcastRecipient, BroadcastRecipient.customer_id == Customer.id)
            .where(BroadcastRecipient.broadcast_id == broadcast_id)))
        status = conn.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
    engine.dispose()
    return {"status": status, "api_calls": len(calls), "multicast_calls": len(multicasts),
            "calls_by_status": dict(Counter(str(c["status"]) for c in multicasts)),
            "recipients": len(snapshot), "delivered": len(accepted),
            "duplicates": sum(n - 1 for n in accepted.values() if n > 1),
            "missed": len(snapshot - accepted.keys()), "strangers": len(accepted.keys() - snapshot),
            "largest_call": max((len(c["requestBody"]["to"]) for c in multicasts), default=0)}


def phase_one(stack: Stack) -> dict:
    """A clean broadcast of the first survey, timed in its own process."""
    figures = json.loads(stack.python("-m", "bench.broadcast.pipeline", "--survey", "post_purchase").splitlines()[-1])
    figures["audit"] = audit(stack, figures["broadcast_id"])
    figures["recipients_per_s"] = figures["recipients"] / figures["total_s"]
    requests.post(stack.emulator_url + "/_emulator/reset", timeout=30)  # phase 2 is audited on its own
    return figures


def _batches_sent(engine, broadcast_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        sent = conn.scalar(select(func.count()).select_from(BroadcastBatch).where(
            BroadcastBatch.broadcast_id == broadcast_id, BroadcastBatch.status == BatchStatus.SENT))
        total = conn.scalar(select(func.count()).select_from(BroadcastBatch).where(
            BroadcastBatch.broadcast_id == broadcast_id))
    return sent, total


def _delays_left(stack: Stack) -> int:
    faults = requests.get(stack.emulator_url + "/_emulator/faults", timeout=10).json()
    return faults[0]["remaining"] if faults else 0


def phase_two(stack: Stack, kill_at: float) -> dict:
    """A second survey sent by a real consumer, which is killed with SIGKILL mid-send; a new one resumes."""
    engine = create_engine(stack.database_url)
    consumer = stack.start_consumer("consumer-1")
    started = time.perf_counter()
    stack.flask("broadcast", "create", "--survey", "service_recovery", "--segment", "all", "--yes")
    broadcast_id, deadline = 2, time.monotonic() + 300
    while (progress := _batches_sent(engine, broadcast_id))[0] < kill_at * max(progress[1], 1):
        if time.monotonic() > deadline or consumer.poll() is not None:
            raise StackError(f"no progress before the kill:\n{stack.log_tail('consumer-1')}")
        time.sleep(0.01)
    # hold the next calls inside "LINE" for a moment, so the kill lands while one is in flight:
    # LINE accepts it, the dead worker never records it, and its resend must come back 409
    requests.post(stack.emulator_url + "/_emulator/faults", json={"delay": 1.0, "count": 4, "path": MULTICAST},
                  timeout=10)
    while (_delays_left(stack) == 4 and _batches_sent(engine, broadcast_id)[0] < progress[1]
           and time.monotonic() < deadline):  # with few batches the send may be over before the next call
        time.sleep(0.01)
    first_peak = peak_memory_mb(consumer.pid)
    stack.kill("consumer-1")
    killed_at, sent_at_kill = time.perf_counter(), _batches_sent(engine, broadcast_id)[0]
    consumer = stack.start_consumer("consumer-2")
    while _batches_sent(engine, broadcast_id)[0] < progress[1]:
        if time.monotonic() > deadline + 120 or consumer.poll() is not None:
            raise StackError(f"the send did not resume:\n{stack.log_tail('consumer-2')}")
        time.sleep(0.2)
    finished = time.perf_counter()
    second_peak = peak_memory_mb(consumer.pid)
    engine.dispose()
    return {"broadcast_id": broadcast_id, "batches": progress[1], "batches_sent_at_kill": sent_at_kill,
            "killed_after_s": killed_at - started, "resumed_within_s": finished - killed_at,
            "total_s": finished - started, "consumer_peak_mb": [first_peak, second_peak],
            "audit": audit(stack, broadcast_id)}


def seed(stack: Stack, followers: int) -> float:
    """Schema, the example surveys and the followers; returns the seeding time."""
    stack.flask("db", "upgrade")
    stack.flask("surveys", "import", "examples/surveys/post_purchase.yaml", "examples/surveys/service_recovery.yaml")
    started = time.perf_counter()
    stack.flask("customers", "seed", str(followers))
    return time.perf_counter() - started


def table(results: dict) -> str:
    """The figures as a Markdown table."""
    one, two = results["phase_1"], results["phase_2"]
    a1, a2 = one["audit"], two["audit"]
    calls2 = ", ".join(f"{n} × {s}" for s, n in sorted(a2["calls_by_status"].items()))
    rows = [
        ("Recipients", f"{a1['recipients']:,}", f"{a2['recipients']:,}"),
        ("Multicast calls (by LINE's answer)", f"{a1['multicast_calls']} ({a1['calls_by_status']})",
         f"{a2['multicast_calls']} ({calls2})"),
        ("API calls in all", f"{a1['api_calls']}", f"{a2['api_calls']}"),
        ("Largest call", f"{a1['largest_call']} recipients", f"{a2['largest_call']} recipients"),
        ("Wall time", f"{one['total_s']:.2f} s (plan {one['plan_s']:.2f} + snapshot {one['snapshot_s']:.2f} "
                      f"+ send {one['send_s']:.2f})",
         f"{two['total_s']:.1f} s (killed after {two['killed_after_s']:.1f} s at "
         f"{two['batches_sent_at_kill']}/{two['batches']} batches; resumed and done {two['resumed_within_s']:.1f} s "
         "later)"),
        ("Recipients per second", f"{one['recipients_per_s']:,.0f}", "—"),
        ("Peak memory", f"{one['peak_mb']:.0f} MB (of which {one['baseline_mb']:.0f} MB before the broadcast)",
         " / ".join(f"{m:.0f} MB" for m in two["consumer_peak_mb"] if m) + " (killed / resuming consumer)"),
        ("Duplicates / missed", f"{a1['duplicates']} / {a1['missed']}", f"{a2['duplicates']} / {a2['missed']}"),
        ("Final status", a1["status"], a2["status"]),
    ]
    lines = ["| | Broadcast 1 (clean, one process) | Broadcast 2 (consumer killed -9, resumed) |",
             "| --- | --- | --- |"]
    return "\n".join(lines + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def main(argv: list[str] | None = None) -> int:
    """Run both phases, print the table, write the JSON; stop everything started."""
    args = parse_args(argv)
    stack = Stack(args.database, args.keep)
    try:
        stack.start_emulator()
        results = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "followers": args.followers,
                   "database": "SQLite (WAL)" if args.database == "sqlite" else "PostgreSQL",
                   "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                              f"load average {os.getloadavg()[0]:.1f} at start"}
        results["seed_s"] = seed(stack, args.followers)
        results["phase_1"] = phase_one(stack)
        results["phase_2"] = phase_two(stack, args.kill_at)
    except StackError as exc:
        print(f"benchmark failed: {exc}")
        return 1
    finally:
        stack.stop()
    print(f"{results['followers']:,} followers on {results['database']}; {results['machine']}; "
          f"seeded in {results['seed_s']:.1f} s\n")
    print(table(results))
    out = args.json or PROJECT_ROOT / "bench" / "results" / f"broadcast-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nfigures: {out}")
    failed = [name for name in ("phase_1", "phase_2") if results[name]["audit"]["duplicates"]
              or results[name]["audit"]["missed"]]
    return 1 if failed else 0

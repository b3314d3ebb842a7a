"""The results as Markdown against the issue's targets, and as JSON for later comparison."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench.webhook import report

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


def correct(f: dict) -> bool:
    """Nothing lost, nothing stored or answered twice, every redelivery deduplicated."""
    return (f["lost"] == 0 and f["duplicate_events"] == 0 and f["tokens_used_twice"] == 0
            and f["chats_mismatched"] == 0 and f["refused_calls"] == 0
            and f.get("redeliveries_deduplicated") == f.get("redeliveries")
            and set(f["event_statuses"]) <= {"done"})


def _capacity_rows(f: dict, a: argparse.Namespace) -> list[tuple]:
    hello, bot = statistics.median(f["hello_rps"]), statistics.median(f["bot_rps"])
    ratio = bot / hello if hello else 0.0
    return [
        ("(a) ack throughput, bare Flask hello", "—", f"{hello:,.0f} req/s", report.verdict(None)),
        ("(a) ack throughput, bot web (worker stopped)", "≥ 50 % of bare",
         f"{bot:,.0f} req/s = {ratio:.0%} of bare", report.verdict(ratio >= 0.5)),
        ("(a) ack p50 in those runs, bare / bot", "—",
         f"{f['hello_p50_ms']:.1f} / {f['bot_p50_ms']:.1f} ms", report.verdict(None)),
    ]


def _rate_rows(f: dict, a: argparse.Namespace) -> list[tuple]:
    return [(f"(b) ack p50 / p99 / max at {a.rate:.0f} events/s for {a.rate_seconds:g} s, worker running "
             f"({f['rate_ok']:,}/{f['rate_sent']:,} answered 200)", "p99 < 50 ms",
             f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f} ms",
             report.verdict(f["p99_ms"] < 50 and f["rate_ok"] == f["rate_sent"]))]


def _end_to_end_rows(f: dict, a: argparse.Namespace) -> list[tuple]:
    return [
        (f"(c) end-to-end, {a.events:,} text events, first send → last answer recorded by the emulator",
         "≥ 300 events/s", f"{f['e2e_rps']:,.0f} events/s ({f['e2e_seconds']:.1f} s)",
         report.verdict(f["e2e_rps"] >= 300)),
        ("(c) ack throughput while the worker drains", "—", f"{f['e2e_ack_rps']:,.0f} req/s", report.verdict(None)),
        ("(c) redeliveries answered 200 and not stored again", "all",
         f"{f['redeliveries_deduplicated']} / {f['redeliveries']}",
         report.verdict(f["redeliveries_deduplicated"] == f["redeliveries"])),
    ]


def _audit_rows(f: dict) -> list[tuple]:
    unfinished = sum(v for k, v in f["event_statuses"].items() if k != "done")
    return [
        ("(d) events lost (acked but not stored, or stored but not done)", "0", f"{f['lost'] + unfinished}",
         report.verdict(f["lost"] + unfinished == 0)),
        ("(d) duplicates: events stored twice / reply tokens used twice / chats without exactly one "
         "answer per message", "0", f"{f['duplicate_events']} / {f['tokens_used_twice']} / {f['chats_mismatched']}",
         report.verdict(f["duplicate_events"] + f["tokens_used_twice"] + f["chats_mismatched"] == 0)),
    ]


def render(figures: dict, args: argparse.Namespace, info: list[tuple[str, str]], cpu: dict) -> str:
    """The Markdown the command prints (and docs/benchmarks.md quotes)."""
    f, a = figures, args
    rows = []
    if "bot_rps" in f:
        rows += _capacity_rows(f, a)
    if "p99_ms" in f:
        rows += _rate_rows(f, a)
    if "e2e_rps" in f:
        rows += _end_to_end_rows(f, a)
    rows += _audit_rows(f)
    totals = (f"{f['stored']:,} events stored; the emulator accepted {f['replies']:,} replies and "
              f"{f['pushes']:,} pushes and refused {f['refused_calls']} calls; {f['unanswered']} requests got no "
              f"200; {f['stored_without_ack']} events were stored without a 200.")
    latency = f" Every Messaging API call answered after {a.line_latency:g} ms." if a.line_latency else ""
    notes = [f"Consumer: {a.workers} {a.worker_type} workers. Closed-loop runs keep {a.concurrency} requests "
             f"in flight.{latency}"]
    if "bot_rps" in f:
        notes.append(f"Capacity: {a.rounds} alternating runs of {a.ack_seconds:g} s per server, median shown "
                     f"(bare: {', '.join(f'{x:,.0f}' for x in f['hello_rps'])}; bot: "
                     f"{', '.join(f'{x:,.0f}' for x in f['bot_rps'])} req/s); the load client used at most "
                     f"{f['client_cpu_share']:.2f} of a core.")
    parts = ["### Machine", report.table(("", ""), info),
             "### Results", report.table(("Measure", "Target", "Result", ""), rows), totals, " ".join(notes),
             "### CPU (cores in use on average; 'other processes' is everything else on the machine)",
             report.cpu_table(cpu)]
    return "\n\n".join(parts)


def save(args: argparse.Namespace, figures: dict, info: list[tuple[str, str]], cpu: dict) -> Path:
    """Keep the raw figures beside the Markdown (bench/results/ is not committed)."""
    path = args.json or RESULTS_DIR / f"webhook-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"options": {k: str(v) for k, v in vars(args).items()}, "machine": dict(info),
                "figures": figures, "cpu": cpu}
    path.write_text(json.dumps(document, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
    print(f"\nfigures saved to {path}", file=sys.stderr)
    return path

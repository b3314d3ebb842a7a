"""The results as Markdown against the issue's targets, and as JSON for later comparison."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench.webhook import report
from bench.webhook.phases import Run

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
    sent = (f"{f['rate_ok']:,} of {f['rate_planned']:,} answered 200" if f["rate_sent"] == f["rate_planned"] else
            f"only {f['rate_sent']:,} of {f['rate_planned']:,} sent before the deadline, {f['rate_ok']:,} answered 200")
    return [(f"(b) ack p50 / p99 / max at {a.rate:.0f} events/s for {a.rate_seconds:g} s, worker running "
             f"({sent}; latency counted from each request's scheduled time)", "p99 < 50 ms",
             f"{f['p50_ms']:,.1f} / {f['p99_ms']:,.1f} / {f['max_ms']:,.1f} ms",
             report.verdict(f["p99_ms"] < 50 and f["rate_ok"] == f["rate_planned"]))]


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


GROUPS = (("bot", "bot web"), ("consumer", "consumer"), ("emulator", "emulator"), ("hello", "bare Flask"),
          ("database", "PostgreSQL"), ("redis", "Redis"), ("client", "load client"), ("other", "other processes"))
SERVICE = ("bot", "consumer", "emulator", "hello", "database", "redis")  # what serving an event costs


def cores_table(run: Run) -> str:
    """Average cores each group used during each phase."""
    shown = [(key, label) for key, label in GROUPS if any(run.cpu[p].get(key) for p in run.cpu)]
    rows = [(phase, *(f"{run.cpu[phase].get(key, 0.0) / run.wall[phase]:.2f}" for key, _ in shown))
            for phase in run.cpu if run.wall.get(phase)]
    return report.table(("Phase", *(label for _, label in shown)), rows)


def cost_table(run: Run, cores: int) -> str:
    """CPU milliseconds per request or event, and the ceiling they imply on this many dedicated cores."""
    spans = {"(a) bare Flask, per request": ["a: bare Flask"],
             "(a) bot web, per acknowledged webhook": ["a: bot web (worker stopped)"],
             "(c) end-to-end, per event (ack + processing + reply)": ["c: send", "c: drain"]}
    rows = []
    for label, phases in spans.items():
        count = run.work.get(phases[0], 0)
        if not count or not all(p in run.cpu for p in phases):
            continue
        per = {key: sum(run.cpu[p].get(key, 0.0) for p in phases) * 1000 / count for key in SERVICE}
        total = sum(per.values())
        rows.append((label, *(f"{per[key]:.2f}" for key in SERVICE), f"{total:.2f}",
                     f"{cores * 1000 / total:,.0f}/s" if total else "—"))
    headers = ("Path", *(dict(GROUPS)[key] for key in SERVICE), "total ms", f"ceiling on {cores} cores")
    return report.table(headers, rows)


def render(run: Run, info: list[tuple[str, str]]) -> str:
    """The Markdown the command prints (and docs/benchmarks.md quotes)."""
    f, a = run.figures, run.args
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
    batch = f", batches of up to {a.batch_size} events" if a.batch_size else ", the bot's default batch size"
    notes = [f"Consumer: {a.workers} {a.worker_type} workers{batch}. Closed-loop runs keep {a.concurrency} "
             f"requests in flight.{latency}"]
    if "bot_rps" in f:
        notes.append(f"Capacity: {a.rounds} alternating runs of {a.ack_seconds:g} s per server, median shown "
                     f"(bare: {', '.join(f'{x:,.0f}' for x in f['hello_rps'])}; bot: "
                     f"{', '.join(f'{x:,.0f}' for x in f['bot_rps'])} req/s); the load client used at most "
                     f"{f['client_cpu_share']:.2f} of a core.")
    parts = ["### Machine", report.table(("", ""), info),
             "### Results", report.table(("Measure", "Target", "Result", ""), rows), totals, " ".join(notes),
             "### CPU (cores in use on average; 'other processes' is everything else on the machine)",
             cores_table(run),
             "### CPU cost (milliseconds of CPU per request or event, by process)", cost_table(run, report.cores())]
    return "\n\n".join(parts)


def save(run: Run, info: list[tuple[str, str]]) -> Path:
    """Keep the raw figures beside the Markdown (bench/results/ is not committed)."""
    path = run.args.json or RESULTS_DIR / f"webhook-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"options": {k: str(v) for k, v in vars(run.args).items()}, "machine": dict(info),
                "figures": run.figures, "cpu_seconds": run.cpu, "wall_seconds": run.wall, "handled": run.work}
    path.write_text(json.dumps(document, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
    print(f"\nfigures saved to {path}", file=sys.stderr)
    return path

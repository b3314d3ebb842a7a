"""``python -m bench.webhook``: start the stack, run the phases, audit, print Markdown results."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from bench.webhook import checks, payloads, phases, report, results, servers
from bench.webhook.stack import Stack, StackConfig, StackError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Options; the defaults are the documented run."""
    parser = argparse.ArgumentParser(prog="python -m bench.webhook", description=__doc__)
    parser.add_argument("--events", type=int, default=6000, help="text events in the end-to-end phase (c)")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s in the fixed-rate latency phase (b)")
    parser.add_argument("--rate-seconds", type=float, default=20.0, help="length of phase (b)")
    parser.add_argument("--ack-seconds", type=float, default=4.0, help="length of each capacity run in phase (a)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/bot capacity runs in phase (a)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight in closed-loop runs")
    parser.add_argument("--users", type=int, default=None, help="distinct senders (default: events / 4)")
    parser.add_argument("--database", default="sqlite",
                        help="'sqlite' (a fresh file) or a PostgreSQL URL whose database is DROPPED and recreated")
    parser.add_argument("--redis", default=None, help="run Huey on this Redis URL (that db is flushed)")
    parser.add_argument("--workers", type=int, default=2, help="Huey consumer workers (the Procfile's default)")
    parser.add_argument("--worker-type", default="process", choices=("thread", "process"))
    parser.add_argument("--batch-size", type=int, default=None,
                        help="KOUBEI_EVENT_BATCH_SIZE for the bot (default: the bot's own default)")
    parser.add_argument("--max-delay", type=float, default=1.0, help="consumer's longest idle poll (seconds)")
    parser.add_argument("--line-latency", type=float, default=0.0,
                        help="milliseconds the emulator waits before answering each Messaging API call "
                             "(LINE is ~30-100 ms away from most servers; loopback is ~0)")
    parser.add_argument("--redeliveries", type=float, default=0.01,
                        help="share of phase (c) bodies sent a second time, as LINE does after a lost ack")
    parser.add_argument("--phases", default="abc", help="which of the phases a, b, c to run (d always runs)")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, databases)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here (default: bench/results/)")
    args = parser.parse_args(argv)
    args.users = args.users or max(1, args.events // 4)
    if not set(args.phases) <= set("abc"):
        parser.error("--phases takes letters from 'abc'")
    return args


def run_all(run: phases.Run) -> None:
    """The chosen phases in order; the consumer starts after the capacity runs (or at once)."""
    wanted = run.args.phases
    if "a" in wanted:
        phases.phase_capacity(run)
    run.stack.start_consumer()
    phases.warm_up(run)
    run.drain("phase a backlog")
    if "b" in wanted:
        phases.phase_rate(run)
    if "c" in wanted:
        phases.phase_end_to_end(run)
    phases.audit(run)


def _terminate(*_args) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when an event was lost or answered twice, 130 on Ctrl-C."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    database_url = servers.prepare_database(args.database)
    redis_url = servers.prepare_redis(args.redis)
    config = StackConfig(database_url=database_url, redis_url=redis_url, consumer_workers=args.workers,
                         consumer_type=args.worker_type, consumer_max_delay=args.max_delay, keep_workdir=args.keep,
                         event_batch_size=args.batch_size)
    stack = Stack(config)
    info = report.machine(servers.describe_database(stack.database_url), servers.describe_queue(redis_url))
    print(f"work dir: {stack.workdir}", file=sys.stderr, flush=True)
    try:
        with stack:
            stack.migrate()
            stack.start_servers()
            if args.line_latency:
                stack.slow_line_api(args.line_latency / 1000)
            users = payloads.user_ids(args.users)
            payloads.register_users(stack.url("emulator"), users, args.seed)
            run = phases.Run(args, stack, checks.Ledger(stack.database_url), users,
                             server_pids={"redis": servers.redis_pids(redis_url)} if redis_url else {})
            try:
                run_all(run)
            finally:
                run.ledger.close()
    except KeyboardInterrupt:
        print("interrupted: every process stopped", file=sys.stderr)
        return 130
    except StackError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(results.render(run, info))
    results.save(run, info)
    return 0 if results.correct(run.figures) else 1

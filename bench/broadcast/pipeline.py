"""One broadcast through our own pipeline in this process, timed phase by phase (run as a child process).

``python -m bench.broadcast.pipeline --survey KEY`` with the bench's environment: preview (planning),
create and start (recipients snapshot into batches), then the sender (multicast to the emulator,
recording every batch before and after). Prints one JSON line; the peak memory is this process's.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from bot import broadcasting, create_app
from bot.config import Settings
from bot.services import get_services
from handlers import broadcasts as planning


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    """Run the broadcast and print its timings, recipients and peak memory as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--survey", required=True)
    parser.add_argument("--segment", default="all")
    args = parser.parse_args()
    services = get_services(create_app(Settings.from_env(huey_immediate=True)))
    baseline = _rss_mb()
    started = time.perf_counter()
    with services.db.session_scope() as session:
        plan = planning.preview(session, survey_key=args.survey, spec=args.segment, now=services.clock(),
                                catalogue=services.catalogue, options=services.settings.extra)
    planned = time.perf_counter()
    with services.db.session_scope() as session:
        broadcast_id = planning.create(session, plan=plan, at=None, now=services.clock()).id
    with services.db.session_scope() as session:
        planning.start(session, broadcast_id=broadcast_id, now=services.clock(), catalogue=services.catalogue,
                       options=services.settings.extra)
    snapshotted = time.perf_counter()
    status = broadcasting.run(services, broadcast_id)
    finished = time.perf_counter()
    print(json.dumps({
        "broadcast_id": broadcast_id, "status": status, "recipients": plan.audience.recipients,
        "batches": plan.audience.batches, "plan_s": planned - started, "snapshot_s": snapshotted - planned,
        "send_s": finished - snapshotted, "total_s": finished - started, "baseline_mb": baseline,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }), flush=True)


if __name__ == "__main__":
    main()

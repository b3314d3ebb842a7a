"""The periodic job that starts scheduled broadcasts when their time comes."""

from __future__ import annotations

from handlers.broadcasts import planning
from handlers.jobs import JobContext
from handlers.replies import Notify
from storage import broadcasts

JOB_NAME = "broadcasts_due"


def start_due(ctx: JobContext) -> list[Notify]:
    """Claim each due broadcast and snapshot its recipients; the worker's sender then multicasts the batches.

    The claim is an UPDATE … WHERE status = 'scheduled', so two workers running this job at once
    start each broadcast once. Nothing is pushed through the outbox: broadcasts go by multicast.
    """
    for broadcast_id in broadcasts.list_due_ids(ctx.session, now=ctx.now):
        planning.start(ctx.session, broadcast_id=broadcast_id, now=ctx.now, catalogue=ctx.catalogue,
                       options=ctx.options)
    return []

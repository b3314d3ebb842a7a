"""Survey broadcasts: segments, preview, scheduling, the one-tap invitation and the results.

Sending belongs to ``bot/broadcasting.py``; this package decides who, what and when.
"""

from __future__ import annotations

from handlers.actions import Action
from handlers.broadcasts import scheduling
from handlers.broadcasts.invitation import invitation_card, on_start
from handlers.broadcasts.planning import (
    MULTICAST_LIMIT,
    Audience,
    BroadcastOptions,
    BroadcastRefused,
    Preview,
    cancel,
    create,
    invitation_cards,
    preview,
    resume,
    start,
)
from handlers.broadcasts.segments import InvalidSegment, Segment, normalize_tag, parse_segment
from handlers.broadcasts.stats import Report, build_report
from handlers.routing import Router

__all__ = ["MULTICAST_LIMIT", "Audience", "BroadcastOptions", "BroadcastRefused", "InvalidSegment", "Preview",
           "Report", "Segment", "build_report", "cancel", "create", "invitation_card", "invitation_cards",
           "normalize_tag", "parse_segment", "preview", "register", "resume", "start"]


def register(router: Router) -> None:
    """Attach the invitation button and the job that starts scheduled broadcasts."""
    router.on_postback(Action.BROADCAST_START, on_start)
    router.every(1, scheduling.JOB_NAME, scheduling.start_due)

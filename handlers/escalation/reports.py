"""The cases report: how many, how fast, how often late, and how many customers were won back."""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy.orm import Session

from handlers.escalation.recovery import RECOVERED_AT_LEAST
from storage import cases
from storage.models import Case, CaseStatus


def _median_seconds(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def claim_breached(case: Case, now: datetime) -> bool:
    """Nobody took the case (claimed it, or resolved it outright) before its claim deadline."""
    taken = case.claimed_at or case.resolved_at or now
    return taken > case.claim_due_at


def resolve_breached(case: Case, now: datetime) -> bool:
    """The case was not resolved by its resolution deadline (or still is not, past it)."""
    return (case.resolved_at or now) > case.resolve_due_at


def build_report(session: Session, *, now: datetime, since: datetime | None = None) -> dict[str, Any]:
    """Counts, median times, SLA breaches and the recovery rate of the cases opened since ``since``."""
    rows = cases.list_cases(session, since=since)
    counts = {status.value: sum(c.status == status for c in rows) for status in CaseStatus}
    resolved = [c for c in rows if c.status == CaseStatus.RESOLVED]
    answered = [c for c in resolved if c.recovery_rating is not None]
    recovered = [c for c in answered if c.recovery_rating >= RECOVERED_AT_LEAST]
    claim_late = [c for c in rows if claim_breached(c, now)]
    resolve_late = [c for c in rows if resolve_breached(c, now)]
    return {
        "generated_at": now.isoformat(),
        "since": since.isoformat() if since else None,
        "cases": {**counts, "total": len(rows)},
        "by_source": {source: sum(c.source == source for c in rows) for source in sorted({c.source for c in rows})},
        "median_seconds_to_first_response": _median_seconds(
            [(c.first_response_at - c.opened_at).total_seconds() for c in rows if c.first_response_at]),
        "median_seconds_to_resolution": _median_seconds(
            [(c.resolved_at - c.opened_at).total_seconds() for c in resolved if c.resolved_at]),
        "sla": {
            "claim_breaches": len(claim_late),
            "resolve_breaches": len(resolve_late),
            "breached_cases": len({c.id for c in claim_late} | {c.id for c in resolve_late}),
            "re_escalated": sum(c.escalated_at is not None for c in rows),
            "overdue_alerts": sum(c.overdue_alerted_at is not None for c in rows),
        },
        "recovery": {
            "resolved": len(resolved),
            "surveys_sent": sum(c.recovery_invitation_id is not None for c in resolved),
            "surveys_answered": len(answered),
            "recovered": len(recovered),
            "recovery_rate": _share(len(recovered), len(resolved)),
            "recovery_rate_of_answered": _share(len(recovered), len(answered)),
        },
    }

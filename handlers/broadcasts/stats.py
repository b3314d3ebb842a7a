"""Progress and results of a broadcast, for `flask broadcast status`, the progress bar and the final report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage import broadcast_stats, broadcasts
from storage.models import BatchStatus, Broadcast, Survey, SurveyVersion
from storage.models.broadcasts import FINAL_STATUSES

# completions are counted at these times after the send started ("response rate over time")
CHECKPOINTS = (("1 h", timedelta(hours=1)), ("6 h", timedelta(hours=6)), ("24 h", timedelta(days=1)),
               ("3 d", timedelta(days=3)), ("7 d", timedelta(days=7)))


@dataclass(frozen=True)
class Failure:
    """A batch LINE refused, and why."""

    number: int
    size: int
    attempts: int
    error: str | None


@dataclass(frozen=True)
class Report:
    """Where a broadcast stands and what it achieved so far."""

    broadcast: Broadcast
    survey: Survey
    version_number: int | None
    batches: dict[str, tuple[int, int]]
    failures: list[Failure] = field(default_factory=list)
    starts: int = 0
    completions: int = 0
    over_time: list[tuple[str, int | None]] = field(default_factory=list)

    def count(self, status: BatchStatus) -> int:
        """Recipients whose batch is in this state."""
        return self.batches.get(status, (0, 0))[1]

    @property
    def total_batches(self) -> int:
        """Multicast calls the broadcast needs."""
        return sum(batches for batches, _ in self.batches.values())

    @property
    def sent(self) -> int:
        """Recipients LINE accepted."""
        return self.count(BatchStatus.SENT)

    @property
    def done(self) -> int:
        """Recipients whose batch is settled, sent or not (for the progress bar)."""
        return self.sent + self.count(BatchStatus.FAILED) + self.count(BatchStatus.CANCELLED)

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen without someone acting."""
        return self.broadcast.status in FINAL_STATUSES

    def rate(self, count: int | None) -> float | None:
        """A count as a share of the recipients reached, in per cent."""
        return round(100 * count / self.sent, 1) if count is not None and self.sent else None

    def as_dict(self) -> dict:
        """The report as plain JSON values (times in UTC, ISO 8601; rates in per cent, null until known)."""
        broadcast = self.broadcast
        return {
            "id": broadcast.id, "survey": self.survey.key, "version": self.version_number,
            "segment": broadcast.segment, "status": str(broadcast.status),
            "scheduled_at": _iso(broadcast.scheduled_at), "started_at": _iso(broadcast.started_at),
            "finished_at": _iso(broadcast.finished_at), "stop_reason": broadcast.stop_reason,
            "previewed_recipients": broadcast.previewed_recipients, "recipients": broadcast.recipients,
            "excluded": dict(broadcast.exclusions or {}),
            "batches": {str(status): {"batches": batches, "recipients": recipients}
                        for status, (batches, recipients) in self.batches.items()},
            "failures": [{"batch": f.number, "recipients": f.size, "attempts": f.attempts, "error": f.error}
                         for f in self.failures],
            "sent": self.sent, "starts": self.starts, "completions": self.completions,
            "start_rate": self.rate(self.starts), "response_rate": self.rate(self.completions),
            "response_rate_over_time": {label: self.rate(dict(self.over_time).get(label)) for label, _ in CHECKPOINTS},
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def build_report(session: Session, *, broadcast_id: int, now: datetime) -> Report | None:
    """Gather a broadcast's progress, failures, starts, completions and completion rate over time."""
    broadcast = broadcasts.get_broadcast(session, broadcast_id=broadcast_id)
    if broadcast is None:
        return None
    survey = session.get(Survey, broadcast.survey_id)
    version = session.get(SurveyVersion, broadcast.version_id) if broadcast.version_id else None
    report = Report(broadcast=broadcast, survey=survey, version_number=version.number if version else None,
                    batches=broadcasts.batch_progress(session, broadcast_id=broadcast_id),
                    failures=[Failure(b.number, b.size, b.attempts, b.last_error)
                              for b in broadcasts.list_failed_batches(session, broadcast_id=broadcast_id)])
    if version is None or broadcast.started_at is None:
        return report
    reached = [(label, broadcast.started_at + after) for label, after in CHECKPOINTS
               if broadcast.started_at + after <= now]
    starts, completions, by_moment = broadcast_stats.response_counts(
        session, broadcast_id=broadcast_id, version_id=version.id, moments=[moment for _, moment in reached])
    over_time = [(label, by_moment[i] if i < len(by_moment) else None) for i, (label, _) in enumerate(CHECKPOINTS)]
    return Report(broadcast=broadcast, survey=survey, version_number=version.number, batches=report.batches,
                  failures=report.failures, starts=starts, completions=completions, over_time=over_time)

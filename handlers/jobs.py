"""Periodic jobs: product logic that runs on a clock (SLA checks, scheduled sends), not on an event."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.catalogue import Catalogue, Translator
from handlers.options import shop_zone
from handlers.replies import Notify


@dataclass
class JobContext:
    """One run of a job: its unit of work, the clock, texts and settings."""

    session: Session
    now: datetime
    catalogue: Catalogue
    options: Mapping[str, str] = field(default_factory=dict)
    basic_id: str | None = None

    def translator(self, line_language: str | None) -> Translator:
        """Texts in a recipient's language."""
        return self.catalogue.translator(line_language)

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone, for dates and times people read."""
        return shop_zone(self.options)


JobFunction = Callable[[JobContext], list[Notify]]


@dataclass(frozen=True)
class Job:
    """A job and how often the worker runs it.

    Several workers may run the same job at the same moment: a job must claim its work with a
    database condition (an UPDATE … WHERE not-yet-done) so that each piece is done once.
    """

    name: str
    every_minutes: int
    run: JobFunction

"""The services one app holds: settings, database, LINE client, catalogue, router, clock, queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from bot.call_pool import CallPool
from bot.config import Settings
from bot.line_client import LineClient
from handlers.catalogue import Catalogue
from handlers.options import shop_zone
from handlers.routing import Router
from storage import Database
from storage.base import utcnow
from storage.db import DriverTransaction

if TYPE_CHECKING:
    from flask import Flask

EXTENSION_KEY = "koubei.services"


class TaskQueue(Protocol):
    """What the rest of the app may ask of the task queue."""

    def process_event(self, event_id: int) -> None: ...

    def process_events_in(self, tx: DriverTransaction, event_ids: list[int]) -> bool: ...

    def deliver(self, outbound_id: int, delay: float = 0.0) -> None: ...


@dataclass
class Services:
    """Everything a request or a task needs, built once per app and passed explicitly."""

    settings: Settings
    db: Database
    line: LineClient
    catalogue: Catalogue
    router: Router
    call_pool: CallPool
    clock: Callable[[], datetime] = utcnow
    queue: TaskQueue | None = field(default=None)

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone (KOUBEI_TIMEZONE), checked when the app was created."""
        return shop_zone(self.settings.extra)


def get_services(app: Flask) -> Services:
    """Return the services create_app attached to this app."""
    return app.extensions[EXTENSION_KEY]

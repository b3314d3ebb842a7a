"""HandlerContext: everything a handler may use, passed in rather than reached for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.catalogue import Catalogue, Translator
from handlers.options import shop_zone
from storage.models import Customer


@dataclass(frozen=True)
class Profile:
    """A LINE user's public profile, as the Messaging API gave it."""

    user_id: str
    display_name: str | None = None
    picture_url: str | None = None
    language: str | None = None


@dataclass
class HandlerContext:
    """The unit of work of one event: session, sender, clock, texts and settings."""

    session: Session
    now: datetime
    catalogue: Catalogue
    customer: Customer | None = None
    profile: Profile | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    basic_id: str | None = None  # the account's LINE ID (@...), for links that open a chat with it
    memo: dict = field(default_factory=dict)  # preparers' results; lookups several handlers repeat

    @property
    def t(self) -> Translator:
        """Texts in the sender's language."""
        language = self.customer.language if self.customer else None
        return self.catalogue.translator(language)

    @property
    def zone(self) -> ZoneInfo:
        """The shop's time zone, for dates and times people read."""
        return shop_zone(self.options)

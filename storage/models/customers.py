"""Customers: the LINE users who follow the official account."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, created_at, intpk, line_id


class FollowStatus(StrEnum):
    """Whether we may push to the customer."""

    FOLLOWING = "following"
    UNFOLLOWED = "unfollowed"
    UNKNOWN = "unknown"


class Customer(Base):
    """A LINE user known to the shop, with the profile LINE gave us."""

    __tablename__ = "customers"

    id: Mapped[intpk]
    line_user_id: Mapped[line_id] = mapped_column(unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    picture_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    follow_status: Mapped[str] = mapped_column(String(16), default=FollowStatus.UNKNOWN)
    followed_at: Mapped[datetime | None]
    first_followed_at: Mapped[datetime | None]
    unfollowed_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime | None]

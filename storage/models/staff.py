"""Staff tables: who may act on complaint cases, the one-time codes that enrol them, the staff group."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, created_at, intpk


class StaffRole(StrEnum):
    """What a staff member may do: managers also receive SLA re-escalations and alerts."""

    STAFF = "staff"
    MANAGER = "manager"


class CodeKind(StrEnum):
    """What a one-time code does when it is sent to the bot."""

    STAFF = "staff"  # enrols the sender (in a 1:1 chat) as a staff member
    GROUP = "group"  # makes the group it is sent in the staff group


class StaffMember(Base):
    """An enrolled staff member, known by the LINE user who redeemed their code."""

    __tablename__ = "staff_members"
    __table_args__ = (
        # one active enrolment per LINE user; a removed member can be invited again
        Index("uq_staff_members_active_line_user", "line_user_id", unique=True,
              sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default=StaffRole.STAFF)
    line_user_id: Mapped[str] = mapped_column(String(64))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    enrolled_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class StaffCode(Base):
    """A one-time enrolment code; only its hash is kept, and redeeming it is a single conditional UPDATE."""

    __tablename__ = "staff_codes"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(64))


class StaffGroup(Base):
    """A LINE group linked as the staff group; the latest one still linked receives new cases."""

    __tablename__ = "staff_groups"

    id: Mapped[intpk]
    line_group_id: Mapped[str] = mapped_column(String(64), unique=True)
    linked_at: Mapped[datetime]
    unlinked_at: Mapped[datetime | None]

"""Queries and changes on staff members, their one-time codes and the staff group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import StaffCode, StaffGroup, StaffMember, StaffRole


def create_code(session: Session, *, kind: str, code_hash: str, now: datetime, expires_at: datetime,
                name: str | None = None, role: str | None = None) -> StaffCode:
    """Store a new one-time code (its hash only)."""
    row = StaffCode(kind=kind, code_hash=code_hash, name=name, role=role, created_at=now, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


def get_code(session: Session, *, code_hash: str) -> StaffCode | None:
    """Find a code by its hash."""
    return session.scalar(select(StaffCode).where(StaffCode.code_hash == code_hash))


def redeem_code(session: Session, *, code_hash: str, kind: str, used_by: str, now: datetime) -> StaffCode | None:
    """Use a code once: the conditional UPDATE lets exactly one of two simultaneous senders win."""
    result = session.execute(
        update(StaffCode)
        .where(StaffCode.code_hash == code_hash, StaffCode.kind == kind, StaffCode.used_at.is_(None),
               StaffCode.expires_at > now)
        .values(used_at=now, used_by=used_by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.scalar(select(StaffCode).where(StaffCode.code_hash == code_hash)
                          .execution_options(populate_existing=True))


def list_pending_codes(session: Session, *, now: datetime) -> Sequence[StaffCode]:
    """Codes printed but not used yet, and still valid."""
    return session.scalars(select(StaffCode).where(StaffCode.used_at.is_(None), StaffCode.expires_at > now)
                           .order_by(StaffCode.id)).all()


def create_member(session: Session, *, name: str, role: str, line_user_id: str, now: datetime) -> StaffMember | None:
    """Enrol a LINE user; None when they are already active staff (the partial unique index says so)."""
    member = StaffMember(name=name, role=role, line_user_id=line_user_id, on_duty=True, enrolled_at=now)
    try:
        with session.begin_nested():
            session.add(member)
    except IntegrityError:
        return None
    return member


def get_member(session: Session, *, staff_id: int) -> StaffMember | None:
    """Find a staff member by id, removed or not."""
    return session.get(StaffMember, staff_id)


# built once: every message asks it, and building a statement costs more than running it
_ACTIVE_BY_LINE_ID = select(StaffMember).where(StaffMember.line_user_id == bindparam("line_user_id"),
                                               StaffMember.removed_at.is_(None))


def get_active_by_line_id(session: Session, *, line_user_id: str) -> StaffMember | None:
    """The active staff member behind a LINE user, if any."""
    return session.scalar(_ACTIVE_BY_LINE_ID, {"line_user_id": line_user_id})


def active_staff_line_ids() -> Select:
    """The LINE user IDs of staff not removed, as a subquery: marketing leaves their accounts out."""
    return select(StaffMember.line_user_id).where(StaffMember.removed_at.is_(None))


def list_members(session: Session, *, include_removed: bool = False) -> Sequence[StaffMember]:
    """Staff members, oldest first."""
    query = select(StaffMember).order_by(StaffMember.id)
    if not include_removed:
        query = query.where(StaffMember.removed_at.is_(None))
    return session.scalars(query).all()


def list_on_duty(session: Session) -> Sequence[StaffMember]:
    """Active staff members who receive new cases when there is no staff group."""
    return session.scalars(select(StaffMember).where(StaffMember.removed_at.is_(None), StaffMember.on_duty.is_(True))
                           .order_by(StaffMember.id)).all()


def list_managers(session: Session) -> Sequence[StaffMember]:
    """Active managers, who receive re-escalations and overdue alerts."""
    return session.scalars(select(StaffMember).where(StaffMember.removed_at.is_(None),
                                                     StaffMember.role == StaffRole.MANAGER)
                           .order_by(StaffMember.id)).all()


def mark_removed(member: StaffMember, *, now: datetime) -> None:
    """Take a member off the staff; their past actions on cases stay attributed to them."""
    member.removed_at = now
    member.on_duty = False


def link_group(session: Session, *, line_group_id: str, now: datetime) -> StaffGroup:
    """Make a group the staff group; any group linked before stops receiving cases."""
    others = update(StaffGroup).where(StaffGroup.unlinked_at.is_(None), StaffGroup.line_group_id != line_group_id)
    session.execute(others.values(unlinked_at=now).execution_options(synchronize_session=False))
    group = session.scalar(select(StaffGroup).where(StaffGroup.line_group_id == line_group_id))
    if group is None:
        group = StaffGroup(line_group_id=line_group_id, linked_at=now)
        session.add(group)
    else:
        group.linked_at, group.unlinked_at = now, None
    session.flush()
    return group


def unlink_group(session: Session, *, line_group_id: str, now: datetime) -> bool:
    """Stop sending cases to a group (the bot left it); True when it was the staff group."""
    result = session.execute(update(StaffGroup).where(StaffGroup.line_group_id == line_group_id,
                                                      StaffGroup.unlinked_at.is_(None))
                             .values(unlinked_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


def get_staff_group(session: Session) -> StaffGroup | None:
    """The group that receives new cases, if one is linked."""
    return session.scalar(select(StaffGroup).where(StaffGroup.unlinked_at.is_(None))
                          .order_by(StaffGroup.linked_at.desc()))

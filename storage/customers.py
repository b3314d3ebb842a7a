"""Queries and changes on customers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storage.models import Customer, FollowStatus

_BY_LINE_ID = select(Customer).where(Customer.line_user_id == bindparam("line_user_id"))  # built once


def get_by_line_id(session: Session, *, line_user_id: str) -> Customer | None:
    """Find a customer by LINE user ID."""
    return session.scalar(_BY_LINE_ID, {"line_user_id": line_user_id})


def get_many_by_line_id(session: Session, line_user_ids: Iterable[str]) -> dict[str, Customer]:
    """The customers among these LINE user IDs, by ID, in one query."""
    ids = list(set(line_user_ids))
    if not ids:
        return {}
    return {c.line_user_id: c for c in session.scalars(select(Customer).where(Customer.line_user_id.in_(ids)))}


def create(session: Session, *, line_user_id: str, now: datetime) -> Customer:
    """Add a customer the caller knows is new (first contact), with its id assigned."""
    customer = Customer(line_user_id=line_user_id, follow_status=FollowStatus.UNKNOWN, created_at=now)
    session.add(customer)
    session.flush()
    return customer


def update_profile(customer: Customer, *, display_name: str | None, picture_url: str | None,
                   language: str | None) -> None:
    """Keep the profile LINE gave us; missing fields leave what we had."""
    if display_name:
        customer.display_name = display_name
    if picture_url:
        customer.picture_url = picture_url
    if language:
        customer.language = language


def mark_followed(customer: Customer, *, now: datetime) -> None:
    """Record a follow (or unblock): the customer can be pushed to again."""
    customer.follow_status = FollowStatus.FOLLOWING
    customer.followed_at = now
    customer.unfollowed_at = None
    if customer.first_followed_at is None:
        customer.first_followed_at = now


def mark_unfollowed(customer: Customer, *, now: datetime) -> None:
    """Record an unfollow (block): nobody pushes to this customer."""
    customer.follow_status = FollowStatus.UNFOLLOWED
    customer.unfollowed_at = now


def can_push(customer: Customer) -> bool:
    """Pushing to someone who blocked us wastes quota and annoys nobody but LINE."""
    return customer.follow_status != FollowStatus.UNFOLLOWED

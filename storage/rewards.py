"""Queries and changes on reward coupons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.models.referrals import Reward
from storage.referrals import insert_or_skip


def get_by_code(session: Session, *, code: str) -> Reward | None:
    """Find a coupon by its (normalised) code, fresh from the database (a redemption may just have changed it)."""
    return session.scalar(select(Reward).where(Reward.code == code).execution_options(populate_existing=True))


def get_by_grant(session: Session, *, grant_key: str) -> Reward | None:
    """Find the reward issued for a grant (e.g. the welcome of one referral)."""
    return session.scalar(select(Reward).where(Reward.grant_key == grant_key))


def create_reward(session: Session, *, reward: Reward) -> bool:
    """Insert a reward; False when its grant or its code already exists (unique constraints)."""
    return insert_or_skip(session, reward)


def list_unused(session: Session, *, customer_id: int, now: datetime) -> Sequence[Reward]:
    """A customer's rewards that are neither redeemed nor expired, soonest expiry first."""
    query = (
        select(Reward)
        .where(Reward.customer_id == customer_id, Reward.redeemed_at.is_(None),
               or_(Reward.expires_at.is_(None), Reward.expires_at > now))
        .order_by(Reward.expires_at.is_(None), Reward.expires_at, Reward.id)
    )
    return session.scalars(query).all()


def list_for_customer(session: Session, *, customer_id: int) -> Sequence[Reward]:
    """Every reward a customer was ever issued."""
    return session.scalars(select(Reward).where(Reward.customer_id == customer_id).order_by(Reward.id)).all()


def mark_redeemed(session: Session, *, code: str, staff: str, now: datetime) -> bool:
    """Redeem a coupon once: the conditional update lets exactly one of two simultaneous redemptions win."""
    result = session.execute(
        update(Reward)
        .where(Reward.code == code, Reward.redeemed_at.is_(None),
               or_(Reward.expires_at.is_(None), Reward.expires_at > now))
        .values(redeemed_at=now, redeemed_by=staff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1

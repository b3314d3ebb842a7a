"""Queries and changes on referral codes, campaigns, referrals, code attempts and first purchases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Customer
from storage.models.referrals import (
    AttemptOutcome,
    FirstPurchase,
    Referral,
    ReferralAttempt,
    ReferralCampaign,
    ReferralCode,
    ReferralStatus,
)

MAX_CHAIN = 1000  # a referral chain longer than this is data corruption, not a customer


def insert_or_skip(session: Session, row: object) -> bool:
    """Insert a row in a savepoint; False when a unique constraint refused it (the caller decides why)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def get_code_for_customer(session: Session, *, customer_id: int) -> ReferralCode | None:
    """Return a customer's personal code, if one was issued."""
    return session.scalar(select(ReferralCode).where(ReferralCode.customer_id == customer_id))


def get_code(session: Session, *, code: str) -> ReferralCode | None:
    """Find a personal code (codes are stored upper-case)."""
    return session.scalar(select(ReferralCode).where(ReferralCode.code == code.upper()))


def create_code(session: Session, *, customer_id: int, code: str, now: datetime) -> ReferralCode | None:
    """Issue a code; None when the code or the customer already has one (unique constraints)."""
    row = ReferralCode(customer_id=customer_id, code=code, created_at=now)
    return row if insert_or_skip(session, row) else None


def get_active_campaign(session: Session, *, now: datetime) -> ReferralCampaign | None:
    """The campaign that is switched on and running now."""
    running = (ReferralCampaign.active.is_(True) & (ReferralCampaign.starts_at <= now)
               & or_(ReferralCampaign.ends_at.is_(None), ReferralCampaign.ends_at > now))
    return session.scalar(select(ReferralCampaign).where(running).order_by(ReferralCampaign.id.desc()))


def get_campaign(session: Session, *, slug: str) -> ReferralCampaign | None:
    """Find a campaign by its slug."""
    return session.scalar(select(ReferralCampaign).where(ReferralCampaign.slug == slug))


def list_campaigns(session: Session) -> Sequence[ReferralCampaign]:
    """Every campaign ever loaded, newest first."""
    return session.scalars(select(ReferralCampaign).order_by(ReferralCampaign.id.desc())).all()


def save_campaign(session: Session, *, slug: str, name: str, definition: dict[str, Any], starts_at: datetime,
                  ends_at: datetime | None, now: datetime) -> ReferralCampaign:
    """Create or replace a campaign and make it the only active one."""
    stop_campaigns(session)
    campaign = get_campaign(session, slug=slug) or ReferralCampaign(slug=slug)
    campaign.name, campaign.definition = name, definition
    campaign.starts_at, campaign.ends_at = starts_at, ends_at
    campaign.active, campaign.loaded_at = True, now
    session.add(campaign)
    session.flush()
    return campaign


def stop_campaigns(session: Session) -> int:
    """Switch every campaign off; return how many were on."""
    result = session.execute(update(ReferralCampaign).where(ReferralCampaign.active.is_(True))
                             .values(active=False).execution_options(synchronize_session="fetch"))
    return result.rowcount


def get_referral_for_referee(session: Session, *, referee_id: int) -> Referral | None:
    """The referral that brought this customer, if any."""
    return session.scalar(select(Referral).where(Referral.referee_id == referee_id))


def count_referrals(session: Session, *, referrer_id: int, status: ReferralStatus | None = None,
                    campaign_id: int | None = None) -> int:
    """How many friends a customer referred (optionally only in one status, or one campaign)."""
    query = select(func.count()).select_from(Referral).where(Referral.referrer_id == referrer_id)
    if status is not None:
        query = query.where(Referral.status == status)
    if campaign_id is not None:
        query = query.where(Referral.campaign_id == campaign_id)
    return session.scalar(query) or 0


def is_upline(session: Session, *, ancestor_id: int, customer_id: int) -> bool:
    """Whether ancestor_id referred customer_id, directly or through a chain of referrals."""
    current = customer_id
    for _ in range(MAX_CHAIN):
        referrer = session.scalar(select(Referral.referrer_id).where(Referral.referee_id == current))
        if referrer is None:
            return False
        if referrer == ancestor_id:
            return True
        current = referrer
    return True


def create_referral(session: Session, *, campaign_id: int, code: ReferralCode, referee_id: int,
                    now: datetime) -> Referral | None:
    """Record a referral; None when a constraint refused it (referee taken, or the reverse pair exists)."""
    low, high = sorted((code.customer_id, referee_id))
    row = Referral(campaign_id=campaign_id, code_id=code.id, referrer_id=code.customer_id, referee_id=referee_id,
                   pair_low=low, pair_high=high, status=ReferralStatus.JOINED, created_at=now)
    return row if insert_or_skip(session, row) else None


def mark_qualified(session: Session, *, referral_id: int, now: datetime, reason: str) -> bool:
    """Qualify a referral once: only the caller whose update changed the row wins."""
    result = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status == ReferralStatus.JOINED)
        .values(status=ReferralStatus.QUALIFIED, qualified_at=now, qualified_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def lock_customer(session: Session, *, customer_id: int) -> None:
    """Hold the customer's row until commit, so two qualifications of one referrer count in turn."""
    session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())


def get_first_purchase(session: Session, *, customer_id: int) -> FirstPurchase | None:
    """The first purchase recorded for a customer."""
    return session.get(FirstPurchase, customer_id)


def record_first_purchase(session: Session, *, customer_id: int, now: datetime, source: str) -> bool:
    """Record a first purchase; False when one was already recorded."""
    return insert_or_skip(session, FirstPurchase(customer_id=customer_id, recorded_at=now, source=source))


def record_attempt(session: Session, *, customer_id: int, code: str | None, outcome: AttemptOutcome,
                   now: datetime) -> ReferralAttempt:
    """Log one code attempt and its outcome."""
    row = ReferralAttempt(customer_id=customer_id, code=code, outcome=outcome, created_at=now)
    session.add(row)
    return row


def last_attempt_at(session: Session, *, customer_id: int, outcome: AttemptOutcome) -> datetime | None:
    """When the customer last had an attempt with this outcome."""
    return session.scalar(select(func.max(ReferralAttempt.created_at))
                          .where(ReferralAttempt.customer_id == customer_id, ReferralAttempt.outcome == outcome))


def count_attempts(session: Session, *, customer_id: int, outcome: AttemptOutcome, after: datetime) -> int:
    """Count a customer's attempts with an outcome strictly after a moment."""
    return session.scalar(select(func.count()).select_from(ReferralAttempt).where(
        ReferralAttempt.customer_id == customer_id, ReferralAttempt.outcome == outcome,
        ReferralAttempt.created_at > after)) or 0

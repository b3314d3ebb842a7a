"""Aggregate queries behind the referral report and the CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Customer
from storage.models.referrals import (
    AttemptOutcome,
    Referral,
    ReferralAttempt,
    ReferralCampaign,
    ReferralCode,
    ReferralStatus,
    Reward,
    RewardKind,
)


@dataclass(frozen=True)
class LeaderboardRow:
    """One referrer and how many friends they brought."""

    customer_id: int
    name: str | None
    line_user_id: str
    code: str
    referrals: int
    qualified: int


def count_codes(session: Session) -> tuple[int, int]:
    """Codes issued, and codes that brought at least one friend."""
    issued = session.scalar(select(func.count()).select_from(ReferralCode)) or 0
    used = session.scalar(select(func.count(distinct(Referral.code_id)))) or 0
    return issued, used


def count_referrals_by_status(session: Session) -> dict[str, int]:
    """Referrals per status (joined, qualified)."""
    rows = session.execute(select(Referral.status, func.count()).group_by(Referral.status))
    counts = {status.value: 0 for status in ReferralStatus}
    counts.update({status: count for status, count in rows})
    return counts


def count_rewards_by_kind(session: Session) -> dict[str, dict[str, int]]:
    """Rewards issued and redeemed, per kind."""
    redeemed = func.sum(case((Reward.redeemed_at.is_not(None), 1), else_=0))
    rows = session.execute(select(Reward.kind, func.count(), redeemed).group_by(Reward.kind))
    counts = {kind.value: {"issued": 0, "redeemed": 0} for kind in RewardKind}
    counts.update({kind: {"issued": issued, "redeemed": int(used or 0)} for kind, issued, used in rows})
    return counts


def count_attempts_by_outcome(session: Session, *, exclude: AttemptOutcome | None = None) -> dict[str, int]:
    """Code attempts per outcome, most frequent first."""
    query = select(ReferralAttempt.outcome, func.count()).group_by(ReferralAttempt.outcome)
    if exclude is not None:
        query = query.where(ReferralAttempt.outcome != exclude)
    counts = [(outcome, count) for outcome, count in session.execute(query)]
    return dict(sorted(counts, key=lambda item: (-item[1], item[0])))


def leaderboard(session: Session, *, limit: int = 10) -> list[LeaderboardRow]:
    """The customers who brought the most friends (qualified first, then joined)."""
    qualified = func.sum(case((Referral.status == ReferralStatus.QUALIFIED, 1), else_=0))
    joined = func.count(Referral.id)
    query = (
        select(Customer.id, Customer.display_name, Customer.line_user_id, ReferralCode.code, joined, qualified)
        .join(Referral, Referral.referrer_id == Customer.id)
        .join(ReferralCode, ReferralCode.customer_id == Customer.id)
        .group_by(Customer.id, Customer.display_name, Customer.line_user_id, ReferralCode.code)
        .order_by(qualified.desc(), joined.desc(), Customer.id)
        .limit(limit)
    )
    return [LeaderboardRow(cid, name, line_id, code, count, int(done or 0))
            for cid, name, line_id, code, count, done in session.execute(query)]


def iter_referrals(session: Session) -> Iterator[Row]:
    """Every referral with both customers, the code, the campaign and the friend's welcome coupon."""
    referrer, referee = aliased(Customer), aliased(Customer)
    welcome = aliased(Reward)
    query = (
        select(Referral.id, ReferralCampaign.slug, ReferralCode.code, referrer.display_name, referrer.line_user_id,
               referee.display_name, referee.line_user_id, Referral.status, Referral.created_at,
               Referral.qualified_at, Referral.qualified_reason, welcome.code, welcome.redeemed_at)
        .join(ReferralCampaign, ReferralCampaign.id == Referral.campaign_id)
        .join(ReferralCode, ReferralCode.id == Referral.code_id)
        .join(referrer, referrer.id == Referral.referrer_id)
        .join(referee, referee.id == Referral.referee_id)
        .outerjoin(welcome, (welcome.referral_id == Referral.id) & (welcome.kind == RewardKind.WELCOME))
        .order_by(Referral.id)
    )
    yield from session.execute(query)


def first_activity(session: Session) -> datetime | None:
    """When the first code was issued, to say what period a report covers."""
    return session.scalar(select(func.min(ReferralCode.created_at)))

"""What staff do at the till (from the CLI or the API): record a first purchase, redeem a coupon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers.referrals.codes import format_coupon, normalize_coupon
from handlers.referrals.qualification import Qualification, qualify_referral
from handlers.referrals.rewards import CouponState, redeem_coupon
from storage import customers, referrals, rewards
from storage.models import Customer
from storage.models.referrals import QualifyReason, Reward, RewardKind

STAFF_NAME_LENGTH = 64  # rewards.redeemed_by


@dataclass
class Purchase:
    """A recorded first purchase and the qualification it caused."""

    customer: Customer
    first: bool
    qualification: Qualification


@dataclass
class Redemption:
    """A redeemed coupon, and the qualification a redeemed welcome coupon may cause."""

    reward: Reward
    qualification: Qualification | None


def find_customer(session: Session, *, ref: str) -> Customer | None:
    """Find a customer by LINE user ID, personal referral code or one of their coupon codes.

    Never by a bare number: a receipt or order number typed by mistake must not qualify a stranger.
    """
    ref = ref.strip()
    if not ref:
        return None
    if ref.startswith("U") and len(ref) == 33:
        return customers.get_by_line_id(session, line_user_id=ref)
    code = referrals.get_code(session, code=ref)
    if code is not None:
        return session.get(Customer, code.customer_id)
    reward = rewards.get_by_code(session, code=normalize_coupon(ref))
    if reward is not None:
        return session.get(Customer, reward.customer_id)
    return None


def record_purchase(session: Session, *, customer: Customer, now: datetime, source: str) -> Purchase:
    """Record the customer's first purchase (once) and qualify the referral that brought them."""
    first = referrals.record_first_purchase(session, customer_id=customer.id, now=now, source=source)
    qualification = qualify_referral(session, customer=customer, now=now, reason=QualifyReason.PURCHASE)
    return Purchase(customer, first, qualification)


def redeem(session: Session, *, code: str, staff: str, now: datetime) -> Redemption:
    """Redeem a coupon; a friend's welcome coupon used at the till may also qualify their referral."""
    reward = redeem_coupon(session, code=code, staff=staff.strip()[:STAFF_NAME_LENGTH] or "staff", now=now)
    qualification = None
    if reward.kind == RewardKind.WELCOME:
        qualification = qualify_referral(session, customer=session.get(Customer, reward.customer_id), now=now,
                                         reason=QualifyReason.WELCOME_COUPON_REDEEMED)
    return Redemption(reward, qualification)


def reward_data(reward: Reward | CouponState) -> dict[str, Any]:
    """A coupon as plain data, for the CLI and the API."""
    return {
        "code": format_coupon(reward.code), "title": reward.title, "kind": reward.kind, "tier": reward.tier,
        "customer_id": reward.customer_id, "issued_at": _iso(reward.issued_at),
        "expires_at": _iso(reward.expires_at), "redeemed_at": _iso(reward.redeemed_at),
        "redeemed_by": reward.redeemed_by,
    }


def qualification_data(qualification: Qualification) -> dict[str, Any]:
    """What a qualification did, as plain data."""
    referrer = qualification.referrer
    return {
        "status": qualification.status,
        "referral_id": qualification.referral.id if qualification.referral else None,
        "referrer": {"id": referrer.id, "name": referrer.display_name, "line_user_id": referrer.line_user_id}
        if referrer else None,
        "rewards": [reward_data(reward) for reward in qualification.rewards],
    }


def purchase_data(purchase: Purchase) -> dict[str, Any]:
    """A recorded purchase and its qualification, as plain data."""
    customer = purchase.customer
    return {
        "customer": {"id": customer.id, "name": customer.display_name, "line_user_id": customer.line_user_id},
        "first_purchase": purchase.first,
        **qualification_data(purchase.qualification),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None

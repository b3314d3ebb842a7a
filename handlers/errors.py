"""Errors raised by product logic and translated at the edge."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.referrals.rewards import CouponState


class KoubeiError(Exception):
    """Base of every error the product raises on purpose."""


class NotAllowed(KoubeiError):
    """The actor may not do this (e.g. a customer tapping a staff button)."""


class InvalidAnswer(KoubeiError):
    """An answer that does not fit the question; the customer is asked again."""


class ReferralRefused(KoubeiError):
    """A referral code attempt that breaks a programme rule; ``reason`` names the rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RewardRefused(KoubeiError):
    """A coupon that cannot be redeemed (unknown, expired, or already used, with when and by whom)."""

    def __init__(self, reason: str, reward: CouponState | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reward = reward

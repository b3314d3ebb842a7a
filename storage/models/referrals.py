"""Referral programme tables: the business rules that must survive concurrency live here as constraints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, BigIntId, created_at, intpk


class ReferralStatus(StrEnum):
    """Where a referral is: the friend joined, then made a first purchase."""

    JOINED = "joined"
    QUALIFIED = "qualified"


class QualifyReason(StrEnum):
    """What made a referral count: a purchase staff recorded, or an event the campaign accepts instead."""

    PURCHASE = "purchase"
    SURVEY_COMPLETED = "survey_completed"
    WELCOME_COUPON_REDEEMED = "welcome_coupon_redeemed"


class RewardKind(StrEnum):
    """Why a reward was issued."""

    WELCOME = "welcome"
    REFERRER = "referrer"
    TIER = "tier"


class AttemptOutcome(StrEnum):
    """What happened to one code attempt; everything but REDEEMED is a refusal."""

    REDEEMED = "redeemed"
    INVALID = "invalid"
    OWN_CODE = "own_code"
    ALREADY_REFERRED = "already_referred"
    NOT_NEW = "not_new"
    CYCLE = "cycle"
    CAMPAIGN_INACTIVE = "campaign_inactive"
    RATE_LIMITED = "rate_limited"
    COOLING_DOWN = "cooling_down"


class ReferralCampaign(Base):
    """A campaign loaded from a YAML file; at most one is active at a time."""

    __tablename__ = "referral_campaigns"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    definition: Mapped[dict[str, Any]]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[created_at]


class ReferralCode(Base):
    """A customer's personal code: one per customer, unique across the shop."""

    __tablename__ = "referral_codes"

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"), unique=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[created_at]


class Referral(Base):
    """A friend (referee) who joined with someone's code (referrer)."""

    __tablename__ = "referrals"
    __table_args__ = (
        # one pair, one referral: A→B and B→A cannot both exist, even when sent at the same instant
        UniqueConstraint("pair_low", "pair_high", name="uq_referrals_pair"),
        CheckConstraint("referrer_id <> referee_id", name="not_self"),
        CheckConstraint("pair_low < pair_high", name="pair_ordered"),
    )

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("referral_campaigns.id"))
    code_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("referral_codes.id"))
    referrer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"), index=True)
    # unique: one referrer per referee, ever
    referee_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"), unique=True)
    pair_low: Mapped[int] = mapped_column(BigIntId)
    pair_high: Mapped[int] = mapped_column(BigIntId)
    status: Mapped[str] = mapped_column(String(16), default=ReferralStatus.JOINED)
    created_at: Mapped[created_at]
    qualified_at: Mapped[datetime | None]
    qualified_reason: Mapped[str | None] = mapped_column(String(32))


class Reward(Base):
    """A coupon issued to a customer; redeemed once by staff."""

    __tablename__ = "rewards"
    __table_args__ = (Index("ix_rewards_customer_redeemed", "customer_id", "redeemed_at"),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # unique: the same grant (welcome of a referral, a tier of a customer...) is never issued twice
    grant_key: Mapped[str] = mapped_column(String(96), unique=True)
    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"))
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("referral_campaigns.id"))
    referral_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("referrals.id"))
    kind: Mapped[str] = mapped_column(String(16))
    tier: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    value: Mapped[int | None] = mapped_column(Integer)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_at: Mapped[created_at]
    expires_at: Mapped[datetime | None]
    redeemed_at: Mapped[datetime | None]
    redeemed_by: Mapped[str | None] = mapped_column(String(64))


class ReferralAttempt(Base):
    """Every code a customer sent and what became of it: the rate limit and the refusal report read this."""

    __tablename__ = "referral_attempts"
    __table_args__ = (Index("ix_referral_attempts_customer_created", "customer_id", "created_at"),)

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"))
    code: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[created_at]


class FirstPurchase(Base):
    """The first purchase staff recorded for a customer: it qualifies a referral and ends newness."""

    __tablename__ = "first_purchases"

    customer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("customers.id"), primary_key=True)
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32))

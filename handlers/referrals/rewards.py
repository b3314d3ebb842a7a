"""Rewards: coupons issued from the campaign, listed for their owner, redeemed once at the till."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.actions import Action
from handlers.catalogue import Translator
from handlers.context import HandlerContext
from handlers.errors import RewardRefused
from handlers.events import InboundEvent
from handlers.keywords import is_keyword
from handlers.referrals.campaigns import RewardSpec, last_day
from handlers.referrals.codes import format_coupon, generate_coupon, normalize_coupon
from handlers.replies import Button, Outgoing, Postback, Text
from storage import rewards
from storage.models.referrals import ReferralCampaign, Reward, RewardKind

MAX_CODE_TRIES = 10
MAX_LISTED = 10  # keeps the list inside one LINE text message


@dataclass(frozen=True)
class CouponState:
    """A coupon as it stood when a redemption was refused; outlives the rolled-back session."""

    code: str
    title: str
    kind: str
    tier: int | None
    customer_id: int
    issued_at: datetime
    expires_at: datetime | None
    redeemed_at: datetime | None
    redeemed_by: str | None

    @classmethod
    def of(cls, reward: Reward) -> CouponState:
        """Copy what staff need to read out of a reward row."""
        return cls(**{name: getattr(reward, name) for name in cls.__dataclass_fields__})


class RedeemRefusal(StrEnum):
    """Why staff could not redeem a coupon."""

    UNKNOWN = "unknown"
    ALREADY_REDEEMED = "already_redeemed"
    EXPIRED = "expired"


def issue_reward(session: Session, *, customer_id: int, campaign: ReferralCampaign, spec: RewardSpec,
                 kind: RewardKind, grant_key: str, now: datetime, zone: ZoneInfo, referral_id: int | None = None,
                 tier: int | None = None) -> Reward | None:
    """Issue a coupon once per grant; None when this grant was already issued.

    ``zone`` is the campaign's: a coupon lasts to the end of its last day there.
    """
    expires_at = spec.expires_at(now, zone)
    for _ in range(MAX_CODE_TRIES):
        reward = Reward(code=generate_coupon(), grant_key=grant_key, customer_id=customer_id,
                        campaign_id=campaign.id, referral_id=referral_id, kind=kind, tier=tier, title=spec.title,
                        description=spec.description, value=spec.value, vip=spec.vip, issued_at=now,
                        expires_at=expires_at)
        if rewards.create_reward(session, reward=reward):
            return reward
        if rewards.get_by_grant(session, grant_key=grant_key) is not None:
            return None
    raise RuntimeError(f"no free coupon code after {MAX_CODE_TRIES} tries")


def reward_text(t: Translator, reward: Reward, zone: ZoneInfo) -> str:
    """One coupon as its owner reads it: title, code, expiry (a day in the shop's time zone)."""
    expiry = t("reward.expires", date=last_day(reward.expires_at, zone)) if reward.expires_at else t("reward.no_expiry")
    key = "reward.item_vip" if reward.vip else "reward.item"
    details = f"{reward.description}\n" if reward.description else ""
    return t(key, title=reward.title, details=details, code=format_coupon(reward.code), expiry=expiry)


def list_reply(ctx: HandlerContext) -> list[Outgoing]:
    """The sender's unused, unexpired rewards."""
    if ctx.customer is None:
        return []
    unused = rewards.list_unused(ctx.session, customer_id=ctx.customer.id, now=ctx.now)
    referral_button = Button(label=ctx.t("menu.referral.label"), postback=Postback(Action.REFERRAL_SHOW),
                             display_text=ctx.t("menu.referral.keyword"))
    if not unused:
        return [Text(ctx.t("reward.none"), quick_replies=(referral_button,))]
    items = "\n\n".join(reward_text(ctx.t, reward, ctx.zone) for reward in unused[:MAX_LISTED])
    more = ctx.t("reward.more", count=len(unused) - MAX_LISTED) if len(unused) > MAX_LISTED else ""
    text = ctx.t("reward.list", count=len(unused), items=items, more=more)
    return [Text(text, quick_replies=(referral_button,))]


def _is_keyword(ctx: HandlerContext, text: str) -> bool:
    return is_keyword(ctx.catalogue, text, "menu.rewards.keyword")


def on_keyword(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """我的獎勵: list the sender's rewards."""
    if event.is_group or event.text is None or not _is_keyword(ctx, event.text):
        return None
    return list_reply(ctx)


def on_postback(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The rewards button: list the sender's rewards."""
    return [] if event.is_group else list_reply(ctx)


def redeem_coupon(session: Session, *, code: str, staff: str, now: datetime) -> Reward:
    """Mark a coupon used by staff; refuse an unknown, expired or already used one, saying when and by whom."""
    normalized = normalize_coupon(code)
    if normalized and rewards.mark_redeemed(session, code=normalized, staff=staff, now=now):
        return rewards.get_by_code(session, code=normalized)
    reward = rewards.get_by_code(session, code=normalized) if normalized else None
    if reward is None:
        raise RewardRefused(RedeemRefusal.UNKNOWN)
    if reward.redeemed_at is not None:
        raise RewardRefused(RedeemRefusal.ALREADY_REDEEMED, CouponState.of(reward))
    raise RewardRefused(RedeemRefusal.EXPIRED, CouponState.of(reward))

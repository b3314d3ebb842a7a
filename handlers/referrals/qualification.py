"""Qualification: the friend's first purchase (or an event the campaign accepts) earns the referrer's rewards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from handlers.catalogue import Catalogue
from handlers.referrals.campaigns import CampaignSpec, spec_of
from handlers.referrals.rewards import issue_reward, reward_text
from handlers.replies import Notify, Text
from storage import referrals
from storage.models import Customer
from storage.models.referrals import QualifyReason, Referral, ReferralCampaign, ReferralStatus, Reward, RewardKind


class QualificationStatus(StrEnum):
    """What a qualification call did."""

    QUALIFIED = "qualified"
    ALREADY_QUALIFIED = "already_qualified"
    NOT_REFERRED = "not_referred"
    NOT_COUNTED = "not_counted"  # the campaign does not accept this reason


@dataclass
class Qualification:
    """The outcome, the rewards it issued, and what to tell the referrer."""

    status: QualificationStatus
    referral: Referral | None = None
    referrer: Customer | None = None
    referee: Customer | None = None
    referrer_reward: Reward | None = None
    tier_rewards: list[tuple[int, Reward]] = field(default_factory=list)

    @property
    def rewards(self) -> list[Reward]:
        """Every reward this qualification issued."""
        first = [self.referrer_reward] if self.referrer_reward else []
        return first + [reward for _, reward in self.tier_rewards]

    def notifications(self, catalogue: Catalogue, zone: ZoneInfo) -> list[Notify]:
        """The push that tells the referrer a friend qualified, with the new rewards (empty if none)."""
        if self.status != QualificationStatus.QUALIFIED or self.referrer is None or self.referee is None:
            return []
        t = catalogue.translator(self.referrer.language)
        friend = self.referee.display_name or t("customer.default_name")
        messages = []
        if self.referrer_reward is not None:
            messages.append(Text(t("referral.friend_qualified", name=friend,
                                   reward=reward_text(t, self.referrer_reward, zone))))
        messages += [Text(t("referral.tier_reached", count=count, reward=reward_text(t, reward, zone)))
                     for count, reward in self.tier_rewards]
        if not messages:
            return []
        return [Notify(to=self.referrer.line_user_id, messages=tuple(messages), customer_id=self.referrer.id)]


def _tier_rewards(session: Session, *, referral: Referral, campaign: ReferralCampaign, spec: CampaignSpec,
                  now: datetime) -> list[tuple[int, Reward]]:
    """Issue every tier the referrer has now reached and not yet received (a missed one is caught up)."""
    count = referrals.count_referrals(session, referrer_id=referral.referrer_id, status=ReferralStatus.QUALIFIED,
                                      campaign_id=campaign.id)
    issued = []
    for tier in spec.tiers:
        if tier.referrals > count:
            break
        reward = issue_reward(session, customer_id=referral.referrer_id, campaign=campaign, spec=tier.reward,
                              kind=RewardKind.TIER, tier=tier.referrals, now=now, zone=spec.zone,
                              referral_id=referral.id,
                              grant_key=f"tier:{campaign.id}:{referral.referrer_id}:{tier.referrals}")
        if reward is not None:
            issued.append((tier.referrals, reward))
    return issued


def qualify_referral(session: Session, *, customer: Customer, now: datetime,
                     reason: QualifyReason | str) -> Qualification:
    """Qualify the referral that brought this customer, once, and issue the referrer's rewards.

    Any module may call this when its event happens (a survey module on the first completed survey,
    with reason=QualifyReason.SURVEY_COMPLETED); the campaign's ``qualify_on`` decides whether the
    reason counts. Add ``result.notifications(ctx.catalogue, ctx.zone)`` to the handler's answer.
    """
    referral = referrals.get_referral_for_referee(session, referee_id=customer.id)
    if referral is None:
        return Qualification(QualificationStatus.NOT_REFERRED, referee=customer)
    campaign = session.get(ReferralCampaign, referral.campaign_id)
    spec = spec_of(campaign)
    if QualifyReason(reason) not in spec.qualify_on:
        return Qualification(QualificationStatus.NOT_COUNTED, referral, referee=customer)
    if not referrals.mark_qualified(session, referral_id=referral.id, now=now, reason=reason):
        return Qualification(QualificationStatus.ALREADY_QUALIFIED, referral, referee=customer)
    session.refresh(referral)
    # two friends of one referrer qualifying at once: the second counts after the first commits
    referrals.lock_customer(session, customer_id=referral.referrer_id)
    referrer_reward = issue_reward(session, customer_id=referral.referrer_id, campaign=campaign,
                                   spec=spec.referrer_reward, kind=RewardKind.REFERRER, now=now, zone=spec.zone,
                                   referral_id=referral.id, grant_key=f"referrer:{referral.id}")
    tiers = _tier_rewards(session, referral=referral, campaign=campaign, spec=spec, now=now)
    return Qualification(QualificationStatus.QUALIFIED, referral, referrer=session.get(Customer, referral.referrer_id),
                         referee=customer, referrer_reward=referrer_reward, tier_rewards=tiers)

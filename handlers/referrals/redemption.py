"""Redemption: a friend sends a code, the rules are checked, both sides hear about it."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.context import HandlerContext
from handlers.errors import ReferralRefused
from handlers.events import InboundEvent
from handlers.referrals.campaigns import CampaignSpec, local_time, new_customer_window, spec_of
from handlers.referrals.codes import find_code_attempts, meant_as_code
from handlers.referrals.rewards import issue_reward, reward_text
from handlers.referrals.sharing import referral_keywords
from handlers.replies import Notify, Outgoing, Text
from storage import referrals
from storage.models import Customer
from storage.models.referrals import AttemptOutcome, Referral, ReferralCampaign, ReferralCode, RewardKind

MAX_INVALID = 5  # more invalid codes than this within RATE_WINDOW starts a cool-down
RATE_WINDOW = timedelta(hours=1)
COOLDOWN = timedelta(hours=1)


def check_rules(ctx: HandlerContext, *, referee: Customer, code: ReferralCode, spec: CampaignSpec) -> None:
    """Raise ReferralRefused naming the first rule this referral would break."""
    session = ctx.session
    if code.customer_id == referee.id:
        raise ReferralRefused(AttemptOutcome.OWN_CODE)
    if referrals.get_referral_for_referee(session, referee_id=referee.id) is not None:
        raise ReferralRefused(AttemptOutcome.ALREADY_REFERRED)
    if referrals.is_upline(session, ancestor_id=referee.id, customer_id=code.customer_id):
        raise ReferralRefused(AttemptOutcome.CYCLE)
    # the earlier of the two: a customer the bot knew before its first follow event is not new
    joined = min(filter(None, (referee.first_followed_at, referee.created_at)))
    if (ctx.now - joined > new_customer_window(spec, ctx.options)
            or referrals.get_first_purchase(session, customer_id=referee.id) is not None
            or referrals.count_referrals(session, referrer_id=referee.id) > 0):
        raise ReferralRefused(AttemptOutcome.NOT_NEW)


def create_referral(ctx: HandlerContext, *, code: ReferralCode) -> tuple[Referral, ReferralCampaign]:
    """Check the rules and record the referral; the database settles a race the checks could not see."""
    campaign = referrals.get_active_campaign(ctx.session, now=ctx.now)
    if campaign is None:
        raise ReferralRefused(AttemptOutcome.CAMPAIGN_INACTIVE)
    spec = spec_of(campaign)
    check_rules(ctx, referee=ctx.customer, code=code, spec=spec)
    referral = referrals.create_referral(ctx.session, campaign_id=campaign.id, code=code,
                                         referee_id=ctx.customer.id, now=ctx.now)
    if referral is None:
        # a simultaneous redemption committed first: the rules now see it and name the reason
        check_rules(ctx, referee=ctx.customer, code=code, spec=spec)
        raise ReferralRefused(AttemptOutcome.ALREADY_REFERRED)
    return referral, campaign


def cooldown_until(ctx: HandlerContext) -> datetime | None:
    """The end of the sender's cool-down, if one is running."""
    started = referrals.last_attempt_at(ctx.session, customer_id=ctx.customer.id, outcome=AttemptOutcome.RATE_LIMITED)
    return started + COOLDOWN if started is not None and started + COOLDOWN > ctx.now else None


def _invalid(ctx: HandlerContext, code: str) -> list[Outgoing]:
    """Count an unknown code; one too many in the hour starts the cool-down.

    Guesses inside other words count too (silently, see ``redeem``), so no message tests codes for free.
    """
    customer_id = ctx.customer.id
    referrals.record_attempt(ctx.session, customer_id=customer_id, code=code, outcome=AttemptOutcome.INVALID,
                             now=ctx.now)
    last_cooldown = referrals.last_attempt_at(ctx.session, customer_id=customer_id,
                                              outcome=AttemptOutcome.RATE_LIMITED)
    since = max(ctx.now - RATE_WINDOW, last_cooldown) if last_cooldown else ctx.now - RATE_WINDOW
    if referrals.count_attempts(ctx.session, customer_id=customer_id, outcome=AttemptOutcome.INVALID,
                                after=since) > MAX_INVALID:
        referrals.record_attempt(ctx.session, customer_id=customer_id, code=code,
                                 outcome=AttemptOutcome.RATE_LIMITED, now=ctx.now)
        return [Text(ctx.t("referral.cooldown", until=local_time(ctx.now + COOLDOWN, ctx.zone)))]
    return [Text(ctx.t("referral.refused.invalid", code=code))]


def _welcome(ctx: HandlerContext, referral: Referral, campaign: ReferralCampaign, code: str) -> list[Outgoing]:
    """Give the friend the welcome reward now and tell the referrer by push."""
    spec = spec_of(campaign)
    reward = issue_reward(ctx.session, customer_id=ctx.customer.id, campaign=campaign, spec=spec.referee_reward,
                          kind=RewardKind.WELCOME, grant_key=f"welcome:{referral.id}", now=ctx.now, zone=spec.zone,
                          referral_id=referral.id)
    referrals.record_attempt(ctx.session, customer_id=ctx.customer.id, code=code, outcome=AttemptOutcome.REDEEMED,
                             now=ctx.now)
    referrer = ctx.session.get(Customer, referral.referrer_id)
    referrer_t = ctx.catalogue.translator(referrer.language)
    friend = ctx.customer.display_name or referrer_t("customer.default_name")
    notify = Notify(to=referrer.line_user_id, customer_id=referrer.id, messages=(
        Text(referrer_t("referral.friend_joined", name=friend, reward=spec.referrer_reward.title)),))
    name = referrer.display_name or ctx.t("customer.default_name")
    return [Text(ctx.t("referral.redeemed", name=name, reward=reward_text(ctx.t, reward, ctx.zone))), notify]


def redeem(ctx: HandlerContext, attempts: list[str], *, meant: bool = True) -> list[Outgoing] | None:
    """Try the codes in a message: the first one that exists is checked against every rule.

    ``meant``: the message plainly sends a code. A code-like word inside other text (an order
    number in a complaint) that is no code is left to the other handlers, though counted as a guess.
    """
    until = cooldown_until(ctx)
    if until is not None:
        if not meant:
            return None
        referrals.record_attempt(ctx.session, customer_id=ctx.customer.id, code=attempts[0],
                                 outcome=AttemptOutcome.COOLING_DOWN, now=ctx.now)
        return [Text(ctx.t("referral.cooldown", until=local_time(until, ctx.zone)))]
    code = next((row for text in attempts if (row := referrals.get_code(ctx.session, code=text)) is not None), None)
    if code is None:
        answer = _invalid(ctx, attempts[0])
        return answer if meant else None
    try:
        referral, campaign = create_referral(ctx, code=code)
    except ReferralRefused as refusal:
        referrals.record_attempt(ctx.session, customer_id=ctx.customer.id, code=code.code, outcome=refusal.reason,
                                 now=ctx.now)
        campaign = referrals.get_active_campaign(ctx.session, now=ctx.now)
        days = new_customer_window(spec_of(campaign), ctx.options).days if campaign else None
        return [Text(ctx.t(f"referral.refused.{refusal.reason}", code=code.code, days=days))]
    return _welcome(ctx, referral, campaign, code.code)


def on_message(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """Claim a message only when it holds a code attempt; ordinary text goes on to other handlers."""
    if event.is_group or event.text is None or ctx.customer is None:
        return None
    keywords = referral_keywords(ctx)
    attempts = find_code_attempts(event.text, keywords)
    return redeem(ctx, attempts, meant=meant_as_code(event.text, keywords)) if attempts else None

"""The customer's personal code and the links that spread it: share picker → chat with the account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from handlers.actions import Action
from handlers.context import HandlerContext
from handlers.events import InboundEvent
from handlers.keywords import is_keyword
from handlers.referrals.campaigns import CampaignSpec, spec_of
from handlers.referrals.codes import generate_code
from handlers.referrals.links import oa_message_url, share_url
from handlers.replies import Button, Card, Outgoing, Postback, Text
from storage import referrals
from storage.models import Customer
from storage.models.referrals import ReferralCode

MAX_CODE_TRIES = 10
KEYWORD_KEYS = ("menu.referral.keyword", "menu.referral.label")


def get_or_issue_code(session: Session, *, customer: Customer, now: datetime) -> ReferralCode:
    """The customer's code, issued on first request; the same customer always gets the same code."""
    for _ in range(MAX_CODE_TRIES):
        existing = referrals.get_code_for_customer(session, customer_id=customer.id)
        if existing is not None:
            return existing
        # a collision with another customer's code, or a simultaneous request: try again
        code = referrals.create_code(session, customer_id=customer.id, code=generate_code(), now=now)
        if code is not None:
            return code
    raise RuntimeError(f"no free referral code after {MAX_CODE_TRIES} tries")


def referral_keywords(ctx: HandlerContext) -> list[str]:
    """The words that ask for one's code, in every catalogue language (推薦碼, 我的推薦碼...)."""
    return [ctx.catalogue.text(key, language) for key in KEYWORD_KEYS for language in ctx.catalogue.languages(key)]


def share_text(ctx: HandlerContext, *, code: str, spec: CampaignSpec) -> str:
    """The ready text a customer sends friends, with a link that opens a chat with the account and the code."""
    reward = spec.referee_reward.title
    if not ctx.basic_id:
        return ctx.t("referral.share_text_no_link", code=code, reward=reward)
    link = oa_message_url(ctx.basic_id, ctx.t("referral.prefill", code=code))
    return ctx.t("referral.share_text", code=code, reward=reward, link=link)


def code_reply(ctx: HandlerContext) -> list[Outgoing]:
    """The sender's code, what it earns, and a button that opens LINE's share picker."""
    if ctx.customer is None:
        return []
    campaign = referrals.get_active_campaign(ctx.session, now=ctx.now)
    if campaign is None:
        return [Text(ctx.t("referral.campaign_inactive"))]
    spec = spec_of(campaign)
    code = get_or_issue_code(ctx.session, customer=ctx.customer, now=ctx.now).code
    rewards_button = Button(label=ctx.t("menu.rewards.label"), postback=Postback(Action.REWARDS_LIST),
                            display_text=ctx.t("menu.rewards.keyword"))
    card = Card(
        alt_text=ctx.t("referral.card_alt", code=code), title=ctx.t("referral.card_title", code=code),
        lines=(ctx.t("referral.card_line", reward=spec.referee_reward.title,
                     referrer_reward=spec.referrer_reward.title),),
        buttons=(Button(label=ctx.t("referral.share_button"), uri=share_url(share_text(ctx, code=code, spec=spec))),
                 rewards_button),
    )
    return [Text(ctx.t("referral.your_code", code=code)), card]


def on_keyword(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing] | None:
    """推薦碼 / 我的推薦碼 on its own: show the sender's code; anything longer is left to redemption."""
    if event.is_group or event.text is None:
        return None
    if not is_keyword(ctx.catalogue, event.text, *KEYWORD_KEYS):
        return None
    return code_reply(ctx)


def on_postback(ctx: HandlerContext, event: InboundEvent) -> list[Outgoing]:
    """The referral button: show the sender's code."""
    return [] if event.is_group else code_reply(ctx)

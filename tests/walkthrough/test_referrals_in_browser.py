"""docs/referrals.md, "Walk-through with the emulator", clicked in the chat page: a code shared, used, rewarded."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from handlers.options import shop_zone
from handlers.referrals.campaigns import read_campaign_file
from handlers.referrals.codes import format_coupon
from handlers.referrals.rewards import reward_text
from storage import customers, referrals, rewards
from storage.models.referrals import Reward, RewardKind
from tests.handlers.escalation_support import CAMPAIGN, Texts, buttons
from tests.walkthrough.chat_page import ChatPage

pytestmark = pytest.mark.browser

REFERRER, FRIEND = "王小美", "陳大文"
TAIWAN = shop_zone({})  # the devserver's default time zone
SPEC = read_campaign_file(CAMPAIGN, TAIWAN)  # the example campaign's rewards, as the card and the pushes name them


def _code_of(services, user_id: str) -> str:
    """The referral code the database holds for a customer."""
    with services.db.session_scope() as session:
        customer = customers.get_by_line_id(session, line_user_id=user_id)
        return referrals.get_code_for_customer(session, customer_id=customer.id).code


def _rewards_of(services, user_id: str) -> dict[RewardKind, Reward]:
    """A customer's coupons by kind (one of each in these walk-throughs)."""
    with services.db.session_scope() as session:
        customer = customers.get_by_line_id(session, line_user_id=user_id)
        return {reward.kind: reward for reward in rewards.list_for_customer(session, customer_id=customer.id)}


def _show_code(page: ChatPage, t: Texts, runner, services, name: str) -> str:
    """Load the example campaign; a new friend taps 我的推薦碼 and gets the code card; return the code."""
    result = runner.invoke(args=["referrals", "campaign", "load", str(CAMPAIGN)])
    assert result.exit_code == 0, result.output
    page.create_user(name)
    page.add_friend()
    card = page.quick(t("menu.referral.label"), expect=t("referral.share_button"))
    code = _code_of(services, page.user_id())
    page.expect(t("referral.your_code", code=code))
    assert t("referral.card_title", code=code) in card
    assert t("referral.card_line", reward=SPEC.referee_reward.title, referrer_reward=SPEC.referrer_reward.title) in card
    assert t("menu.rewards.label") in card
    return code


def test_the_referral_walkthrough_from_a_shared_code_to_a_redeemed_coupon(page: ChatPage, t: Texts, runner,
                                                                          services, emulator) -> None:
    code = _show_code(page, t, runner, services, REFERRER)
    referrer_id = page.user_id()
    [card] = [entry["message"] for entry in emulator.messages(referrer_id) if entry["message"]["type"] == "flex"]
    share = buttons(card)[t("referral.share_button")]["uri"]
    assert share.startswith("https://line.me/R/share?text=")
    assert t("referral.prefill", code=code) in unquote(unquote(share))  # the link inside the text, encoded twice

    page.create_user(FRIEND)
    page.add_friend()
    friend_id = page.user_id()
    greeting = t("referral.redeemed", name=REFERRER, reward="").split("\n")[0]
    joined = page.say(t("referral.prefill", code=code), expect=greeting)  # what the shared link pre-fills
    welcome = _rewards_of(services, friend_id)[RewardKind.WELCOME]
    assert t("referral.redeemed", name=REFERRER, reward=reward_text(t, welcome, TAIWAN)) in joined
    assert welcome.title == SPEC.referee_reward.title

    page.play(REFERRER)
    told = page.expect(t("referral.friend_joined", name=FRIEND, reward=SPEC.referrer_reward.title))
    assert "push" in told

    result = runner.invoke(args=["referrals", "qualify", format_coupon(welcome.code)])
    assert result.exit_code == 0, result.output
    earned = _rewards_of(services, referrer_id)
    assert set(earned) == {RewardKind.REFERRER, RewardKind.TIER}
    thanks, tier = earned[RewardKind.REFERRER], earned[RewardKind.TIER]
    assert "push" in page.expect(t("referral.friend_qualified", name=FRIEND, reward=reward_text(t, thanks, TAIWAN)))
    page.expect(t("referral.tier_reached", count=1, reward=reward_text(t, tier, TAIWAN)))

    listed = page.tap(t("menu.rewards.label"), expect=t("reward.list", count=2, items="", more="").split("\n")[0])
    assert reward_text(t, thanks, TAIWAN) in listed and reward_text(t, tier, TAIWAN) in listed
    page.play(FRIEND)
    welcome_only = t("reward.list", count=1, items=reward_text(t, welcome, TAIWAN), more="")
    page.say(t("menu.rewards.keyword"), expect=welcome_only)
    assert page.errors() == []

    coupon = format_coupon(thanks.code)
    first = runner.invoke(args=["rewards", "redeem", coupon, "--by", "店長"])
    assert first.exit_code == 0, first.output
    assert _rewards_of(services, referrer_id)[RewardKind.REFERRER].redeemed_by == "店長"
    again = runner.invoke(args=["rewards", "redeem", coupon, "--by", "店長"])
    assert again.exit_code == 1
    assert f"coupon {coupon} was already redeemed on" in again.output and "by 店長" in again.output

    result = runner.invoke(args=["referrals", "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["codes_issued"], report["redemptions"], report["qualified"]) == (1, 1, 1)
    assert [(row["name"], row["code"]) for row in report["leaderboard"]] == [(REFERRER, code)]
    assert report["refusals"] == {}


def test_a_customer_sending_their_own_code_is_refused_in_the_chat_page(page: ChatPage, t: Texts, runner,
                                                                       services) -> None:
    code = _show_code(page, t, runner, services, REFERRER)
    refused = page.say(t("referral.prefill", code=code), expect=t("referral.refused.own_code"))
    assert "reply" in refused
    assert page.errors() == []
    assert _rewards_of(services, page.user_id()) == {}
    result = runner.invoke(args=["referrals", "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["redemptions"], report["refusals"]) == (0, {"own_code": 1})

"""Redemption end to end: the welcome reward, the referrer's push, every rule's refusal, the rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.referrals.campaigns import last_day, local_date, local_time
from handlers.referrals.codes import format_coupon
from storage.models.referrals import AttemptOutcome, ReferralAttempt, ReferralStatus, RewardKind
from tests import factories
from tests.handlers import referral_support as support
from tests.handlers.referral_support import (
    DEFAULT_CAMPAIGN,
    Shopper,
    joined,
    load_campaign,
    qualify,
    texts,
    write_campaign,
)

# the frozen clock is installed before the campaign is loaded and the first shopper follows
pytestmark = pytest.mark.usefixtures("clock")
shop = support.shop


@pytest.fixture
def amy(shop):
    amy = shop("王小美")
    amy.follow()
    amy.ask_code()
    amy.inbox()
    return amy


def refused(services, reason, **params):
    return services.catalogue.text(f"referral.refused.{reason}", code=params.pop("code", ""), **params)


def outcomes(services, shopper):
    with services.db.session_scope() as session:
        query = select(ReferralAttempt.outcome).where(ReferralAttempt.customer_id == shopper.customer.id)
        return list(session.scalars(query.order_by(ReferralAttempt.id)))


def test_friend_with_a_code_gets_the_welcome_reward_and_the_referrer_a_push(shop, amy, services, emulator):
    ben = shop("陳大文")
    ben.follow()
    answer = ben.say(f"嗨！我朋友說輸入 {amy.code.lower()} 可以拿見面禮")
    [welcome] = ben.rewards()
    assert welcome.kind == RewardKind.WELCOME and welcome.title == "新朋友見面禮：招牌拿鐵一杯"
    t = services.catalogue.translator("zh-TW")
    expiry = t("reward.expires", date=last_day(welcome.expires_at, services.zone))
    reward = t("reward.item", title=welcome.title, details=f"{welcome.description}\n",
               code=format_coupon(welcome.code), expiry=expiry)
    assert texts(answer) == [t("referral.redeemed", name="王小美", reward=reward)]
    referral = ben.referral()
    assert referral.referrer_id == amy.customer.id and referral.status == ReferralStatus.JOINED
    assert texts(amy.inbox()) == [t("referral.friend_joined", name="陳大文", reward="推薦感謝禮：NT$50 折價券")]
    [push] = emulator.calls("/v2/bot/message/push")
    assert push["requestBody"]["to"] == amy.user_id


def test_own_code_is_refused(amy, services):
    assert amy.say_text(f"推薦碼 {amy.code}") == refused(services, "own_code")
    assert amy.referral() is None


def test_one_referrer_per_referee_ever(shop, amy, services):
    carl = shop("林志明")
    carl.ask_code()
    ben = shop("陳大文")
    ben.follow()
    ben.say(amy.code)
    assert ben.say_text(carl.code) == refused(services, "already_referred")
    assert ben.referral().referrer_id == amy.customer.id


def test_a_customer_who_followed_long_ago_is_not_new(shop, amy, services, clock):
    ben = shop("陳大文")
    ben.follow()
    clock.advance(days=7, minutes=1)
    assert ben.say_text(amy.code) == refused(services, "not_new", days=7)
    assert ben.referral() is None


def test_a_customer_known_before_their_first_follow_is_not_new_after_blocking_and_unblocking(
        shop, amy, services, clock, live_bot):
    ben = shop("陳大文")
    ben.say("你好，請問營業時間？")  # wrote long ago; followed before the bot was there, so no follow was seen
    clock.advance(days=90)
    assert live_bot.send(factories.make_unfollow_event(ben.user_id)).status_code == 200
    ben.follow()  # the first follow the bot sees
    assert ben.say_text(amy.code) == refused(services, "not_new", days=7)
    assert ben.referral() is None


def test_a_code_typed_in_full_width_is_redeemed(shop, amy, services):
    ben = shop("陳大文")
    ben.follow()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in amy.code)  # a phone keyboard's full-width mode
    ben.say(f"我的推薦碼是 {full_width}")
    assert ben.referral() is not None and [r.kind for r in ben.rewards()] == [RewardKind.WELCOME]


def test_a_complaint_quoting_an_order_number_is_a_complaint_not_a_wrong_code(shop, services):
    ben = shop("陳大文")
    ben.follow()
    answer = ben.say_text("訂單 A2345678 到現在還沒收到，非常生氣，太誇張了")  # looks like a code, is none
    assert answer.startswith("陳大文您好，真的非常抱歉")
    assert outcomes(services, ben) == [AttemptOutcome.INVALID]  # still counted: no free guesses
    assert ben.say_text("A2345678") == refused(services, "invalid", code="A2345678")  # sent alone: meant


def test_a_customer_with_a_purchase_is_not_new(shop, amy, services, runner):
    ben = shop("陳大文")
    ben.follow()
    assert qualify(runner, ben.user_id).exit_code == 0
    assert ben.say_text(amy.code) == refused(services, "not_new", days=7)


def test_a_customer_who_already_referred_someone_is_not_new(shop, amy, services):
    ben, dan = shop("陳大文"), shop("張小華")
    ben.follow()
    ben.ask_code()
    dan.follow()
    dan.say(ben.code)
    assert ben.say_text(amy.code) == refused(services, "not_new", days=7)


def test_referring_back_is_a_cycle(shop, amy, services):
    ben = shop("陳大文")
    ben.follow()
    ben.say(amy.code)
    ben.ask_code()
    assert amy.say_text(f"推薦碼 {ben.code}") == refused(services, "cycle")
    assert amy.referral() is None


def test_codes_are_refused_when_the_campaign_is_stopped(shop, amy, services, runner):
    assert runner.invoke(args=["referrals", "campaign", "stop"]).exit_code == 0
    ben = shop("陳大文")
    ben.follow()
    assert ben.say_text(amy.code) == refused(services, "campaign_inactive")
    assert ben.rewards() == []


@pytest.mark.parametrize("settings_overrides", [{"extra": {"KOUBEI_REFERRAL_NEW_CUSTOMER_DAYS": "2"}}])
def test_the_new_customer_window_comes_from_the_environment_when_the_campaign_sets_none(
        live_bot, emulator, services, runner, clock, tmp_path):
    text = DEFAULT_CAMPAIGN.read_text(encoding="utf-8").replace("new_customer_days: 7\n", "")
    load_campaign(runner, write_campaign(tmp_path, text))
    amy, ben = Shopper(live_bot, emulator, services, "王小美"), Shopper(live_bot, emulator, services, "陳大文")
    amy.ask_code()
    ben.follow()
    clock.advance(days=2, hours=1)
    assert ben.say_text(amy.code) == refused(services, "not_new", days=2)


def test_an_unknown_code_is_refused_and_recorded(shop, services):
    ben = shop("陳大文")
    ben.follow()
    assert ben.say_text("推薦碼 ZZ9ZZ9") == refused(services, "invalid", code="ZZ9ZZ9")
    assert outcomes(services, ben) == [AttemptOutcome.INVALID]


def test_more_than_five_invalid_codes_in_an_hour_start_a_cool_down(shop, amy, services, clock):
    ben = shop("陳大文")
    ben.follow()
    for attempt in range(5):
        clock.advance(minutes=5)
        assert ben.say_text(f"ZZ{attempt + 2}ZZZ") == refused(services, "invalid", code=f"ZZ{attempt + 2}ZZZ")
    clock.advance(minutes=5)
    until = local_time(clock.now + timedelta(hours=1), services.zone)
    cooldown = services.catalogue.text("referral.cooldown", until=until)
    assert ben.say_text("ZZ8ZZZ") == cooldown
    clock.advance(minutes=30)
    assert ben.say_text(amy.code) == cooldown  # not even checked
    assert ben.referral() is None
    assert ben.say_text("謝謝") == services.catalogue.text("menu.help.text")  # ordinary chat is unaffected
    clock.advance(minutes=31)
    ben.say(amy.code)
    assert ben.referral() is not None
    assert outcomes(services, ben) == [AttemptOutcome.INVALID] * 6 + [
        AttemptOutcome.RATE_LIMITED, AttemptOutcome.COOLING_DOWN, AttemptOutcome.REDEEMED]


def test_refused_codes_do_not_count_towards_the_rate_limit(shop, amy, services):
    for _ in range(7):
        assert amy.say_text(amy.code) == refused(services, "own_code")


def test_rewards_list_reads_in_the_shop_time_zone_with_each_coupons_last_day(shop, amy, services, runner, clock):
    ben = shop("陳大文")
    joined(services, amy, ben)
    [welcome] = ben.rewards()
    zone, last = services.zone, last_day(welcome.expires_at, services.zone)
    unused = runner.invoke(args=["rewards", "list", ben.user_id])
    assert unused.exit_code == 0, unused.output
    assert f"{format_coupon(welcome.code)}" in unused.output and f"last day {last}" in unused.output
    assert runner.invoke(args=["rewards", "redeem", welcome.code, "--by", "店長"]).exit_code == 0
    redeemed_at = clock.now
    listed = runner.invoke(args=["rewards", "list", ben.user_id, "--all"])
    assert listed.exit_code == 0, listed.output
    # as the redeem refusal says it: 2026/12/03 22:47 in Taipei, not the stored UTC time
    assert f"redeemed {local_date(redeemed_at, zone)} {local_time(redeemed_at, zone)} by 店長" in listed.output
    assert f"last day {last}" in listed.output and "+00:00" not in listed.output


def test_rewards_list_all_says_when_an_unused_coupon_expired(shop, amy, services, runner, clock):
    ben = shop("陳大文")
    joined(services, amy, ben)
    [welcome] = ben.rewards()
    clock.advance(days=32)
    assert runner.invoke(args=["rewards", "list", ben.user_id]).output.endswith("0 coupon(s)\n")
    listed = runner.invoke(args=["rewards", "list", ben.user_id, "--all"])
    assert f"expired after {last_day(welcome.expires_at, services.zone)}" in listed.output
    assert "redeemed" not in listed.output

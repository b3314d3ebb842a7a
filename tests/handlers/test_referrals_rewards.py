"""Qualification and rewards end to end: referrer rewards, tier crossing, 我的獎勵, coupons redeemed once."""

from __future__ import annotations

import pytest

from handlers.actions import Action
from handlers.referrals import QualificationStatus, QualifyReason, qualify_referral
from handlers.referrals.campaigns import last_day, local_date, local_time
from handlers.referrals.codes import format_coupon
from storage import customers, referrals
from storage.models.referrals import ReferralStatus, RewardKind
from tests.handlers import referral_support as support
from tests.handlers.referral_support import (
    DEFAULT_CAMPAIGN,
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
    amy.ask_code()
    return amy


def coupon_text(services, reward, language="zh-TW"):
    t = services.catalogue.translator(language)
    expiry = (t("reward.expires", date=last_day(reward.expires_at, services.zone)) if reward.expires_at
              else t("reward.no_expiry"))
    details = f"{reward.description}\n" if reward.description else ""
    key = "reward.item_vip" if reward.vip else "reward.item"
    return t(key, title=reward.title, details=details, code=format_coupon(reward.code), expiry=expiry)


def test_first_purchase_qualifies_and_rewards_the_referrer_with_a_push(shop, amy, services, runner):
    ben = shop("陳大文")
    joined(services, amy, ben)
    amy.inbox()
    result = qualify(runner, ben.user_id)
    assert result.exit_code == 0, result.output
    assert ben.referral().status == ReferralStatus.QUALIFIED and ben.referral().qualified_reason == "purchase"
    by_kind = {reward.kind: reward for reward in amy.rewards()}
    assert set(by_kind) == {RewardKind.REFERRER, RewardKind.TIER}
    assert by_kind[RewardKind.TIER].tier == 1 and by_kind[RewardKind.TIER].title == "推薦達人：NT$100 折價券"
    t = services.catalogue.translator("zh-TW")
    assert texts(amy.inbox()) == [
        t("referral.friend_qualified", name="陳大文", reward=coupon_text(services, by_kind[RewardKind.REFERRER])),
        t("referral.tier_reached", count=1, reward=coupon_text(services, by_kind[RewardKind.TIER])),
    ]
    assert format_coupon(by_kind[RewardKind.REFERRER].code) in result.output


def test_qualifying_twice_issues_nothing_more(shop, amy, services, runner):
    ben = shop("陳大文")
    joined(services, amy, ben)
    qualify(runner, ben.user_id)
    again = qualify(runner, ben.code or ben.rewards()[0].code)
    assert again.exit_code == 0 and "already_qualified" in again.output
    assert len(amy.rewards()) == 2


def test_tiers_are_crossed_at_one_and_three_qualified_friends(shop, amy, services, runner):
    friends = [shop(name) for name in ("陳大文", "林志明", "張小華")]
    for friend in friends:
        joined(services, amy, friend)
    tiers_after = []
    for friend in friends:
        qualify(runner, friend.user_id)
        tiers_after.append(sorted(r.tier for r in amy.rewards() if r.kind == RewardKind.TIER))
    assert tiers_after == [[1], [1], [1, 3]]
    tier3 = next(r for r in amy.rewards() if r.tier == 3)
    assert texts(amy.inbox())[-1] == services.catalogue.text(
        "referral.tier_reached", count=3, reward=coupon_text(services, tier3))
    assert sum(r.kind == RewardKind.REFERRER for r in amy.rewards()) == 3


def test_my_rewards_lists_unused_coupons_and_forgets_redeemed_ones(shop, amy, services, runner):
    assert amy.say_text("我的獎勵") == services.catalogue.text("reward.none")
    ben = shop("陳大文")
    joined(services, amy, ben)
    qualify(runner, ben.user_id)
    referrer, tier = sorted(amy.rewards(), key=lambda r: r.id)
    items = "\n\n".join(coupon_text(services, r) for r in sorted((referrer, tier), key=lambda r: r.expires_at))
    assert amy.say_text("我的獎勵") == services.catalogue.text("reward.list", count=2, items=items, more="")
    typed = format_coupon(referrer.code).lower()
    assert runner.invoke(args=["rewards", "redeem", typed, "--by", "店長"]).exit_code == 0
    listed = services.catalogue.text("reward.list", count=1, items=coupon_text(services, tier), more="")
    assert texts(amy.tap(Action.REWARDS_LIST)) == [listed]


def test_a_coupon_is_redeemed_once_and_the_second_time_says_when_and_by_whom(shop, amy, services, runner, clock):
    ben = shop("陳大文")
    joined(services, amy, ben)
    [welcome] = ben.rewards()
    first = runner.invoke(args=["rewards", "redeem", welcome.code, "--by", "店長阿德"])
    assert first.exit_code == 0 and welcome.title in first.output
    redeemed_at = clock.now
    clock.advance(hours=2)
    second = runner.invoke(args=["rewards", "redeem", format_coupon(welcome.code), "--by", "小芳"])
    assert second.exit_code == 1
    assert "already redeemed" in second.output and "店長阿德" in second.output
    [used] = ben.rewards()
    assert used.redeemed_by == "店長阿德" and used.redeemed_at == redeemed_at
    assert f"{local_date(redeemed_at, services.zone)} {local_time(redeemed_at, services.zone)}" in second.output


def test_welcome_coupon_used_at_the_till_qualifies_the_referral(shop, amy, services, runner):
    ben = shop("陳大文")
    joined(services, amy, ben)
    [welcome] = ben.rewards()
    assert runner.invoke(args=["rewards", "redeem", welcome.code]).exit_code == 0
    referral = ben.referral()
    assert referral.status == ReferralStatus.QUALIFIED and referral.qualified_reason == "welcome_coupon_redeemed"
    assert {r.kind for r in amy.rewards()} == {RewardKind.REFERRER, RewardKind.TIER}


def test_expired_and_unknown_coupons_are_refused(shop, amy, services, runner, clock):
    ben = shop("陳大文")
    joined(services, amy, ben)
    [welcome] = ben.rewards()
    clock.advance(days=32)
    expired = runner.invoke(args=["rewards", "redeem", welcome.code])
    assert expired.exit_code == 1 and "expired" in expired.output
    assert ben.say_text("我的獎勵") == services.catalogue.text("reward.none")
    unknown = runner.invoke(args=["rewards", "redeem", "ZZZZZ-ZZZZZ"])
    assert unknown.exit_code == 1 and "no coupon" in unknown.output


def test_survey_completion_qualifies_only_where_the_campaign_says_so(shop, amy, services, runner, tmp_path):
    ben = shop("陳大文")
    joined(services, amy, ben)
    with services.db.session_scope() as session:
        customer = customers.get_by_line_id(session, line_user_id=ben.user_id)
        result = qualify_referral(session, customer=customer, now=services.clock(),
                                  reason=QualifyReason.SURVEY_COMPLETED)
        assert result.status == QualificationStatus.NOT_COUNTED
        assert result.notifications(services.catalogue, services.zone) == []
    text = DEFAULT_CAMPAIGN.read_text(encoding="utf-8").replace(
        "qualify_on: [purchase, welcome_coupon_redeemed]", "qualify_on: [survey_completed]")
    load_campaign(runner, write_campaign(tmp_path, text))
    with services.db.session_scope() as session:
        customer = customers.get_by_line_id(session, line_user_id=ben.user_id)
        result = qualify_referral(session, customer=customer, now=services.clock(),
                                  reason=QualifyReason.SURVEY_COMPLETED)
        assert result.status == QualificationStatus.QUALIFIED
        [notify] = result.notifications(services.catalogue, services.zone)
        assert notify.to == amy.user_id and len(notify.messages) == 2


def test_qualify_names_an_unknown_customer(runner, amy):
    result = qualify(runner, "U" + "0" * 32)
    assert result.exit_code == 1 and "no customer" in result.output


def refused(runner, services, path):
    """Load a campaign file that must be refused; nothing may be stored."""
    result = runner.invoke(args=["referrals", "campaign", "load", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception  # not a traceback
    with services.db.session_scope() as session:
        assert referrals.list_campaigns(session) == []
    return result.output


NO_SUCH_DAY = "is not a real date (day is out of range for month)"


@pytest.mark.parametrize(("line", "bad", "problem"), [
    ("starts: 2026-01-01", "starts: 2026-02-30", f"starts: 2026-02-30 {NO_SUCH_DAY}"),
    ("# ends: 2026-12-31", "ends: 2026-06-31", f"ends: 2026-06-31 {NO_SUCH_DAY}"),
    ("  valid_days: 30\n", "  expires: 2026-04-31\n", f"referee_reward.expires: 2026-04-31 {NO_SUCH_DAY}"),
    ("    valid_days: 365", "    expires: 2026-13-01",
     "tiers[2].expires: 2026-13-01 is not a real date (month must be in 1..12)"),
])
def test_an_impossible_date_is_refused_naming_its_key(runner, services, tmp_path, line, bad, problem):
    text = DEFAULT_CAMPAIGN.read_text(encoding="utf-8")
    assert line in text
    path = write_campaign(tmp_path, text.replace(line, bad, 1))
    assert f"{path}: {problem}" in refused(runner, services, path)



def test_a_campaign_file_that_is_not_utf8_is_refused(runner, services, tmp_path):
    path = tmp_path / "campaign.yaml"
    path.write_text(DEFAULT_CAMPAIGN.read_text(encoding="utf-8"), encoding="utf-16")
    assert f"{path}: the file is not UTF-8 text (invalid start byte)" in refused(runner, services, path)


def test_every_problem_of_a_campaign_file_is_listed(runner, services, tmp_path):
    text = (DEFAULT_CAMPAIGN.read_text(encoding="utf-8")
            .replace("slug: friends-2026", "slug: Friends 2026")
            .replace("starts: 2026-01-01", "starts: 2026/01/01")
            .replace("qualify_on: [purchase, welcome_coupon_redeemed]", "qualify_on: [purchase, tweeted]")
            .replace("  value: 50\n", "  value: -50\n  valid_for: 60\n")
            .replace("  - referrals: 3\n", "  - referrals: 1\n"))
    path = write_campaign(tmp_path, text)
    output = refused(runner, services, path)
    for problem in ("slug: lower-case letters, digits and dashes, e.g. spring-2026",
                    "starts: expected a date like 2026-03-01, got '2026/01/01'",
                    "qualify_on: expected a list drawn from purchase, survey_completed, welcome_coupon_redeemed",
                    "referrer_reward: unknown key(s) valid_for",
                    "referrer_reward.value: expected a positive whole number, got -50",
                    "tiers: two tiers have the same number of referrals"):
        assert f"{path}: {problem}" in output

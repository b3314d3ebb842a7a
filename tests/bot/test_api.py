"""The staff API over real HTTP: bearer key, first-purchase qualification, coupon redemption, report."""

from __future__ import annotations

import logging

import pytest
import requests

from handlers.referrals.codes import format_coupon
from storage.models.referrals import ReferralStatus, RewardKind
from tests.handlers.referral_support import Shopper, joined, load_campaign, texts

API_KEY = "k0ubei-test-api-key-2f9c"


@pytest.fixture
def settings_overrides():
    return {"api_key": API_KEY}


@pytest.fixture
def api(live_bot):
    def call(method: str, path: str, key: str | None = API_KEY, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        return requests.request(method, f"{live_bot.url}/api{path}", headers=headers, timeout=10, **kwargs)
    return call


@pytest.fixture
def pair(live_bot, emulator, services, runner):
    """王小美 referred 陳大文, who has not bought anything yet."""
    load_campaign(runner)
    amy, ben = Shopper(live_bot, emulator, services, "王小美"), Shopper(live_bot, emulator, services, "陳大文")
    amy.ask_code()
    joined(services, amy, ben)
    amy.inbox()
    return amy, ben


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", f"Basic {API_KEY}", "Bearer ", API_KEY])
def test_requests_without_the_key_are_401_and_change_nothing(pair, live_bot, header, caplog):
    amy, ben = pair
    headers = {"Authorization": header} if header is not None else {}
    with caplog.at_level(logging.INFO):
        response = requests.post(f"{live_bot.url}/api/referrals/qualify", json={"customer": ben.user_id},
                                 headers=headers, timeout=10)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ben.referral().status == ReferralStatus.JOINED
    assert API_KEY not in caplog.text


@pytest.mark.parametrize("settings_overrides", [{}])
def test_the_api_is_off_without_a_configured_key(api):
    assert api("GET", "/referrals/report", key="anything").status_code == 503


def test_qualify_records_the_purchase_and_rewards_the_referrer(pair, api, services):
    amy, ben = pair
    response = api("POST", "/referrals/qualify", json={"customer": ben.user_id})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "qualified" and body["first_purchase"] is True
    assert body["referrer"]["line_user_id"] == amy.user_id
    assert sorted(r["kind"] for r in body["rewards"]) == [RewardKind.REFERRER, RewardKind.TIER]
    assert len(texts(amy.inbox())) == 2
    again = api("POST", "/referrals/qualify", json={"customer": ben.code or format_coupon(ben.rewards()[0].code)})
    assert again.json()["status"] == "already_qualified" and again.json()["first_purchase"] is False


def test_qualify_answers_unknown_and_missing_customers(api, runner, pair):
    assert api("POST", "/referrals/qualify", json={"customer": "U" + "f" * 32}).status_code == 404
    _, ben = pair
    for number in (str(ben.customer.id), "9" * 20):  # a receipt number typed by mistake names nobody
        assert api("POST", "/referrals/qualify", json={"customer": number}).status_code == 404
    assert ben.referral().status == ReferralStatus.JOINED
    assert api("POST", "/referrals/qualify", json={}).status_code == 400
    assert api("POST", "/referrals/qualify", data="not json").status_code == 400


def test_a_coupon_is_redeemed_once_then_409_says_when_and_by_whom(pair, api):
    _, ben = pair
    [welcome] = ben.rewards()
    first = api("POST", "/rewards/redeem", json={"code": format_coupon(welcome.code), "staff": "店長阿德"})
    assert first.status_code == 200 and first.json()["reward"]["redeemed_by"] == "店長阿德"
    second = api("POST", "/rewards/redeem", json={"code": welcome.code.lower(), "staff": "小芳"})
    assert second.status_code == 409
    body = second.json()
    assert body["error"] == "already_redeemed"
    assert body["reward"]["redeemed_by"] == "店長阿德"
    assert body["reward"]["redeemed_at"] == first.json()["reward"]["redeemed_at"]
    assert api("POST", "/rewards/redeem", json={"code": "ZZZZZ-ZZZZZ"}).status_code == 404


def test_report_is_available_as_json(pair, api):
    report = api("GET", "/referrals/report").json()
    assert (report["codes_issued"], report["redemptions"], report["qualified"]) == (1, 1, 0)

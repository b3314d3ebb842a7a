"""Personal codes end to end: asked by keyword or button, stable, unique, shared with an exact LINE link."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest
from sqlalchemy import func, select

from handlers.actions import Action
from storage.models.referrals import ReferralAttempt, ReferralCode
from tests.handlers import referral_support as support
from tests.handlers.referral_support import Shopper, texts

SHARE_PREFIX = "https://line.me/R/share?text="


shop = support.shop


def card_of(messages):
    [card] = [m for m in messages if m["type"] == "flex"]
    return card


def share_button(messages) -> str:
    buttons = card_of(messages)["contents"]["footer"]["contents"]
    [uri] = [b["action"]["uri"] for b in buttons if b["action"]["type"] == "uri"]
    return uri


def test_keyword_gives_a_code_and_the_same_code_every_time(shop, services):
    amy = shop("王小美")
    answer = amy.say("推薦碼")
    code = amy.code
    assert code is not None and len(code) == 6
    assert texts(answer) == [services.catalogue.text("referral.your_code", code=code)]
    assert card_of(answer)["altText"] == services.catalogue.text("referral.card_alt", code=code)
    assert texts(amy.say("我的推薦碼")) == texts(answer)
    assert texts(amy.tap(Action.REFERRAL_SHOW)) == texts(answer)
    with services.db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(ReferralCode)) == 1


def test_each_customer_gets_a_different_code(shop):
    codes = {shop(f"客人{i}").ask_code() for i in range(4)}
    assert len(codes) == 4


def test_share_link_opens_the_share_picker_with_a_chat_link_prefilled_with_the_code(shop, services):
    amy = shop("王小美")
    uri = share_button(amy.say("推薦碼"))
    code = amy.code
    assert uri.startswith(SHARE_PREFIX)
    encoded_text = uri[len(SHARE_PREFIX):]
    # every reserved character and every non-ASCII byte is percent-encoded
    assert all(c.isascii() and (c.isalnum() or c in "%-._~") for c in encoded_text)
    prefill = services.catalogue.text("referral.prefill", code=code)
    chat_link = "https://line.me/R/oaMessage/%40koubei/?%E6%8E%A8%E8%96%A6%E7%A2%BC%20" + code
    assert quote(prefill, safe="") == chat_link.split("?", 1)[1]
    reward = "新朋友見面禮：招牌拿鐵一杯"
    expected = services.catalogue.text("referral.share_text", code=code, reward=reward, link=chat_link)
    assert unquote(encoded_text) == expected
    assert "%2540koubei%2F%3F%25E6%258E%25A8" in encoded_text  # the chat link, encoded once more
    assert len(uri) <= 1000


def test_english_customers_get_english_texts_and_an_english_prefill(shop, services):
    tom = shop("Tom", language="en")
    answer = tom.say("referral code")
    code = tom.code
    assert texts(answer) == [services.catalogue.text("referral.your_code", "en", code=code)]
    prefill = quote(services.catalogue.text("referral.prefill", "en", code=code), safe="")
    assert f"oaMessage/%40koubei/?{prefill}" in unquote(share_button(answer))


def test_no_active_campaign_means_no_code(live_bot, emulator, services, runner):
    amy = Shopper(live_bot, emulator, services, "王小美")
    assert amy.say_text("推薦碼") == services.catalogue.text("referral.campaign_inactive")
    assert amy.code is None


@pytest.mark.parametrize("text", ["OK", "thanks", "請問你們幾點開門？", "推薦碼是什麼"])
def test_ordinary_messages_still_reach_the_menu_and_count_no_attempt(shop, services, text):
    amy = shop("王小美")
    assert amy.say_text(text) == services.catalogue.text("menu.help.text")
    with services.db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(ReferralAttempt)) == 0


@pytest.mark.parametrize("typed", ["推薦碼？", "推薦碼！", "我的推薦碼。", " 推薦碼～"])
def test_keyword_typed_with_trailing_punctuation_still_gives_the_code(shop, services, typed):
    # 「問卷！」 starts a survey; 「推薦碼！」 and 「推薦碼？」 must not fall through to the menu
    amy = shop("王小美")
    assert texts(amy.say(typed)) == [services.catalogue.text("referral.your_code", code=amy.code)]


@pytest.mark.parametrize("typed", ["我的獎勵。", "我的獎勵？", "我的獎勵！"])
def test_rewards_keyword_typed_with_trailing_punctuation_lists_the_rewards(shop, services, typed):
    assert shop("王小美").say_text(typed) == services.catalogue.text("reward.none")

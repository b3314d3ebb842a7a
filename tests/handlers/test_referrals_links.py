"""Codes and links as pure functions: the alphabet, free-text detection, the exact LINE URL scheme forms."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from handlers.referrals.codes import (
    ALPHABET,
    find_code_attempts,
    format_coupon,
    generate_code,
    generate_coupon,
    normalize_coupon,
)
from handlers.referrals.links import LinkTooLong, oa_message_url, share_url

KEYWORDS = ["推薦碼", "我的推薦碼", "referral code", "My referral code"]


def test_codes_use_only_unambiguous_characters_with_a_digit_and_a_letter():
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000  # random, not a handful of derived values
    for code in codes:
        assert len(code) == 6 and set(code) <= set(ALPHABET)
        assert not set(code) & set("0O1IL")
        assert any(c.isdigit() for c in code) and any(c.isalpha() for c in code)


def test_coupons_are_longer_than_any_referral_code_and_read_back_from_staff_typing():
    coupon = generate_coupon()
    assert len(coupon) == 10 and find_code_attempts(coupon, KEYWORDS) == []
    shown = format_coupon(coupon)
    assert shown == f"{coupon[:5]}-{coupon[5:]}"
    assert normalize_coupon(f" {shown.lower()} ") == coupon


@pytest.mark.parametrize("text", [
    "OK", "thanks", "謝謝你們的服務", "請問營業時間？", "推薦碼", "我的推薦碼", "what is my referral code?",
    "訂單編號 A1234567", "電話 0912345678", "2026/11/23 見", "referral code please", "Hello World", "iPhone15",
    "thanks a lot", "COFFEE",
])
def test_ordinary_messages_hold_no_code_attempt(text):
    assert find_code_attempts(text, KEYWORDS) == []


@pytest.mark.parametrize("text, expected", [
    ("AB3CDE", ["AB3CDE"]),
    ("ab3cde", ["AB3CDE"]),
    ("推薦碼 ab3cde", ["AB3CDE"]),
    ("我朋友給我的推薦碼是AB3CDE喔！", ["AB3CDE"]),
    ("推薦碼：XY7ZWK 謝謝", ["XY7ZWK"]),
    ("referral code q4r5s6", ["Q4R5S6"]),
    ("推薦碼 AB0CDE", ["AB0CDE"]),  # mistyped (0 is not in the alphabet) but meant as a code: counted
    ("推薦碼 thanks", ["THANKS"]),  # right after the keyword a word of code letters is an attempt
    ("hello AB3CDE and XY7ZWK", ["AB3CDE", "XY7ZWK"]),
    ("AB3CDE ab3cde", ["AB3CDE"]),
])
def test_code_attempts_are_found_in_free_text(text, expected):
    assert find_code_attempts(text, KEYWORDS) == expected


def test_oa_message_url_has_the_documented_form():
    assert oa_message_url("@koubei", "推薦碼 AB3CDE") == (
        "https://line.me/R/oaMessage/%40koubei/?%E6%8E%A8%E8%96%A6%E7%A2%BC%20AB3CDE")


def test_oa_message_url_adds_the_at_sign_of_a_basic_id_given_without_it():
    assert oa_message_url("123abcde", "hi") == "https://line.me/R/oaMessage/%40123abcde/?hi"


def test_share_url_encodes_every_reserved_character_and_utf8():
    assert share_url("好 a&b?c#d+e/f\n") == (
        "https://line.me/R/share?text=%E5%A5%BD%20a%26b%3Fc%23d%2Be%2Ff%0A")


def test_share_url_carries_the_oa_link_encoded_once_more():
    link = oa_message_url("@koubei", "推薦碼 AB3CDE")
    url = share_url(f"加入 {link}")
    assert url == ("https://line.me/R/share?text=%E5%8A%A0%E5%85%A5%20https%3A%2F%2Fline.me%2FR%2FoaMessage%2F"
                   "%2540koubei%2F%3F%25E6%258E%25A8%25E8%2596%25A6%25E7%25A2%25BC%2520AB3CDE")
    assert unquote(url.split("text=", 1)[1]) == f"加入 {link}"


def test_share_url_refuses_what_line_would_refuse():
    with pytest.raises(LinkTooLong):
        share_url("長" * 120)

"""Personal and coupon codes: generated at random, and told apart from ordinary words in free text."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

# no 0/O, 1/I/L: a code read aloud or copied by hand cannot be mistaken
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DIGITS = frozenset("23456789")
LETTERS = frozenset(ALPHABET) - DIGITS
CODE_LENGTH = 6
MIN_LENGTH, MAX_LENGTH = 6, 8
COUPON_LENGTH = 10  # longer than any referral code, so a pasted coupon is never taken for one

_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?![A-Za-z0-9])")
_SEPARATORS = " \t\n:：,，、=＝-－「」『』\"'()（）是"
_NOT_CODE = re.compile(r"[A-Za-z0-9\s" + re.escape(_SEPARATORS) + r"。.!！]")  # the code and what may surround it


def _random(length: int) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(length))
        # a digit and a letter in every code: that is how free text tells a code from a word or a number
        if DIGITS & set(code) and LETTERS & set(code):
            return code


def generate_code(length: int = CODE_LENGTH) -> str:
    """A new random personal code (not derived from anything about the customer)."""
    return _random(length)


def generate_coupon() -> str:
    """A new random coupon code, stored without its display dash."""
    return _random(COUPON_LENGTH)


def format_coupon(code: str) -> str:
    """Show a coupon code in two halves, easier to read out at the till."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_coupon(text: str) -> str:
    """Turn what staff typed (any case, full-width, dashes, spaces) into the stored coupon code."""
    return re.sub(r"[^A-Za-z0-9]", "", unicodedata.normalize("NFKC", text)).upper()


def looks_like_code(token: str) -> bool:
    """A standalone token is a code attempt only if it could be one of ours: alphabet, a digit and a letter."""
    upper = token.upper()
    return (MIN_LENGTH <= len(upper) <= MAX_LENGTH and set(upper) <= set(ALPHABET)
            and bool(DIGITS & set(upper)) and bool(LETTERS & set(upper)))


def _after_keyword(token: str) -> bool:
    """After the keyword the customer means a code: a mistyped one (with 0 or O) still counts as an attempt."""
    upper = token.upper()
    return MIN_LENGTH <= len(upper) <= MAX_LENGTH and (set(upper) <= set(ALPHABET) or any(c.isdigit() for c in upper))


def _keyword_ends(text: str, keywords: Iterable[str]) -> set[int]:
    """Where each keyword (推薦碼…) and the separators after it end in ``text``."""
    lowered = text.lower()
    keyword_ends = set()
    for keyword in keywords:
        start = lowered.find(keyword.lower())
        while keyword and start != -1:
            end = start + len(keyword)
            while end < len(text) and text[end] in _SEPARATORS:
                end += 1
            keyword_ends.add(end)
            start = lowered.find(keyword.lower(), start + 1)
    return keyword_ends


def find_code_attempts(text: str, keywords: Iterable[str]) -> list[str]:
    """The code attempts in a message, upper-cased, in order; empty for ordinary messages.

    Full-width letters and digits (a phone keyboard's full-width mode) read as their ASCII forms.
    """
    text = unicodedata.normalize("NFKC", text)
    keyword_ends = _keyword_ends(text, keywords)
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if looks_like_code(token) or (match.start() in keyword_ends and _after_keyword(token)):
            if token.upper() not in found:
                found.append(token.upper())
    return found


def meant_as_code(text: str, keywords: Iterable[str]) -> bool:
    """The customer plainly sends a code: the message names it (推薦碼 …) or is nothing but the code.

    A code-like token inside other words (an order number in a complaint) is only a guess.
    """
    text = unicodedata.normalize("NFKC", text)
    if _keyword_ends(text, keywords):
        return True
    return len(_TOKEN.findall(text)) == 1 and not _NOT_CODE.sub("", text)

"""Understand answers the way people type them: ５, 9分, 十分, ⭐⭐⭐⭐, an option's name or its number."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from handlers.errors import InvalidAnswer
from handlers.keywords import fold
from handlers.surveys.questions import AnswerValue, Question, QuestionKind

MAX_TEXT_ANSWER = 2000
CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                  "九": 9}
NUMBER = re.compile(r"^(?:我?給|打)?(?P<n>\d{1,3}|[零〇一二兩三四五六七八九十]{1,3})"
                    r"(?:分|顆星|星|points?|pts?|stars?)?$")
STARS = re.compile(r"^[⭐★]{1,10}$")
# a failed try at a score ("5.5", "-1", "9/10", "5分滿分給4"): numbers, signs and score words only
SCORE_ATTEMPT = re.compile(r"^[\d零〇一二兩三四五六七八九十百分顆星給打我滿是的.,/+~-]+$")
TRAILING = "。.!！~～ "


class NotAnAnswer(Exception):
    """Text that does not try to answer the question: other handlers should see it."""


@dataclass(frozen=True)
class Parsed:
    """An accepted answer: a number, an option id, or free text."""

    number: int | None = None
    choice: str | None = None
    text: str | None = None

    @property
    def value(self) -> AnswerValue | None:
        """What skip conditions compare: the number or the option id."""
        return self.number if self.number is not None else self.choice


def normalize(text: str) -> str:
    """Keyword folding (``handlers.keywords.fold``) plus keycap emoji as digits (9️⃣ → 9, 🔟 → 10);
    a trailing question mark is kept."""
    return fold(text.replace("\u20e3", "").replace("🔟", "10"), TRAILING)


def _chinese_number(word: str) -> int | None:
    """Read 零 to 九十九 written in Chinese numerals."""
    if word == "十":
        return 10
    tens, ten, ones = word.partition("十")
    if not ten:
        return CHINESE_DIGITS.get(word) if len(word) == 1 else None
    high = CHINESE_DIGITS.get(tens, -1) if tens else 1
    low = CHINESE_DIGITS.get(ones, -1) if ones else 0
    return high * 10 + low if high >= 0 and low >= 0 else None


def read_number(text: str) -> int | None:
    """The number a short answer states ("9分", "５", "十"), or None when it states none."""
    match = NUMBER.match(normalize(text))
    if match is None:
        return None
    word = match["n"]
    return int(word) if word.isdigit() else _chinese_number(word)


def _scale(question: Question, text: str) -> Parsed:
    low, high = question.scale
    folded = normalize(text)
    number = len(folded) if question.kind == QuestionKind.RATING and STARS.match(folded) else read_number(text)
    if number is None:
        # digits that do not read as one score ("5.5", "9/10") are a failed attempt; digits inside
        # anything else (an order number in a complaint, a friend's referral code) are not an answer
        if re.search(r"\d", folded) and SCORE_ATTEMPT.match(folded):
            raise InvalidAnswer(f"{text!r} is not a whole number from {low} to {high}")
        raise NotAnAnswer(text)
    if not low <= number <= high:
        raise InvalidAnswer(f"{number} is outside {low}-{high}")
    return Parsed(number=number)


def _choice(question: Question, text: str) -> Parsed:
    folded = normalize(text)
    for option in question.options:
        names = {normalize(option.id), *(normalize(label) for label in option.label.values())}
        if folded in names:
            return Parsed(choice=option.id)
    number = read_number(text)
    if number is None:
        raise NotAnAnswer(text)
    if not 1 <= number <= len(question.options):
        raise InvalidAnswer(f"there is no option {number}")
    return Parsed(choice=question.options[number - 1].id)


def _text(question: Question, text: str) -> Parsed:
    answer = text.strip()
    if not answer:
        raise InvalidAnswer("empty answer")
    return Parsed(text=answer[:MAX_TEXT_ANSWER])


TYPED: dict[QuestionKind, Callable[[Question, str], Parsed]] = {
    QuestionKind.NPS: _scale,
    QuestionKind.RATING: _scale,
    QuestionKind.CHOICE: _choice,
    QuestionKind.TEXT: _text,
}


def parse_typed(question: Question, text: str) -> Parsed:
    """Read a typed answer; InvalidAnswer for a failed attempt, NotAnAnswer for unrelated text."""
    return TYPED[question.kind](question, text)


def parse_button(question: Question, value: str) -> Parsed:
    """Read the value a quick-reply button carries: the score, or the option's position from 1."""
    if not value.isdigit():
        raise InvalidAnswer(f"button value {value!r}")
    number = int(value)
    if question.kind == QuestionKind.CHOICE:
        if not 1 <= number <= len(question.options):
            raise InvalidAnswer(f"there is no option {number}")
        return Parsed(choice=question.options[number - 1].id)
    if question.scale is None or not question.scale[0] <= number <= question.scale[1]:
        raise InvalidAnswer(f"button value {number} does not fit {question.kind}")
    return Parsed(number=number)

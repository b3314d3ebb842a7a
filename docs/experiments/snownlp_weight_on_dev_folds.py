"""Choose snownlp's weight where its scores are out of sample: nested 5-fold CV on the dev set.

The experiment of docs/sentiment.md ("snownlp's weight, chosen on dev.csv folds"). Run from the
project folder (a few minutes):

    .venv/bin/python docs/experiments/snownlp_weight_on_dev_folds.py /work/shared/data/sentiment/dev.csv

``snownlp_weight`` is the only weight ``flask sentiment tune`` does not fit: on snownlp's own
corpus its scores are in-sample. dev.csv is out of sample for snownlp, and the issue allows
tuning on it when the figures come from folds that took no part in the choice. The fitted
weights do not depend on it (``fit_weights`` leaves the snownlp term out), so only this one
number changes.

Prints: (1) per candidate, dev F1 with the threshold tuned on folds (the shipped protocol);
(2) the nested figure: on each outer fold, the candidate and threshold with the best F1 on the
other four folds, applied to that fold, pooled; (3) the candidate chosen on all rows by the
same criterion; (4) on our chat training rows, out of fold, at the shipped threshold: complaints
caught and non-complaints flagged with the shipped weight and with the chosen one.
"""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers import sentiment  # noqa: E402
from handlers.complaint_detection import (  # noqa: E402
    ComplaintThresholds,
    chatness,
    combine,
    complaint_probability_batch,
)
from handlers.complaint_lexicon import analyze  # noqa: E402
from handlers.complaint_tuning import FOLDS, fit_weights, out_of_fold_rows  # noqa: E402
from handlers.sentiment_eval import Prediction, best_threshold, evaluate, load_csv  # noqa: E402

SHIPPED = ComplaintThresholds()
CANDIDATES = (0.025, 0.05, 0.1, 0.2)
SEED = 20240601  # the split of sentiment_eval.cross_validated


def _f1(labels: list[int], scores: list[float], threshold: float) -> float:
    tp = sum(s >= threshold for s, label in zip(scores, labels, strict=True) if label == 0)
    fp = sum(s >= threshold for s, label in zip(scores, labels, strict=True) if label == 1)
    fn = sum(s < threshold for s, label in zip(scores, labels, strict=True) if label == 0)
    return 2 * tp / (2 * tp + fp + fn)


def _choose(rows: list[int], labels: list[int], scores: dict[float, list[float]]) -> tuple[float, float, float]:
    """Best (F1, weight, threshold) on ``rows``; ties go to the weight nearest the shipped one."""
    best: tuple[float, float, float] | None = None
    for weight in sorted(CANDIDATES, key=lambda w: abs(w - SHIPPED.snownlp_weight)):
        fold_labels = [labels[i] for i in rows]
        fold_scores = [scores[weight][i] for i in rows]
        threshold = best_threshold(fold_labels, fold_scores)
        f1 = _f1(fold_labels, fold_scores, threshold)
        if best is None or f1 > best[0] + 1e-12:
            best = (f1, weight, threshold)
    assert best is not None
    return best


def main(dev_path: str) -> None:
    examples = load_csv(dev_path)
    labels = [e.label for e in examples]
    texts = [e.text for e in examples]
    scores = {w: complaint_probability_batch(texts, replace(SHIPPED, snownlp_weight=w)) for w in CANDIDATES}

    order = list(range(len(examples)))
    random.Random(SEED).shuffle(order)
    fold_of = {index: position % FOLDS for position, index in enumerate(order)}

    print("(1) per candidate, threshold tuned on folds:")
    for weight in CANDIDATES:
        predictions: list[Prediction] = []
        for fold in range(FOLDS):
            train = [i for i in order if fold_of[i] != fold]
            threshold = best_threshold([labels[i] for i in train], [scores[weight][i] for i in train])
            predictions += [Prediction(labels[i], scores[weight][i], scores[weight][i] >= threshold)
                            for i in order if fold_of[i] == fold]
        m = evaluate(predictions)
        print(f"  snownlp_weight {weight}: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} AUC {m.auc:.4f}")

    nested: list[Prediction] = []
    for fold in range(FOLDS):
        train = [i for i in order if fold_of[i] != fold]
        inner_f1, weight, threshold = _choose(train, labels, scores)
        print(f"  outer fold {fold}: chose {weight} (inner F1 {inner_f1:.4f}, threshold {threshold:.3f})")
        nested += [Prediction(labels[i], scores[weight][i], scores[weight][i] >= threshold)
                   for i in order if fold_of[i] == fold]
    m = evaluate(nested)
    print(f"(2) nested held-out: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} precision {m.precision:.4f} "
          f"recall {m.recall:.4f}")

    _, chosen, _ = _choose(order, labels, scores)
    print(f"(3) chosen on all rows: snownlp_weight {chosen}")

    rows = out_of_fold_rows()
    chat = [(k, row) for k, row in enumerate(rows) if row.weight > 1.0]
    fold_rows = {fold: [row for k, row in enumerate(rows) if k % FOLDS != fold] for fold in range(FOLDS)}
    fitted = {fold: fit_weights(fold_rows[fold], SHIPPED) for fold in range(FOLDS)}
    print(f"(4) chat training rows, out of fold, threshold {SHIPPED.complaint_threshold}:")
    for weight in dict.fromkeys((SHIPPED.snownlp_weight, chosen)):
        caught = flagged = complaints = others = 0
        for k, row in chat:
            thresholds = replace(fitted[k % FOLDS], snownlp_weight=weight)
            signals = analyze(row.text)
            probability = 0.0 if signals.sticker else combine(
                row.model_logit, sentiment.score_simplified(row.text), signals,
                chatness(row.text, thresholds), thresholds)[0]
            flag = probability >= SHIPPED.complaint_threshold
            if row.label == 0:
                complaints += 1
                caught += flag
            else:
                others += 1
                flagged += flag
        print(f"  snownlp_weight {weight}: caught {caught}/{complaints}, flagged {flagged}/{others}")


if __name__ == "__main__":
    main(sys.argv[1])

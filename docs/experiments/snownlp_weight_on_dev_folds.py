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

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dev_folds import chat_guard, choose, fold_tuned, nested, split  # noqa: E402

from handlers.complaint_detection import ComplaintThresholds, complaint_probability_batch  # noqa: E402
from handlers.complaint_tuning import FOLDS, fit_weights, out_of_fold_rows  # noqa: E402
from handlers.sentiment_eval import evaluate, load_csv  # noqa: E402

SHIPPED = ComplaintThresholds()
CANDIDATES = (0.025, 0.05, 0.1, 0.2)


def main(dev_path: str) -> None:
    examples = load_csv(dev_path)
    labels = [e.label for e in examples]
    texts = [e.text for e in examples]
    scores = {w: complaint_probability_batch(texts, replace(SHIPPED, snownlp_weight=w)) for w in CANDIDATES}
    order, fold_of = split(len(examples))

    print("(1) per candidate, threshold tuned on folds:")
    for weight in CANDIDATES:
        m = evaluate(fold_tuned(order, fold_of, labels, scores[weight]))
        print(f"  snownlp_weight {weight}: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} AUC {m.auc:.4f}")

    m = evaluate(nested(order, fold_of, labels, scores, SHIPPED.snownlp_weight))
    print(f"(2) nested held-out: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} precision {m.precision:.4f} "
          f"recall {m.recall:.4f}")

    _, chosen, _ = choose(order, labels, scores, SHIPPED.snownlp_weight)
    print(f"(3) chosen on all rows: snownlp_weight {chosen}")

    rows = out_of_fold_rows()
    fitted = {fold: fit_weights([row for k, row in enumerate(rows) if k % FOLDS != fold], SHIPPED)
              for fold in range(FOLDS)}
    print(f"(4) chat training rows, out of fold, threshold {SHIPPED.complaint_threshold}:")
    for weight in dict.fromkeys((SHIPPED.snownlp_weight, chosen)):
        weights = {fold: replace(thresholds, snownlp_weight=weight) for fold, thresholds in fitted.items()}
        print(f"  snownlp_weight {weight}: {chat_guard(rows, weights, SHIPPED.complaint_threshold)}")


if __name__ == "__main__":
    main(sys.argv[1])

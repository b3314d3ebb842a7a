"""Choose ``chat_length`` below 20 on the dev set's folds: nested 5-fold CV, weights refitted per candidate.

The experiment of docs/sentiment.md ("How far the chat rules reach, chosen on dev.csv folds").
Run from the project folder (a few minutes):

    .venv/bin/python docs/experiments/chat_length_on_dev_folds.py /work/shared/data/sentiment/dev.csv

For each candidate the fusion weights are refitted on shipped training data only, as ``flask
sentiment tune`` would with that ``chat_length``; dev.csv only chooses among the candidates.

Prints: (0) the refitted weights per candidate (20 must reprint the shipped ones); (1) per
candidate, dev F1 with the threshold tuned on folds (the shipped protocol) and at 0.55; (2) the
nested figure: on each outer fold, the candidate and threshold with the best F1 on the other four
folds, applied to that fold, pooled; (3) the candidate chosen on all rows by the same criterion;
(4) on our chat training rows, out of fold, at the shipped threshold: complaints caught and
non-complaints flagged with the shipped candidate and with the chosen one.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dev_folds import chat_guard, choose, f1_at, fold_tuned, nested, split  # noqa: E402

from handlers.complaint_detection import FITTED_WEIGHTS, ComplaintThresholds, complaint_probability_batch  # noqa: E402
from handlers.complaint_tuning import FOLDS, fit_weights, out_of_fold_rows  # noqa: E402
from handlers.sentiment_eval import evaluate, load_csv  # noqa: E402

SHIPPED = ComplaintThresholds()
CANDIDATES = (12.0, 16.0, 20.0)


def main(dev_path: str) -> None:
    rows = out_of_fold_rows()
    fitted = {length: fit_weights(rows, replace(SHIPPED, chat_length=length)) for length in CANDIDATES}
    print("(0) weights refitted on training data per chat_length:")
    for length, thresholds in fitted.items():
        print(f"  {length:g}: bias {thresholds.bias} " + " ".join(
            f"{name} {getattr(thresholds, name)}" for name in FITTED_WEIGHTS))
    assert fitted[SHIPPED.chat_length] == SHIPPED, "tune does not reprint the shipped weights"

    examples = load_csv(dev_path)
    labels = [e.label for e in examples]
    texts = [e.text for e in examples]
    scores = {length: complaint_probability_batch(texts, fitted[length]) for length in CANDIDATES}
    order, fold_of = split(len(examples))

    print("(1) per candidate, dev F1 with the threshold tuned on folds, and at the shipped threshold:")
    for length in CANDIDATES:
        m = evaluate(fold_tuned(order, fold_of, labels, scores[length]))
        at_default = f1_at(labels, scores[length], SHIPPED.complaint_threshold)
        print(f"  chat_length {length:g}: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} AUC {m.auc:.4f}; "
              f"F1 at {SHIPPED.complaint_threshold} {at_default:.4f}")

    m = evaluate(nested(order, fold_of, labels, scores, SHIPPED.chat_length))
    print(f"(2) nested held-out: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} precision {m.precision:.4f} "
          f"recall {m.recall:.4f}")

    _, chosen, _ = choose(order, labels, scores, SHIPPED.chat_length)
    print(f"(3) chosen on all rows: chat_length {chosen:g}")

    print(f"(4) chat training rows, out of fold, threshold {SHIPPED.complaint_threshold}:")
    for length in dict.fromkeys((SHIPPED.chat_length, chosen)):
        base = replace(SHIPPED, chat_length=length)
        weights = {fold: fit_weights([row for k, row in enumerate(rows) if k % FOLDS != fold], base)
                   for fold in range(FOLDS)}
        print(f"  chat_length {length:g}: {chat_guard(rows, weights, SHIPPED.complaint_threshold)}")


if __name__ == "__main__":
    main(sys.argv[1])

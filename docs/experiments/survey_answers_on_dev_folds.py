"""Read survey answers as reviews? Nested 5-fold CV on dev.csv over three readings, guarded by survey answers.

The experiment of docs/sentiment.md ("Survey answers read as reviews"). Run from the project
folder (a few minutes):

    .venv/bin/python docs/experiments/survey_answers_on_dev_folds.py /work/shared/data/sentiment/dev.csv

Candidates: 0 the chat rules (shipped), 1 the chat rules without the short-message prior, 2 no
chat rules. No weight is refitted. Prints: (1) per candidate, dev F1 with the threshold tuned on
folds and at 0.55; (2) the nested figure; (3) the candidate chosen on all rows; (4) every
candidate on tests/data/survey_answers.csv at 0.55: complaints caught, non-complaints flagged.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dev_folds import choose, f1_at, fold_tuned, nested, split  # noqa: E402

from handlers.complaint_detection import ComplaintThresholds, complaint_probability_batch  # noqa: E402
from handlers.sentiment_eval import evaluate, load_csv  # noqa: E402

SHIPPED = ComplaintThresholds()
READINGS = {
    0: SHIPPED,  # the chat rules, as survey answers are read today
    1: replace(SHIPPED, short_message_bias=0.0),  # the chat rules without the short-message prior
    2: replace(SHIPPED, chat_length=1e-9),  # no chat rules: rule strength 0 at every length
}
SURVEY_SET = ROOT / "tests" / "data" / "survey_answers.csv"


def main(dev_path: str) -> None:
    examples = load_csv(dev_path)
    labels = [e.label for e in examples]
    texts = [e.text for e in examples]
    scores = {c: complaint_probability_batch(texts, thresholds) for c, thresholds in READINGS.items()}
    order, fold_of = split(len(examples))

    print("(1) per candidate, dev F1 with the threshold tuned on folds, and at the shipped threshold:")
    for candidate in READINGS:
        m = evaluate(fold_tuned(order, fold_of, labels, scores[candidate]))
        at_default = f1_at(labels, scores[candidate], SHIPPED.complaint_threshold)
        print(f"  candidate {candidate}: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} AUC {m.auc:.4f}; "
              f"F1 at {SHIPPED.complaint_threshold} {at_default:.4f}")

    m = evaluate(nested(order, fold_of, labels, scores, 0))
    print(f"(2) nested held-out: F1 {m.f1:.4f} accuracy {m.accuracy:.4f} precision {m.precision:.4f} "
          f"recall {m.recall:.4f} AUC {m.auc:.4f}")

    _, chosen, _ = choose(order, labels, scores, 0)
    print(f"(3) chosen on all rows: candidate {chosen:g}")

    survey = load_csv(SURVEY_SET)
    print(f"(4) {SURVEY_SET.name}, threshold {SHIPPED.complaint_threshold}:")
    for candidate, thresholds in READINGS.items():
        probabilities = complaint_probability_batch([e.text for e in survey], thresholds)
        flagged = [p >= SHIPPED.complaint_threshold for p in probabilities]
        caught = sum(f for f, e in zip(flagged, survey, strict=True) if e.label == 0)
        false_alarms = sum(f for f, e in zip(flagged, survey, strict=True) if e.label == 1)
        complaints = sum(e.label == 0 for e in survey)
        print(f"  candidate {candidate}: caught {caught}/{complaints}, "
              f"flagged {false_alarms}/{len(survey) - complaints}")


if __name__ == "__main__":
    main(sys.argv[1])

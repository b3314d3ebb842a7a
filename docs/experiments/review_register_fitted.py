"""The register as a fitted signal: the short-message prior split by register, both halves fitted.

The experiment of docs/sentiment.md ("The register as a fitted signal"). Run from the project
folder (a few minutes):

    .venv/bin/python docs/experiments/review_register_fitted.py /work/shared/data/sentiment/dev.csv

The prior's feature ``chat`` becomes two: ``chat * register`` (weight short_message_bias) and
``chat * (1 - register)`` (weight short_review_bias); every weight is refitted on training data
only, as in review_register.py, whose register model, folds and read-outs this reuses.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dev_folds import f1_at, fold_tuned, split  # noqa: E402
from held_out import THRESHOLD, chat_guard, held_out_probabilities, out_of_fold_logits, training_folds  # noqa: E402
from review_register import SHIPPED, SURVEY_SET, Register, out_of_fold_register, survey_line  # noqa: E402

from handlers import complaint_model, sentiment  # noqa: E402
from handlers.complaint_detection import (  # noqa: E402
    FITTED_WEIGHTS,
    SNOWNLP_LOGIT_LIMIT,
    ComplaintThresholds,
    _logit,
    _sigmoid,
    chatness,
    complaint_probability_batch,
    features,
)
from handlers.complaint_lexicon import analyze  # noqa: E402
from handlers.complaint_tuning import CHAT_ROW_WEIGHT  # noqa: E402
from handlers.sentiment_eval import evaluate, load_csv  # noqa: E402

REVIEW_BIAS = "short_review_bias"
NAMES = (*FITTED_WEIGHTS, REVIEW_BIAS)
Weights = tuple[ComplaintThresholds, float]


def split_features(logit: float, text: str, register: float) -> dict[str, float] | None:
    signals = analyze(text)
    if signals.sticker:
        return None
    chat = chatness(text, SHIPPED)
    values = features(logit, signals, chat, SHIPPED)
    values["short_message_bias"] = chat * register
    values[REVIEW_BIAS] = chat * (1.0 - register)
    return values


def fit(rows: list[tuple[str, int, float, float, float]]) -> Weights:
    """complaint_tuning.fit_weights with the split prior; rows: text, label, weight, logit, register."""
    from sklearn.linear_model import LogisticRegression

    matrix, targets, weights = [], [], []
    for text, label, weight, logit, register in rows:
        values = split_features(logit, text, register)
        if values is None:
            continue
        matrix.append([values[name] for name in NAMES])
        targets.append(1 - label)
        weights.append(weight)
    regression = LogisticRegression(C=1.0, max_iter=5000)
    regression.fit(matrix, targets, sample_weight=weights)
    fitted = {name: round(float(c), 2) for name, c in zip(NAMES, regression.coef_[0], strict=True)}
    review_bias = fitted.pop(REVIEW_BIAS)
    return replace(SHIPPED, bias=round(float(regression.intercept_[0]), 2), **fitted), review_bias


def probability(text: str, logit: float, positive: float, register: float, weights: Weights) -> float:
    thresholds, review_bias = weights
    values = split_features(logit, text, register)
    if values is None:
        return 0.0
    z = thresholds.bias + review_bias * values.pop(REVIEW_BIAS)
    z += sum(getattr(thresholds, name) * value for name, value in values.items())
    z += thresholds.snownlp_weight * _logit(1.0 - positive, SNOWNLP_LOGIT_LIMIT)
    return _sigmoid(z)


def score_texts(raw_texts: list[str], model: complaint_model.ComplaintModel, register: Register,
                weights: Weights) -> list[float]:
    """The candidate detector on raw texts, prepared as ``classify_batch`` prepares them."""
    cleaned = [sentiment.clean_text(t or "") for t in raw_texts]
    prepared = [complaint_model.prepare(t) for t in cleaned]
    logits = model.complaint_logits(prepared)
    registers = register.probabilities(prepared)
    return [0.0 if analyze(c).sticker else probability(p, logit, sentiment.score_simplified(p), r, weights)
            for c, p, logit, r in zip(cleaned, prepared, logits, registers, strict=True)]


def main(dev_path: str) -> None:
    started = time.perf_counter()
    data = complaint_model.load_training_data()
    folds = training_folds(data)
    logits = out_of_fold_logits(data, folds)
    registers = out_of_fold_register(data, folds)
    positive = {i: sentiment.score_simplified(data.texts[i]) for i in folds.held}

    def rows(indexes: list[int]) -> list[tuple[str, int, float, float, float]]:
        return [(data.texts[i], data.labels[i], 1.0 if i < data.corpus_rows else CHAT_ROW_WEIGHT, logits[i],
                 registers[i]) for i in indexes]

    candidate = fit(rows(folds.held))
    print("(0) refitted weights: bias", candidate[0].bias, f"{REVIEW_BIAS} {candidate[1]}",
          " ".join(f"{n} {getattr(candidate[0], n)}" for n in FITTED_WEIGHTS), flush=True)

    model = complaint_model.build(data)
    register = Register(model, data, [int(i >= data.corpus_rows) for i in range(len(data.texts))])

    examples = load_csv(dev_path)
    labels = [e.label for e in examples]
    texts = [e.text for e in examples]
    order, fold_of = split(len(examples))
    print("(1) dev.csv complaint F1, held out (threshold tuned on the other folds) and at 0.55:")
    for name, scores in (("shipped", complaint_probability_batch(texts)),
                         ("candidate", score_texts(texts, model, register, candidate))):
        m = evaluate(fold_tuned(order, fold_of, labels, scores))
        print(f"  {name}: held-out F1 {m.f1:.4f} accuracy {m.accuracy:.4f} precision {m.precision:.4f} "
              f"recall {m.recall:.4f} AUC {m.auc:.4f}; F1 at {THRESHOLD} {f1_at(labels, scores, THRESHOLD):.4f}",
              flush=True)

    shipped_oof = held_out_probabilities(data, folds, logits, positive)
    candidate_oof: dict[int, float] = {}
    for fold in range(5):
        weights = fit(rows([i for i in folds.held if folds.fold_of[i] != fold]))
        for i in folds.test(fold):
            candidate_oof[i] = probability(data.texts[i], logits[i], positive[i], registers[i], weights)
    print(f"(2) chat training rows, out of fold, at {THRESHOLD}:")
    print(f"  shipped: {chat_guard(shipped_oof, folds.chat, data.labels)}")
    print(f"  candidate: {chat_guard(candidate_oof, folds.chat, data.labels)}")

    survey = load_csv(SURVEY_SET)
    survey_labels = [e.label for e in survey]
    survey_texts = [e.text for e in survey]
    print(f"(3) {SURVEY_SET.name} at {THRESHOLD}:")
    print(f"  shipped: {survey_line(complaint_probability_batch(survey_texts), survey_labels)}")
    print(f"  candidate: {survey_line(score_texts(survey_texts, model, register, candidate), survey_labels)}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1])

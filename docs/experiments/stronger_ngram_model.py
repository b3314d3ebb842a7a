"""Would a stronger n-gram model help? Nested 5-fold CV on shipped training data only.

The experiment of docs/sentiment.md ("A stronger n-gram model"); it reads no evaluation set. Run
from the project folder (several minutes):

    .venv/bin/python docs/experiments/stronger_ngram_model.py

Candidates, all trained on exactly the shipped training data (corpus + chat rows, same weights,
same ``prepare``), fixed before the run:

- A: the shipped TF-IDF features scaled elementwise by the NB log-count ratio
  r = log((p/|p|1) / (q/|q|1)) of the training fold (NBSVM-style, Wang & Manning 2012), with
  p = 1 + weighted sum of binarised feature vectors of non-complaints, q the same for complaints;
  then the same logistic regression (C = 4). r is folded into the fitted coefficients, which is
  exact because it scales the normalised TF-IDF vector, so the shipped plain-Python scoring path
  applies unchanged (checked below against scikit-learn on the scaled features).
- B: character 1-4-grams, otherwise shipped.
- C: both.

Each configuration gets out-of-fold n-gram logits (complaint_tuning's sample and folds) and fusion
weights fitted on the other folds. Read at the shipped threshold, on held-out rows: (1) complaint
F1 on the corpus sample, (2) complaints caught and non-complaints flagged on our chat training rows.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from held_out import (  # noqa: E402
    THRESHOLD,
    chat_guard,
    complaint_f1,
    held_out_probabilities,
    out_of_fold_logits,
    training_folds,
)

from handlers import complaint_model, sentiment  # noqa: E402

NB_ALPHA = 1.0
CANDIDATES = (  # name, n-gram range, NB scaling; None = complaint_model.build as shipped
    ("shipped", None, False),
    ("A: NB-scaled features", (1, 3), True),
    ("B: char 1-4-grams", (1, 4), False),
    ("C: NB-scaled 1-4-grams", (1, 4), True),
)


def log_count_ratio(features: sparse.csr_matrix, labels: list[int], weights: list[float]) -> numpy.ndarray:
    """r = log((p/|p|1) / (q/|q|1)) over binarised features; p for non-complaints, q for complaints."""
    binary = features.copy()
    binary.data[:] = 1.0
    label = numpy.asarray(labels)
    weight = numpy.asarray(weights, dtype=numpy.float64)
    p = NB_ALPHA + binary.T @ (weight * (label == 1))
    q = NB_ALPHA + binary.T @ (weight * (label == 0))
    return numpy.log((p / p.sum()) / (q / q.sum()))


def build_candidate(
    data: complaint_model.TrainingData, ngram_range: tuple[int, int], nb_scaled: bool, check: list[str] | None = None
) -> complaint_model.ComplaintModel:
    """The shipped build with another n-gram range and/or NB scaling folded into the coefficients."""
    vectorizer = TfidfVectorizer(
        analyzer="char",
        ngram_range=ngram_range,
        min_df=complaint_model.MIN_DF,
        sublinear_tf=True,
        dtype=numpy.float32,
    )
    features = vectorizer.fit_transform(data.texts)
    ratio = log_count_ratio(features, data.labels, data.weights) if nb_scaled else None
    if ratio is not None:
        features = (features @ sparse.diags(ratio)).tocsr()
    classifier = LogisticRegression(C=complaint_model.REGULARISATION_C, max_iter=2000)
    classifier.fit(features, data.labels, sample_weight=data.weights)
    reference = None
    if check and ratio is not None:
        scaled = (vectorizer.transform(check) @ sparse.diags(ratio)).tocsr()
        reference = classifier.decision_function(scaled)
    if ratio is not None:
        classifier.coef_ = classifier.coef_ * ratio
    model = complaint_model.ComplaintModel(vectorizer, classifier, "")
    if reference is not None:
        sign = -1.0 if list(classifier.classes_).index(0) == 0 else 1.0
        fast = numpy.asarray(model.complaint_logits(check))
        expected = numpy.clip(sign * reference, -complaint_model.LOGIT_LIMIT, complaint_model.LOGIT_LIMIT)
        gap = float(numpy.max(numpy.abs(fast - expected)))
        assert gap < 1e-4, f"folded coefficients disagree with scikit-learn by {gap}"
        print(f"  fast path vs scikit-learn on scaled features: max difference {gap:.1e}", flush=True)
    return model


def main() -> None:
    data = complaint_model.load_training_data()
    folds = training_folds(data)
    positive = {i: sentiment.score_simplified(data.texts[i]) for i in folds.held}

    def run(ngram_range: tuple[int, int] | None, nb_scaled: bool) -> dict[int, float]:
        def candidate(subset: complaint_model.TrainingData, texts: list[str],
                      fold: int) -> complaint_model.ComplaintModel:
            return build_candidate(subset, ngram_range, nb_scaled, check=texts[:200] if fold == 0 else None)

        logits = out_of_fold_logits(data, folds, None if ngram_range is None else candidate)
        return held_out_probabilities(data, folds, logits, positive)

    for name, ngram_range, nb_scaled in CANDIDATES:
        started = time.perf_counter()
        probabilities = run(ngram_range, nb_scaled)
        print(f"== {name} (threshold {THRESHOLD}, {time.perf_counter() - started:.0f} s)\n"
              f"  (1) corpus sample: complaint F1 {complaint_f1(probabilities, folds.corpus, data.labels):.4f}\n"
              f"  (2) chat rows: {chat_guard(probabilities, folds.chat, data.labels)}", flush=True)


if __name__ == "__main__":
    main()

"""What the training-data experiments share: complaint_tuning's folds, the fused probability, the two read-outs.

Every experiment here scores a row only with models and fusion weights fitted on the other folds, and
reads it at the shipped threshold.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers import complaint_model  # noqa: E402
from handlers.complaint_detection import ComplaintThresholds, chatness, combine  # noqa: E402
from handlers.complaint_lexicon import analyze  # noqa: E402
from handlers.complaint_tuning import CHAT_ROW_WEIGHT, CORPUS_SAMPLE, FOLDS, SEED, TuningRow, fit_weights  # noqa: E402

THRESHOLD = ComplaintThresholds().complaint_threshold


@dataclass(frozen=True)
class Folds:
    """Row indexes of the training data: the corpus sample, the chat rows, and each one's fold."""

    corpus: list[int]
    chat: list[int]
    fold_of: dict[int, int]

    @property
    def held(self) -> list[int]:
        """Every row that is scored held out: the corpus sample, then the chat rows."""
        return self.corpus + self.chat

    def test(self, fold: int) -> list[int]:
        """The rows held out in this fold."""
        return [i for i in self.held if self.fold_of[i] == fold]


def training_folds(data: complaint_model.TrainingData) -> Folds:
    """The same sample, chat order and folds as complaint_tuning.out_of_fold_rows."""
    rng = random.Random(SEED)
    corpus = rng.sample(range(data.corpus_rows), min(CORPUS_SAMPLE, data.corpus_rows))
    chat = list(range(data.corpus_rows, len(data.texts)))
    rng.shuffle(chat)
    fold_of = {i: fold for fold in range(FOLDS) for group in (corpus, chat) for i in group[fold::FOLDS]}
    return Folds(corpus, chat, fold_of)


def out_of_fold_logits(
    data: complaint_model.TrainingData, folds: Folds,
    build: Callable[[complaint_model.TrainingData, list[str], int], complaint_model.ComplaintModel] | None = None,
) -> dict[int, float]:
    """Each held-out row's n-gram logit from a model trained without its fold (``build(training, texts, fold)``)."""
    logits: dict[int, float] = {}
    for fold in range(FOLDS):
        test = folds.test(fold)
        skip = set(test)
        keep = [i for i in range(len(data.texts)) if i not in skip]
        subset = complaint_model.TrainingData(
            [data.texts[i] for i in keep], [data.labels[i] for i in keep], [data.weights[i] for i in keep]
        )
        texts = [data.texts[i] for i in test]
        model = complaint_model.build(subset) if build is None else build(subset, texts, fold)
        logits.update(zip(test, model.complaint_logits(texts), strict=True))
    return logits


def fold_weights(data: complaint_model.TrainingData, folds: Folds, logits: dict[int, float], fold: int
                 ) -> ComplaintThresholds:
    """Fusion weights fitted on every held-out row outside ``fold``, with their out-of-fold n-gram logits."""
    rows = [TuningRow(data.texts[i], data.labels[i], 1.0 if i < data.corpus_rows else CHAT_ROW_WEIGHT, logits[i])
            for i in folds.held if folds.fold_of[i] != fold]
    return fit_weights(rows, ComplaintThresholds())


def held_out_probabilities(data: complaint_model.TrainingData, folds: Folds, logits: dict[int, float],
                           positive: dict[int, float]) -> dict[int, float]:
    """Each held-out row's complaint probability under fusion weights fitted on the other folds."""
    probabilities: dict[int, float] = {}
    for fold in range(FOLDS):
        thresholds = fold_weights(data, folds, logits, fold)
        for i in folds.test(fold):
            probabilities[i] = probability(data.texts[i], logits[i], positive[i], thresholds)
    return probabilities


def probability(text: str, logit: float, positive: float, thresholds: ComplaintThresholds) -> float:
    """The detector's complaint probability from a given n-gram logit and snownlp score."""
    signals = analyze(text)
    return 0.0 if signals.sticker else combine(logit, positive, signals, chatness(text, thresholds), thresholds)[0]


def complaint_f1(probabilities: dict[int, float], rows: list[int], labels: list[int]) -> float:
    """F1 of the complaint class (label 0) over these rows at the shipped threshold."""
    tp = sum(probabilities[i] >= THRESHOLD for i in rows if labels[i] == 0)
    fp = sum(probabilities[i] >= THRESHOLD for i in rows if labels[i] == 1)
    fn = sum(probabilities[i] < THRESHOLD for i in rows if labels[i] == 0)
    return 2 * tp / (2 * tp + fp + fn)


def chat_guard(probabilities: dict[int, float], chat: list[int], labels: list[int]) -> str:
    """Complaints caught and non-complaints flagged among the chat rows, as 'caught a/b, flagged c/d'."""
    complaints = [i for i in chat if labels[i] == 0]
    others = [i for i in chat if labels[i] == 1]
    caught = sum(probabilities[i] >= THRESHOLD for i in complaints)
    flagged = sum(probabilities[i] >= THRESHOLD for i in others)
    return f"caught {caught}/{len(complaints)}, flagged {flagged}/{len(others)}"

"""Evaluation of complaint detection on labelled CSV files, so every figure we quote is reproducible.

Labels follow the dev set: 1 = positive / not a complaint, 0 = negative / complaint. Metrics are
for the negative (complaint) class, because that is the class that pages staff.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from handlers.spreadsheets import decode_csv


@dataclass(frozen=True)
class Example:
    """One labelled message: label 1 = not a complaint, 0 = complaint."""

    text: str
    label: int


@dataclass(frozen=True)
class Prediction:
    """A detector's output for one labelled message."""

    label: int
    complaint_probability: float
    is_complaint: bool


@dataclass(frozen=True)
class Metrics:
    """Accuracy plus complaint-class precision/recall/F1, ROC AUC and the raw confusion counts."""

    n: int
    complaints: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    auc: float
    false_positive_rate: float
    tp: int
    fp: int
    fn: int
    tn: int

    def to_dict(self) -> dict[str, float | int | None]:
        """Return a JSON-ready mapping with rounded ratios; an undefined value (AUC with one class) is None."""
        return {
            k: (round(v, 4) if math.isfinite(v) else None) if isinstance(v, float) else v
            for k, v in asdict(self).items()
        }

    def to_text(self) -> str:
        """Return a short human-readable report (complaint = negative class)."""
        return (
            f"messages: {self.n} (complaints: {self.complaints})\n"
            f"accuracy: {self.accuracy:.4f}\n"
            f"complaint precision: {self.precision:.4f}\n"
            f"complaint recall: {self.recall:.4f}\n"
            f"complaint F1: {self.f1:.4f}\n"
            f"ROC AUC: {f'{self.auc:.4f}' if math.isfinite(self.auc) else 'n/a (needs both classes)'}\n"
            f"false-positive rate (non-complaints flagged): {self.false_positive_rate:.4f}\n"
            f"confusion: tp={self.tp} fp={self.fp} fn={self.fn} tn={self.tn}"
        )


def _read_text(path: str | Path) -> str:
    """Return the file's text: UTF-8 (BOM tolerated), or Big5/cp950 as Excel saves CSV in Taiwan."""
    text = decode_csv(Path(path).read_bytes())
    if text is None:
        raise ValueError(f"{path}: not UTF-8 or Big5 text; save it as CSV UTF-8")
    return text


def load_csv(path: str | Path) -> list[Example]:
    """Read a ``text,label`` CSV (UTF-8 or Big5, BOM tolerated); rows with an empty text are skipped.

    Column names are matched ignoring case and surrounding spaces; other columns are ignored.
    Raises ``ValueError`` with a one-line message for a file that cannot be used.
    """
    text = _read_text(path)
    if not text.strip():
        raise ValueError(f"{path}: empty file; expected a header line text,label")
    examples: list[Example] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if reader.fieldnames is None or not {"text", "label"} <= {f.strip().lower() for f in reader.fieldnames}:
            raise ValueError(f"{path}: expected columns text,label in the first line")
        reader.fieldnames = [f.strip().lower() for f in reader.fieldnames]
        for row in reader:
            line = reader.line_num
            text_cell = (row["text"] or "").strip()
            label = (row["label"] or "").strip()
            if label not in ("0", "1"):
                raise ValueError(f"{path}:{line}: label must be 0 or 1, got {label!r}")
            if text_cell:
                examples.append(Example(text=text_cell, label=int(label)))
    except csv.Error as error:
        raise ValueError(f"{path}:{reader.line_num}: not a readable CSV file ({error})") from error
    return examples


def roc_auc(labels: Sequence[int], complaint_scores: Sequence[float]) -> float:
    """ROC AUC of scores for the complaint class (label 0), ties counted as half."""
    ranked = sorted(zip(complaint_scores, labels, strict=True))
    n_pos = sum(1 for label in labels if label == 0)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2
        rank_sum += average_rank * sum(1 for _, label in ranked[i:j] if label == 0)
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def evaluate(rows: Iterable[Prediction]) -> Metrics:
    """Compute metrics for the complaint class from predictions; pure, no model involved."""
    items = list(rows)
    tp = sum(1 for r in items if r.label == 0 and r.is_complaint)
    fn = sum(1 for r in items if r.label == 0 and not r.is_complaint)
    fp = sum(1 for r in items if r.label == 1 and r.is_complaint)
    tn = sum(1 for r in items if r.label == 1 and not r.is_complaint)
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return Metrics(
        n=len(items),
        complaints=tp + fn,
        accuracy=_ratio(tp + tn, len(items)),
        precision=precision,
        recall=recall,
        f1=f1,
        auc=roc_auc([r.label for r in items], [r.complaint_probability for r in items]),
        false_positive_rate=_ratio(fp, fp + tn),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
    )


def predict(
    examples: Sequence[Example],
    probabilities: Callable[[list[str]], list[float]],
    threshold: float,
) -> list[Prediction]:
    """Score examples in one batch and flag those at or above ``threshold``."""
    scores = probabilities([e.text for e in examples])
    return [
        Prediction(label=e.label, complaint_probability=p, is_complaint=p >= threshold)
        for e, p in zip(examples, scores, strict=True)
    ]


def best_threshold(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Return the threshold maximising complaint F1 on the given rows (used on training folds only).

    The threshold sits halfway between the last flagged score and the next one, so that it
    does not hug a single training row.
    """
    pairs = sorted(zip(scores, labels, strict=True), reverse=True)
    total_complaints = sum(1 for label in labels if label == 0)
    best, best_f1 = 0.5, -1.0
    tp = fp = 0
    for i, (score_value, label) in enumerate(pairs):
        if label == 0:
            tp += 1
        else:
            fp += 1
        if i + 1 < len(pairs) and pairs[i + 1][0] == score_value:
            continue
        f1 = _ratio(2 * tp, tp + fp + total_complaints)
        if f1 > best_f1 + 1e-12:
            lower = pairs[i + 1][0] if i + 1 < len(pairs) else score_value
            best, best_f1 = (score_value + lower) / 2, f1
    return best


def cross_validated(
    examples: Sequence[Example],
    probabilities: Callable[[list[str]], list[float]],
    folds: int = 5,
    seed: int = 20240601,
) -> tuple[Metrics, list[float]]:
    """Tune the threshold on k-1 folds, apply it to the held-out fold; return pooled held-out metrics.

    Only the decision threshold is tuned here; the model itself never sees these rows.
    """
    import random

    scores = probabilities([e.text for e in examples])
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    fold_of = {index: position % folds for position, index in enumerate(order)}
    predictions: list[Prediction | None] = [None] * len(examples)
    thresholds: list[float] = []
    for fold in range(folds):
        train = [i for i in order if fold_of[i] != fold]
        threshold = best_threshold([examples[i].label for i in train], [scores[i] for i in train])
        thresholds.append(threshold)
        for i in order:
            if fold_of[i] == fold:
                predictions[i] = Prediction(examples[i].label, scores[i], scores[i] >= threshold)
    return evaluate(p for p in predictions if p is not None), thresholds

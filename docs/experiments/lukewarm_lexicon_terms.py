"""Would lukewarm-verdict terms in the complaint lexicon help? Nested 5-fold CV on shipped training data only.

The experiment of docs/sentiment.md ("Lukewarm verdicts in the lexicon"); it reads no evaluation set.
Run from the project folder (a few minutes):

    .venv/bin/python docs/experiments/lukewarm_lexicon_terms.py

The n-gram model does not read the lexicon, so its out-of-fold logits are computed once
(complaint_tuning's sample and folds). For the shipped lexicon and for the shipped lexicon plus
LUKEWARM_TERMS, fusion weights are fitted on the other folds and each held-out row is read at the
shipped threshold: (1) complaint F1 on the corpus sample, (2) complaints caught and non-complaints
flagged on our chat training rows.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from handlers import complaint_lexicon, complaint_model, sentiment  # noqa: E402
from handlers.complaint_detection import ComplaintThresholds, chatness, combine  # noqa: E402
from handlers.complaint_lexicon import LEXICON_PATH, analyze  # noqa: E402
from handlers.complaint_tuning import CHAT_ROW_WEIGHT, CORPUS_SAMPLE, FOLDS, SEED, TuningRow, fit_weights  # noqa: E402

THRESHOLD = ComplaintThresholds().complaint_threshold

# fixed before the run (docs/sentiment.md): everyday verdicts that a visit or a product was only so-so
LUKEWARM_TERMS = """
# lukewarm verdicts: weight 1, a cue that needs support
1 普普通通
1 普通而已
1 就那樣
1 不怎麼樣
1 沒什麼特別
1 一般般
1 馬馬虎虎
1 差強人意
1 不如預期
1 沒想像中好
1 沒有想像中好
1 名不符實
1 名過其實
1 還好而已
1 後悔
"""


def main() -> None:
    data = complaint_model.load_training_data()
    rng = random.Random(SEED)  # the same sample, chat order and folds as complaint_tuning.out_of_fold_rows
    corpus = rng.sample(range(data.corpus_rows), min(CORPUS_SAMPLE, data.corpus_rows))
    chat = list(range(data.corpus_rows, len(data.texts)))
    rng.shuffle(chat)
    fold_of = {i: fold for fold in range(FOLDS) for group in (corpus, chat) for i in group[fold::FOLDS]}
    held = corpus + chat
    positive = {i: sentiment.score_simplified(data.texts[i]) for i in held}

    started = time.perf_counter()
    logits: dict[int, float] = {}
    for fold in range(FOLDS):
        test = [i for i in held if fold_of[i] == fold]
        skip = set(test)
        keep = [i for i in range(len(data.texts)) if i not in skip]
        subset = complaint_model.TrainingData(
            [data.texts[i] for i in keep], [data.labels[i] for i in keep], [data.weights[i] for i in keep]
        )
        logits.update(zip(test, complaint_model.build(subset).complaint_logits([data.texts[i] for i in test]),
                          strict=True))
    print(f"out-of-fold n-gram logits: {time.perf_counter() - started:.0f} s", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        extended = Path(folder) / "complaint_lexicon.txt"
        extended.write_text(LEXICON_PATH.read_text(encoding="utf-8") + LUKEWARM_TERMS, encoding="utf-8")
        lexicons = (("shipped", complaint_lexicon._load_lexicon()),
                    ("shipped + lukewarm terms", complaint_lexicon._load_lexicon(extended)))

    complaints = [i for i in chat if data.labels[i] == 0]
    others = [i for i in chat if data.labels[i] == 1]
    new_terms = [line.partition(" ")[2] for line in LUKEWARM_TERMS.splitlines() if line[:1].isdigit()]
    complaint_lexicon._resources()  # loads the cues (and the shipped lexicon) before either is swapped
    for name, lexicon in lexicons:
        complaint_lexicon._lexicon = lexicon
        probabilities: dict[int, float] = {}
        for fold in range(FOLDS):
            fit_rows = [TuningRow(data.texts[i], data.labels[i], 1.0 if i < data.corpus_rows else CHAT_ROW_WEIGHT,
                                  logits[i]) for i in held if fold_of[i] != fold]
            thresholds = fit_weights(fit_rows, ComplaintThresholds())
            for i in (i for i in held if fold_of[i] == fold):
                probabilities[i] = _probability(data.texts[i], logits[i], positive[i], thresholds)
        caught = sum(probabilities[i] >= THRESHOLD for i in complaints)
        flagged = sum(probabilities[i] >= THRESHOLD for i in others)
        print(f"== {name} (threshold {THRESHOLD})\n"
              f"  (1) corpus sample: complaint F1 {_f1(probabilities, corpus, data.labels):.4f}\n"
              f"  (2) chat rows: caught {caught}/{len(complaints)}, flagged {flagged}/{len(others)}", flush=True)
    hits = [i for i in held if any(term in analyze(data.texts[i]).hits for term in new_terms)]
    print(f"rows where a new term counts: {len(hits)} "
          f"({sum(i < data.corpus_rows for i in hits)} corpus sample, {sum(i >= data.corpus_rows for i in hits)} chat)")


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

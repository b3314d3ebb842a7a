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

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from held_out import (  # noqa: E402
    THRESHOLD,
    chat_guard,
    complaint_f1,
    held_out_probabilities,
    out_of_fold_logits,
    training_folds,
)

from handlers import complaint_lexicon, complaint_model, sentiment  # noqa: E402
from handlers.complaint_lexicon import LEXICON_PATH, analyze  # noqa: E402

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
    folds = training_folds(data)
    positive = {i: sentiment.score_simplified(data.texts[i]) for i in folds.held}

    started = time.perf_counter()
    logits = out_of_fold_logits(data, folds)
    print(f"out-of-fold n-gram logits: {time.perf_counter() - started:.0f} s", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        extended = Path(folder) / "complaint_lexicon.txt"
        extended.write_text(LEXICON_PATH.read_text(encoding="utf-8") + LUKEWARM_TERMS, encoding="utf-8")
        lexicons = (("shipped", complaint_lexicon._load_lexicon()),
                    ("shipped + lukewarm terms", complaint_lexicon._load_lexicon(extended)))

    new_terms = [line.partition(" ")[2] for line in LUKEWARM_TERMS.splitlines() if line[:1].isdigit()]
    complaint_lexicon._resources()  # loads the cues (and the shipped lexicon) before either is swapped
    for name, lexicon in lexicons:
        complaint_lexicon._lexicon = lexicon
        probabilities = held_out_probabilities(data, folds, logits, positive)
        print(f"== {name} (threshold {THRESHOLD})\n"
              f"  (1) corpus sample: complaint F1 {complaint_f1(probabilities, folds.corpus, data.labels):.4f}\n"
              f"  (2) chat rows: {chat_guard(probabilities, folds.chat, data.labels)}", flush=True)
    hits = [i for i in folds.held if any(term in analyze(data.texts[i]).hits for term in new_terms)]
    print(f"rows where a new term counts: {len(hits)} "
          f"({sum(i < data.corpus_rows for i in hits)} corpus sample, {sum(i >= data.corpus_rows for i in hits)} chat)")


if __name__ == "__main__":
    main()

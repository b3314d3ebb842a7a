"""The sentiment scorer: neutral on empty text, Simplified conversion, and no snownlp in the web process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from handlers import sentiment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    """Load snownlp once for this module (it takes seconds)."""
    sentiment.warm_up()


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_neutral(text: str) -> None:
    assert sentiment.score(text) == sentiment.NEUTRAL == 0.5


def test_malformed_and_invisible_characters_are_handled() -> None:
    assert 0.0 <= sentiment.score("好吃\ud800") <= 1.0  # a lone surrogate must not crash OpenCC
    assert sentiment.score("\u200b\u200d\ufeff") == sentiment.NEUTRAL
    assert sentiment.score("很\u200b難\u200b吃") == sentiment.score("很難吃")


def test_scores_are_probabilities_and_ordered() -> None:
    good = sentiment.score("東西很好吃，服務也很親切，非常滿意")
    bad = sentiment.score("太難吃了，服務態度很差，非常失望")
    assert 0.0 <= bad < 0.5 < good <= 1.0


def test_traditional_text_is_scored_in_simplified() -> None:
    text = "這間飯店的房間很乾淨，服務人員也很熱情"
    simplified = sentiment.to_simplified(text)
    assert simplified == "这间饭店的房间很干净，服务人员也很热情"
    assert sentiment.score(text) == sentiment.score_simplified(simplified)


def test_warm_up_loads_snownlp() -> None:
    assert sentiment.is_loaded()


def test_concurrent_scoring_is_consistent() -> None:
    texts = ["很好吃", "等很久", "請問幾點開門", "服務很差"] * 25
    expected = [sentiment.score(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(sentiment.score, texts)) == expected


def test_lazy_loading_in_a_fresh_process() -> None:
    """Importing the modules the web process uses must not import snownlp (the worker loads it)."""
    script = textwrap.dedent(
        """
        import sys
        import handlers.sentiment as s
        import handlers.complaint_detection, handlers.complaint_lexicon, handlers.complaint_model
        import handlers.sentiment_eval
        assert "snownlp" not in sys.modules, "snownlp imported at module import time"
        assert not s.is_loaded()
        assert s.score("") == 0.5 and "snownlp" not in sys.modules
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"

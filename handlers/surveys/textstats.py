"""Top keywords of free-text answers: segmented in Simplified (what snownlp knows), shown as the customer wrote them."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

from handlers import sentiment

# common words that say nothing about the shop (Simplified, as the segmenter sees them)
STOPWORDS = frozenset("""
我们 你们 他们 她们 这个 那个 这些 那些 就是 还是 但是 因为 所以 没有 可以 觉得 非常 真的 比较 有点 一下 一点
什么 怎么 这样 那样 那么 而且 如果 虽然 不过 已经 还有 一些 希望 谢谢 今天 这次 然后 一直 其实 应该 需要 自己
大家 时候 东西 一个 感觉 知道 我家 的话 下次 还会
""".split())


def _is_word(word: str) -> bool:
    """Two characters or more, made of letters (not digits, punctuation or emoji)."""
    return len(word) >= 2 and all(unicodedata.category(ch).startswith("L") for ch in word)


def _segment(simplified: str) -> list[str]:
    from snownlp import SnowNLP  # seconds to import: only reports pay for it

    return list(SnowNLP(simplified).words)


def words_of(text: str) -> list[str]:
    """The words of one answer, in the customer's own script when the conversion kept its length."""
    simplified = sentiment.to_simplified(text)
    words, position = [], 0
    for word in _segment(simplified):
        start = simplified.find(word, position)
        position = start + len(word) if start >= 0 else position
        if not _is_word(word) or word in STOPWORDS:
            continue
        # t2s maps character for character, so the original spelling sits at the same offsets
        same_length = len(simplified) == len(text) and start >= 0
        words.append(text[start:start + len(word)] if same_length else word)
    return words


def top_keywords(texts: Iterable[str], limit: int = 10) -> list[tuple[str, int]]:
    """The words most answers mention, counted once per answer; ties keep the order they first appeared."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(dict.fromkeys(words_of(text), 1))
    return counts.most_common(limit)

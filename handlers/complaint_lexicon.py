"""Rule signals for complaint detection: what a chat message is, and which complaint terms it uses.

A sentiment score alone cannot tell a question about opening hours from a complaint; these
signals (lexicon hits with negation and intensity, questions, greetings, thanks, stickers) can.
Terms and cues live in ``handlers/data`` in Traditional Chinese and are matched on the Simplified
form of both sides, so either script matches.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from handlers.sentiment import to_simplified

DATA_DIR = Path(__file__).resolve().parent / "data"
LEXICON_PATH = DATA_DIR / "complaint_lexicon.txt"
CUES_PATH = DATA_DIR / "intent_cues.txt"

INTENSITY_FACTOR = 1.5
CUE_SECTIONS = (
    "question",
    "complaint_question",
    "greeting",
    "thanks",
    "praise",
    "polite",
    "request",
    "hypothetical",
    "negation",
    "intensifier",
)
CLAUSE_BREAK = re.compile(r"[，,。.!！?？~～;；、\s]")
STICKER_MARKER = re.compile(r"^[\[(（【<]?\s*(sticker|貼圖|贴图|表情貼|表情贴|emoji)\s*[\])）】>]?$", re.I)
ANGRY_EMOJI = frozenset("😡😤🤬💢👎🙄😠😑😒🖕")
WORD_CHAR = re.compile(r"[^\W\d]")  # a letter of any script (CJK included) or "_", not a digit


@dataclass(frozen=True)
class Signals:
    """Rule-based facts about one message, before any weighting."""

    lexicon_score: float = 0.0
    hits: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()
    question: bool = False
    complaint_question: bool = False
    greeting: bool = False
    thanks: bool = False
    praise: bool = False
    polite: bool = False
    request: bool = False
    frustration: bool = False
    sticker: bool = False


@dataclass(frozen=True)
class _Cues:
    """Compiled cue lists, keyed by section name."""

    plain: dict[str, tuple[str, ...]]
    latin: dict[str, re.Pattern[str] | None]


@dataclass(frozen=True)
class _Lexicon:
    """Complaint terms in Simplified form, indexed by first character, longest first."""

    by_first_char: dict[str, tuple[tuple[str, float, str], ...]]


_lock = threading.Lock()
_lexicon: _Lexicon | None = None
_cues: _Cues | None = None


def _data_lines(path: Path) -> list[str]:
    """Return the non-empty, non-comment lines of a UTF-8 data file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _normalize(text: str) -> str:
    """Lower-case Simplified text with full-width letters and punctuation folded (NFKC)."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def _load_lexicon(path: Path = LEXICON_PATH) -> _Lexicon:
    """Parse ``weight term`` lines into an index for longest-match scanning."""
    index: dict[str, list[tuple[str, float, str]]] = {}
    for line in _data_lines(path):
        weight_text, _, term = line.partition(" ")
        term = term.strip()
        if not term:
            raise ValueError(f"{path}: malformed line {line!r}")
        simplified = _normalize(term)
        index.setdefault(simplified[0], []).append((simplified, float(weight_text), term))
    return _Lexicon(
        by_first_char={
            char: tuple(sorted(entries, key=lambda entry: -len(entry[0])))
            for char, entries in index.items()
        }
    )


def _load_cues(path: Path = CUES_PATH) -> _Cues:
    """Parse the ``[section]`` cue file; Latin cues become word-boundary regexes."""
    sections: dict[str, list[str]] = {name: [] for name in CUE_SECTIONS}
    current: str | None = None
    for line in _data_lines(path):
        if line.startswith("[") and line.endswith("]") and len(line) > 2:
            current = line[1:-1]
            if current not in sections:
                raise ValueError(f"{path}: unknown section {current!r}")
            continue
        if current is None:
            raise ValueError(f"{path}: cue {line!r} outside a section")
        sections[current].append(line)
    plain: dict[str, tuple[str, ...]] = {}
    latin: dict[str, re.Pattern[str] | None] = {}
    for name, cues in sections.items():
        ascii_cues = [c.lower() for c in cues if c.isascii() and c[0].isalnum()]
        plain[name] = tuple(_normalize(c) for c in cues if c.lower() not in ascii_cues)
        latin[name] = (
            re.compile(r"\b(?:" + "|".join(re.escape(c) for c in ascii_cues) + r")\b")
            if ascii_cues
            else None
        )
    return _Cues(plain=plain, latin=latin)


def _resources() -> tuple[_Lexicon, _Cues]:
    """Load lexicon and cues once per process (thread-safe)."""
    global _lexicon, _cues
    if _lexicon is None or _cues is None:
        with _lock:
            if _lexicon is None or _cues is None:
                _cues = _load_cues()
                _lexicon = _load_lexicon()
    return _lexicon, _cues


def _has(cues: _Cues, section: str, text: str) -> bool:
    """Tell whether any cue of ``section`` occurs in normalized ``text``."""
    if any(cue in text for cue in cues.plain[section]):
        return True
    pattern = cues.latin[section]
    return bool(pattern and pattern.search(text))


def _ends_with_cue(prefix: str, cues: tuple[str, ...], max_gap: int) -> bool:
    """Tell whether a cue ends at most ``max_gap`` characters before the end of ``prefix``."""
    for cue in cues:
        position = prefix.rfind(cue)
        if position >= 0 and len(prefix) - (position + len(cue)) <= max_gap:
            return True
    return False


def is_sticker(text: str) -> bool:
    """A sticker placeholder, or a message without a word: emoji, punctuation, digits alone (an order
    or phone number, a stray "1"). LINE's own emoji placeholders are cut before (``InboundEvent.words``)."""
    stripped = text.strip()
    return not stripped or bool(STICKER_MARKER.match(stripped)) or not WORD_CHAR.search(stripped)


def analyze(text: str) -> Signals:
    """Extract rule signals from a raw message (Traditional or Simplified)."""
    if is_sticker(text):
        return Signals(sticker=True)
    lexicon, cues = _resources()
    normalized = _normalize(text.strip())
    hits: list[str] = []
    negated: list[str] = []
    score = 0.0
    clause_start = 0
    position = 0
    while position < len(normalized):
        char = normalized[position]
        if CLAUSE_BREAK.match(char):
            clause_start = position + 1
            position += 1
            continue
        match = next(
            (entry for entry in lexicon.by_first_char.get(char, ()) if normalized.startswith(entry[0], position)),
            None,
        )
        if match is None:
            position += 1
            continue
        term, weight, original = match
        prefix = normalized[clause_start:position]
        if _ends_with_cue(prefix, cues.plain["negation"], max_gap=1) or any(
            cue in prefix for cue in cues.plain["hypothetical"]
        ):
            negated.append(original)
        else:
            if _ends_with_cue(prefix, cues.plain["intensifier"], max_gap=0):
                weight *= INTENSITY_FACTOR
            hits.append(original)
            score += weight
        position += len(term)
    angry = any(char in ANGRY_EMOJI for char in normalized)
    exclamations = normalized.count("!") + normalized.count("！")
    return Signals(
        lexicon_score=score,
        hits=tuple(hits),
        negated=tuple(negated),
        question=_has(cues, "question", normalized),
        complaint_question=_has(cues, "complaint_question", normalized),
        greeting=_has(cues, "greeting", normalized),
        thanks=_has(cues, "thanks", normalized),
        praise=_has(cues, "praise", normalized),
        polite=_has(cues, "polite", normalized),
        request=_has(cues, "request", normalized),
        frustration=angry or exclamations >= 2 or "= =" in normalized or "==" in normalized,
    )

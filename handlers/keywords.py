"""What customers type to ask for something (問卷, 推薦碼, 我的獎勵, 選單): every feature compares it the same way."""

from __future__ import annotations

import re
import unicodedata

from handlers.catalogue import Catalogue

# a keyword typed as a question or with a flourish still asks for it: 推薦碼？ 我的獎勵！ 選單。
TRAILING = "。.!！~～?？ "


def fold(text: str, trailing: str) -> str:
    """Full width folded (ＭＥＮＵ → menu), emoji presentation marks, spaces and ``trailing`` dropped, case ignored."""
    folded = unicodedata.normalize("NFKC", text).replace("\ufe0f", "")
    return re.sub(r"\s+", "", folded).rstrip(trailing).casefold()


def keyword_form(text: str) -> str:
    """A typed word as keywords are compared (推薦碼？ is 推薦碼)."""
    return fold(text, TRAILING)


def is_keyword(catalogue: Catalogue, text: str | None, *keys: str) -> bool:
    """Whether a message is exactly one of these catalogue keywords, in any of its languages."""
    wanted = {keyword_form(catalogue.text(key, language)) for key in keys for language in catalogue.languages(key)}
    return bool(text) and keyword_form(text) in wanted

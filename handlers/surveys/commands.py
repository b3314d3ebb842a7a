"""The words customers type to steer a survey (取消, 繼續問卷, 不要問卷...), read from the catalogue."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from handlers.catalogue import Catalogue
from handlers.keywords import keyword_form


class Command(StrEnum):
    """Something a customer can ask of the survey feature by typing."""

    START = "start"
    CANCEL = "cancel"
    RESUME = "resume"
    SKIP = "skip"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


def _words(catalogue: Catalogue, key: str) -> set[str]:
    """Every comma-separated word of a catalogue entry, in every language."""
    return {keyword_form(word) for language in catalogue.languages(key)
            for word in catalogue.text(key, language).split(",") if word.strip()}


@lru_cache(maxsize=8)
def _vocabulary(catalogue: Catalogue) -> tuple[dict[str, Command], frozenset[str]]:
    commands: dict[str, Command] = {}
    for command in Command:
        for word in _words(catalogue, f"survey.keywords.{command}"):
            commands.setdefault(word, command)
    for word in _words(catalogue, "menu.survey.keyword"):
        commands.setdefault(word, Command.START)
    others = frozenset(word for key in catalogue.keys() if not key.startswith("survey.")
                       and (key.endswith(".keyword") or ".keywords." in key)
                       for word in _words(catalogue, key)) - commands.keys()
    return commands, others


def match_command(catalogue: Catalogue, text: str | None) -> Command | None:
    """The survey command a message is, if it is exactly one (case, width and trailing punctuation ignored)."""
    if not text:
        return None
    return _vocabulary(catalogue)[0].get(keyword_form(text))


def is_other_keyword(catalogue: Catalogue, text: str | None) -> bool:
    """Whether a message is another feature's keyword (推薦碼, 選單...), which is never a survey answer."""
    return bool(text) and keyword_form(text) in _vocabulary(catalogue)[1]

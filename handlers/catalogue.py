"""The message catalogue: every customer-facing text, editable by the business."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from string import Formatter

DEFAULT_LANGUAGE = "zh-TW"


class CatalogueError(ValueError):
    """The catalogue file is malformed or lacks a text."""


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, dict[str, str]]:
    """Turn nested TOML tables into dotted keys; a leaf is a table with a zh-TW entry."""
    entries: dict[str, dict[str, str]] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if not isinstance(value, dict):
            raise CatalogueError(f"{key}: expected a table of languages, got {type(value).__name__}")
        if DEFAULT_LANGUAGE in value:
            if not all(isinstance(text, str) for text in value.values()):
                raise CatalogueError(f"{key}: every language must map to a string")
            entries[key] = dict(value)
        else:
            entries.update(_flatten(value, prefix=f"{key}."))
    return entries


class Catalogue:
    """Texts by key and language, zh-TW first, with English as the second language."""

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        self._entries = {key: dict(value) for key, value in entries.items()}

    @classmethod
    def load(cls, path: Path) -> Catalogue:
        """Read a TOML catalogue, refusing a file with a missing zh-TW text."""
        with path.open("rb") as handle:
            try:
                return cls(_flatten(tomllib.load(handle)))
            except (tomllib.TOMLDecodeError, CatalogueError) as exc:
                raise CatalogueError(f"{path}: {exc}") from exc  # which file: the shipped one or a business's copy

    def edited_by(self, edited: Catalogue) -> tuple[Catalogue, list[str]]:
        """This (shipped) catalogue with a business's edited copy on top; also the keys it lacks.

        A copy made before an upgrade lacks the texts added since: those come from the shipped
        catalogue rather than failing when first needed. A text that asks for a value the code
        does not give (a typo in ``{name}``) is refused now, not when a customer would see it.
        """
        entries = {key: dict(versions) for key, versions in self._entries.items()}
        for key, versions in edited._entries.items():
            if key not in entries:
                continue  # a text this version no longer uses
            for language in versions:
                unknown = edited.placeholders(key, language) - self.placeholders(key)
                if unknown:
                    raise CatalogueError(f"{key} ({language}): unknown placeholder(s) "
                                         f"{', '.join(sorted(unknown))}; this text can use "
                                         f"{', '.join(sorted(self.placeholders(key))) or 'none'}")
            entries[key].update(versions)
        return Catalogue(entries), sorted(set(self._entries) - set(edited._entries))

    def keys(self) -> list[str]:
        """Every text key, sorted."""
        return sorted(self._entries)

    def languages(self, key: str) -> list[str]:
        """The languages a text exists in."""
        return sorted(self._entries[key])

    def placeholders(self, key: str, language: str = DEFAULT_LANGUAGE) -> set[str]:
        """Names a text expects to be filled in."""
        text = self._entries[key][language]
        return {name for _, name, _, _ in Formatter().parse(text) if name}

    @staticmethod
    def resolve_language(line_language: str | None) -> str:
        """Map LINE's profile language to a catalogue language."""
        if line_language and line_language.lower().startswith("en"):
            return "en"
        return DEFAULT_LANGUAGE

    def text(self, key: str, language: str | None = None, /, **params: object) -> str:
        """Render a text in a language, falling back to zh-TW."""
        try:
            versions = self._entries[key]
        except KeyError:
            raise CatalogueError(f"no text {key!r} in the catalogue") from None
        template = versions.get(self.resolve_language(language)) or versions[DEFAULT_LANGUAGE]
        return template.format(**params)

    def translator(self, line_language: str | None) -> Translator:
        """Bind the catalogue to one reader's language."""
        return Translator(self, self.resolve_language(line_language))


class Translator:
    """The catalogue in one language: ``t("welcome.new", name=...)``."""

    def __init__(self, catalogue: Catalogue, language: str) -> None:
        self.catalogue = catalogue
        self.language = language

    def __call__(self, key: str, /, **params: object) -> str:
        return self.catalogue.text(key, self.language, **params)

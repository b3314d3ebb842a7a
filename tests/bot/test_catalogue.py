"""The message catalogue: one editable file, zh-TW for every text, English second."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_CATALOGUE
from handlers.catalogue import Catalogue, CatalogueError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(DEFAULT_CATALOGUE)


def test_every_text_has_zh_tw_and_english_with_the_same_placeholders(catalogue):
    for key in catalogue.keys():
        assert {"zh-TW", "en"} <= set(catalogue.languages(key)), key
        assert catalogue.placeholders(key, "zh-TW") == catalogue.placeholders(key, "en"), key


def test_every_key_used_in_code_exists(catalogue):
    used = set()
    for path in list((ROOT / "handlers").rglob("*.py")) + list((ROOT / "bot").rglob("*.py")):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    missing = {key for key in used if key not in catalogue.keys()}
    assert not missing


def test_language_choice_falls_back_to_zh_tw(catalogue):
    assert catalogue.text("menu.survey.label", "en-US") == catalogue.text("menu.survey.label", "en")
    assert catalogue.text("menu.survey.label", "ja") == catalogue.text("menu.survey.label", "zh-TW")
    assert catalogue.text("menu.survey.label", None) == catalogue.text("menu.survey.label", "zh-TW")


def test_malformed_catalogue_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[welcome]\nen = "hi"\n', encoding="utf-8")
    with pytest.raises(CatalogueError):
        Catalogue.load(bad).text("welcome")
    broken = tmp_path / "broken.toml"
    broken.write_text("[welcome\n", encoding="utf-8")
    with pytest.raises(CatalogueError):
        Catalogue.load(broken)

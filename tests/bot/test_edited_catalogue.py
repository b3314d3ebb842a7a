"""KOUBEI_CATALOGUE: a business's edited copy of the texts, over the shipped catalogue."""

from __future__ import annotations

import logging
import os
import re

import pytest

from bot import create_app
from bot.config import DEFAULT_CATALOGUE, ConfigError
from handlers.catalogue import Catalogue
from tests.conftest import make_settings

EDITED_WELCOME = "{name}，歡迎光臨小林麵館！有任何意見都可以直接告訴我們 🍜"


@pytest.fixture
def edited(tmp_path):
    """A copy made before an upgrade: one text reworded (zh-TW only), every other text missing."""
    path = tmp_path / "our_texts.toml"
    path.write_text(f'[welcome.new]\nzh-TW = "{EDITED_WELCOME}"\n\n[retired.text]\nzh-TW = "不再使用"\n',
                    encoding="utf-8")
    return path


@pytest.fixture
def settings_overrides(edited) -> dict:
    return {"catalogue_path": edited}


def test_customers_read_the_edited_wording_and_the_shipped_texts_it_lacks(services, emulator, live_bot):
    shipped = Catalogue.load(DEFAULT_CATALOGUE)
    user_id = "U" + os.urandom(16).hex()
    emulator.add_user(user_id, "王小明")
    status, _ = emulator.follow(user_id)
    assert status == 200
    assert emulator.texts(user_id) == [EDITED_WELCOME.format(name="王小明")]
    emulator.send_text(user_id, "你好")
    assert emulator.texts(user_id)[-1] == shipped.text("menu.help.text", "zh-TW")  # not in the copy
    # the English text of the edited key was not in the copy either: the shipped one stays
    assert services.catalogue.text("welcome.new", "en", name="Ming") == shipped.text("welcome.new", "en", name="Ming")


def test_the_start_says_which_texts_the_copy_lacks(tmp_path, database_url, emulator_server, edited, caplog):
    with caplog.at_level(logging.INFO, logger="bot"):
        create_app(make_settings(tmp_path, database_url, emulator_server.url, catalogue_path=edited))
    [record] = [r for r in caplog.records if "leaves out" in r.getMessage()]
    missing = len(Catalogue.load(DEFAULT_CATALOGUE).keys()) - 1
    assert f"leaves out {missing} text(s)" in record.getMessage() and "menu.help.text" in record.getMessage()
    assert record.levelno == logging.INFO  # a partial copy is how the README says to reword a few texts


def test_an_edited_text_asking_for_an_unknown_value_stops_the_start(tmp_path, database_url, emulator_server):
    typo = tmp_path / "typo.toml"
    typo.write_text('[welcome.new]\nzh-TW = "{nmae}您好，歡迎！"\n', encoding="utf-8")
    message = f"KOUBEI_CATALOGUE: {typo}: welcome.new (zh-TW): unknown placeholder(s) nmae; this text can use name"
    with pytest.raises(ConfigError, match=re.escape(message)):
        create_app(make_settings(tmp_path, database_url, emulator_server.url, catalogue_path=typo))


def test_a_copy_that_is_not_toml_stops_the_start_naming_the_setting(tmp_path, database_url, emulator_server):
    broken = tmp_path / "broken.toml"
    broken.write_text('[welcome.new]\nzh-TW = "歡迎\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"KOUBEI_CATALOGUE: {broken}: ")):
        create_app(make_settings(tmp_path, database_url, emulator_server.url, catalogue_path=broken))


def test_a_missing_copy_stops_the_start_naming_the_setting_and_the_path(tmp_path, database_url, emulator_server):
    missing = tmp_path / "no_such_texts.toml"
    message = f"KOUBEI_CATALOGUE: cannot read {missing}: No such file or directory"
    with pytest.raises(ConfigError, match=re.escape(message)):
        create_app(make_settings(tmp_path, database_url, emulator_server.url, catalogue_path=missing))

"""Fixtures for the browser walk-throughs: headless Chromium and the emulator's chat page, webhooks to the live bot.

Skipped when Selenium, Chromium or chromedriver is missing, unless KOUBEI_TEST_BROWSER=require (as in CI),
which makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.handlers import escalation_support
from tests.walkthrough.chat_page import ChatPage

t = escalation_support.t  # the catalogue texts fixture the escalation tests use


def _require(found: object, reason: str) -> None:
    if found:
        return
    if os.environ.get("KOUBEI_TEST_BROWSER") == "require":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium; its console log is kept so a page error fails the test."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _require(False, "selenium is not installed")
    binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver_path = shutil.which("chromedriver")
    _require(binary and driver_path,
             "Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser, live_bot, emulator_server, emulator) -> ChatPage:
    """The chat page of a freshly reset emulator, webhooks going to the live bot."""
    return ChatPage(browser, emulator_server.url + "/")

"""The emulator's chat page in a real browser: the README's walk-throughs, clicked as a newcomer would.

Headless Chromium driven by Selenium opens the session's emulator, which sends signed webhooks to
the live bot (Huey immediate). Every other test talks to the emulator's HTTP endpoints; only these
run chat.js and render.js. Skipped when Selenium, Chromium or chromedriver is missing, unless
KOUBEI_TEST_BROWSER=require (as in CI), which makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from storage import referrals
from storage.models import Case, CaseStatus
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import CAMPAIGN, SERVICE_RECOVERY, Texts, issue

pytestmark = pytest.mark.browser
t = support.t  # the catalogue texts fixture the escalation tests use

WAIT_SECONDS = 20
COMPLAINT = "等了一個小時餐點還是冷掉的，太誇張了，我要退款"
STAFF_REPLY = "王先生您好，非常抱歉，我們已為您辦理退款，並附上一張招待券。"


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


class ChatPage:
    """The chat page as a person uses it: pick who to play, type, tap buttons, read the timeline."""

    def __init__(self, driver, url: str) -> None:
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.driver, self.by, self.select = driver, By, Select
        # each poll that brings news redraws the quick-reply bar: a button found just before may be gone
        self.wait = WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,))
        driver.get(url)
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#user-select option"))

    def _find(self, css: str) -> list:
        return self.driver.find_elements(self.by.CSS_SELECTOR, css)

    def _id(self, element_id: str):
        return self.driver.find_element(self.by.ID, element_id)

    def _texts(self, css: str) -> list[str]:
        # read in one script, so a redraw between finding and reading cannot interleave
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText.trim())", css)

    def entries(self) -> list[str]:
        """The timeline's entries as shown: notes, the person's messages, the bot's messages."""
        return self._texts("#timeline > *")

    def _showing_own_chat(self) -> None:
        """Wait until the timeline shows the chat the side panel picks: the group's when ticked, else the user's."""
        in_group = self._id("group-mode").is_selected()
        chat_id = self._id("group-id").get_attribute("value") if in_group else self._id("user-id").text
        self.wait.until(lambda _d: self._id("timeline").get_attribute("data-chat") == chat_id,
                        f"the timeline never switched to {chat_id}")

    def expect(self, text: str, since: int = 0) -> str:
        """Wait until an entry after the first ``since`` shows ``text``; return that entry."""
        def found(_driver) -> str | None:
            return next((entry for entry in self.entries()[since:] if text in entry), None)
        return self.wait.until(found, f"{text!r} never appeared; timeline: {self.entries()[since:]}")

    def create_user(self, name: str) -> None:
        """Create a user with the form and play them (not yet a friend of the bot)."""
        self._id("new-user-name").send_keys(name)
        self._find("#new-user-form button[type=submit]")[0].click()
        self.wait.until(lambda _d: self._id("chat-title").text == name)
        self._showing_own_chat()

    def add_friend(self) -> None:
        """Tap 'Add friend': a follow webhook."""
        self._id("follow-btn").click()
        self.expect("added the bot as a friend")

    def play(self, name: str) -> None:
        """Switch the page to another user's chat."""
        select = self.select(self._id("user-select"))
        option = next(o for o in select.options if o.text.startswith(f"{name} ("))
        select.select_by_value(option.get_attribute("value"))
        self.wait.until(lambda _d: self._id("chat-title").text == name)
        self._showing_own_chat()

    def toggle_group(self, on: bool) -> None:
        """Tick or untick 'Send as a member of a group'."""
        box = self._id("group-mode")
        if box.is_selected() != on:
            box.click()
        self._showing_own_chat()

    def click(self, element_id: str) -> None:
        """Click a button of the side panel or header by id."""
        self._id(element_id).click()

    def say(self, text: str, expect: str) -> str:
        """Type and send a message; wait for ``expect`` after it and return that entry."""
        since = len(self.entries())
        self._id("text").send_keys(text)
        self._find("#composer button[type=submit]")[0].click()
        return self.expect(expect, since)

    def tap(self, label: str, expect: str) -> str:
        """Tap the newest button with this label in the timeline (a card's or a template's)."""
        since = len(self.entries())
        buttons = [b for b in self._find("#timeline button") if b.text.strip() == label]
        assert buttons, f"no {label!r} button in {self.entries()[-3:]}"
        buttons[-1].click()  # timeline entries are only ever appended: this one stays
        return self.expect(expect, since)

    def quick_replies(self) -> list[str]:
        """Labels of the quick-reply buttons under the last message."""
        return self._texts("#quick-replies button")

    def quick(self, label: str, expect: str) -> str:
        """Tap a quick reply; wait for ``expect``."""
        since = len(self.entries())

        def tapped(_driver) -> bool:
            button = next((b for b in self._find("#quick-replies button") if b.text.strip() == label), None)
            if button is not None:
                button.click()
            return button is not None
        self.wait.until(tapped, f"no quick reply {label!r}")
        return self.expect(expect, since)

    def errors(self) -> list[str]:
        """What the page logged as errors (script errors, failed requests)."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture
def page(browser, live_bot, emulator_server, emulator) -> ChatPage:
    """The chat page of a freshly reset emulator, webhooks going to the live bot."""
    return ChatPage(browser, emulator_server.url + "/")


def test_a_newcomer_adds_the_bot_and_taps_its_menu(page: ChatPage, t: Texts) -> None:
    page.create_user("王小明")
    page.add_friend()
    welcome = page.expect(t("welcome.new", name="王小明").split("\n")[0])
    assert "reply" in welcome  # the page says how each message came: a reply token was used

    page.say("你好", expect=t("menu.help.text").split("\n")[0])
    labels = [t("menu.survey.label"), t("menu.referral.label"), t("menu.rewards.label"), t("menu.help.label")]
    assert page.quick_replies() == labels

    page.quick(t("menu.survey.label"), expect=t("survey.none_available"))
    assert page.quick_replies() == []  # a tapped quick-reply bar goes away, as in LINE
    assert page.errors() == []


def test_the_complaint_walkthrough_from_enrolment_to_the_referral_offer(page: ChatPage, t: Texts, runner,
                                                                        services) -> None:
    for command in (["surveys", "import", str(SERVICE_RECOVERY)], ["referrals", "campaign", "load", str(CAMPAIGN)]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    code = issue(runner, "invite", "--name", "小美", "--role", "manager")

    page.create_user("小美")
    page.add_friend()
    page.say(code, expect=t("staff.enrolled", name="小美", role=t("staff.role.manager")).split("\n")[0])

    page.create_user("王小明")
    page.add_friend()
    apology = page.say(COMPLAINT, expect="#1")
    assert t("complaint.acknowledgement", name="王小明", number=1, due="").split("\n")[0] in apology

    page.play("小美")
    card = page.expect(t("case.card.new", number=1))
    assert COMPLAINT in card
    for label in ("case.button.claim", "case.button.reply", "case.button.resolve"):
        assert t(label) in card
    page.tap(t("case.button.claim"), expect=t("case.claimed", name="小美", number=1))
    page.tap(t("case.button.reply"), expect=COMPLAINT)
    page.say(STAFF_REPLY, expect=t("case.reply_sent", name="王小明", number=1))
    done = page.tap(t("case.button.resolve"), expect=t("case.resolved", number=1, name="小美"))
    assert t("case.recovery_sent") in done

    page.play("王小明")
    relayed = page.expect(STAFF_REPLY)
    assert "push" in relayed  # no reply token left: the shop's answer is pushed
    page.tap(t("survey.button.start"), expect="Q1.")
    assert page.quick_replies()[:5] == ["1", "2", "3", "4", "5"]
    page.quick("5", expect="Q2.")
    page.quick("完全解決了", expect=t("case.recovery.referral_offer"))
    assert page.errors() == []

    with services.db.session_scope() as session:
        [case] = session.scalars(select(Case)).all()
        assert case.status == CaseStatus.RESOLVED
        assert case.first_response_at is not None
        code = referrals.get_code_for_customer(session, customer_id=case.customer_id).code
    page.expect(t("referral.card_alt", code=code))  # the customer's own code, on the card


def test_a_staff_group_made_and_used_from_the_chat_page(page: ChatPage, t: Texts, runner) -> None:
    page.create_user("小美")
    page.add_friend()
    page.say(issue(runner, "invite", "--name", "小美"),
             expect=t("staff.enrolled", name="小美", role=t("staff.role.staff")).split("\n")[0])

    page.click("new-group")  # a new group ID, and the box 'send as a member of a group' ticked
    page.click("join-group")
    page.expect("The bot joined the group")
    page.say(issue(runner, "group-code"), expect=t("staff.group_linked"))

    page.toggle_group(False)
    page.create_user("王小明")
    page.add_friend()
    page.say(COMPLAINT, expect="#1")

    page.play("小美")
    page.toggle_group(True)
    page.expect(t("case.card.new", number=1))
    page.tap(t("case.button.claim"), expect=t("case.claimed", name="小美", number=1))
    assert page.errors() == []

"""The emulator's chat page as a page object: what a person sees and does there, driven by Selenium."""

from __future__ import annotations

WAIT_SECONDS = 20


class ChatPage:
    """The chat page as a person uses it: pick who to play, type, tap buttons, read the timeline."""

    def __init__(self, driver, url: str) -> None:
        from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.driver, self.by, self.select, self.timeout = driver, By, Select, TimeoutException
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
        try:
            return self.wait.until(found)
        except self.timeout:
            # read the timeline now, not when the wait began, so the failure shows what did arrive
            raise AssertionError(f"{text!r} never appeared; timeline: {self.entries()[since:]}") from None

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

    def user_id(self) -> str:
        """The LINE user ID the page shows under 'Play as' (what staff give the CLI)."""
        return self._id("user-id").text

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

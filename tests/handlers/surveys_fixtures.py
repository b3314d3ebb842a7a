"""Survey test helpers: a customer who chats through the emulator, the example surveys, catalogue texts."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handlers import complaint_detection
from handlers.surveys.definitions import load_definition
from handlers.surveys.questions import SurveyDefinition, localized
from storage import customers, surveys
from storage.models import SurveyAnswer, SurveyResponse

ROOT = Path(__file__).resolve().parents[2]
POST_PURCHASE = ROOT / "examples" / "surveys" / "post_purchase.yaml"
SERVICE_RECOVERY = ROOT / "examples" / "surveys" / "service_recovery.yaml"


class Chat:
    """One customer's chat: messages and taps go through the emulator's webhooks, as from a phone."""

    def __init__(self, emulator, services, name: str = "王小明", language: str = "zh-TW",
                 user_id: str | None = None) -> None:
        self.emulator, self.services = emulator, services
        self.user_id = user_id or "U" + os.urandom(16).hex()
        self.seen = 0
        self.events: list[dict[str, Any]] = []
        emulator.add_user(self.user_id, name, language=language)

    def inbox(self) -> list[dict[str, Any]]:
        """The bot's messages since the last look."""
        new = self.emulator.messages(self.user_id, since=self.seen)
        if new:
            self.seen = new[-1]["seq"]
        return [entry["message"] for entry in new]

    def say(self, text: str) -> list[dict[str, Any]]:
        """Type a message; return what the bot answered."""
        status, event = self.emulator.send_text(self.user_id, text)
        assert status == 200
        self.events.append(event)
        return self.inbox()

    def send_data(self, data: str, display_text: str | None = None) -> list[dict[str, Any]]:
        """Tap a button whose postback data is given."""
        status, event = self.emulator.send_postback(self.user_id, data, display_text=display_text)
        assert status == 200
        self.events.append(event)
        return self.inbox()

    def tap(self, label: str, message: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Tap the button with this label on the bot's latest message (or on the message given)."""
        action = buttons(message or self.last)[label]
        return self.send_data(action["data"], action.get("displayText"))

    @property
    def last(self) -> dict[str, Any]:
        """The bot's latest message to this chat."""
        return self.emulator.messages(self.user_id)[-1]["message"]


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's buttons by label: quick replies, or a card's footer buttons."""
    items = [item["action"] for item in (message.get("quickReply") or {}).get("items", [])]
    footer = (message.get("contents") or {}).get("footer") or {}
    items += [button["action"] for button in footer.get("contents", [])]
    return {action["label"]: action for action in items}


def text_of(message: dict[str, Any]) -> str:
    """The text of a text message."""
    assert message["type"] == "text", message
    return message["text"]


class Texts:
    """Catalogue texts and survey wording, as the customer sees them (zh-TW)."""

    def __init__(self, services) -> None:
        self.catalogue = services.catalogue

    def __call__(self, key: str, **params: object) -> str:
        return self.catalogue.text(key, "zh-TW", **params)

    def question(self, definition: SurveyDefinition, question_id: str, number: int) -> str:
        """A question as the bot asks it: numbered, with its hint."""
        question = definition.question(question_id)
        hint = "survey.hint.text_optional" if question.kind == "text" and not question.required \
            else f"survey.hint.{question.kind}"
        return self("survey.question", number=number, text=localized(question.text, "zh-TW"), hint=self(hint))


def import_file(runner, *paths: Path):
    """Run ``flask surveys import``."""
    return runner.invoke(args=["surveys", "import", *map(str, paths)])


@functools.cache
def warm_scorers(cache_dir: Path | None) -> None:
    """Load the text scorers once, as worker.py does at start, so no webhook waits seconds for a model."""
    complaint_detection.warm_up(cache_dir)


def _warm(request) -> None:
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    warm_scorers(cache.mkdir("complaint_model") if cache is not None else None)


@pytest.fixture
def texts(services) -> Texts:
    """Catalogue texts in zh-TW."""
    return Texts(services)


@pytest.fixture
def post_purchase(runner, request) -> SurveyDefinition:
    """The example post-purchase survey, imported."""
    _warm(request)
    result = import_file(runner, POST_PURCHASE)
    assert result.exit_code == 0, result.output
    return load_definition(POST_PURCHASE)


@pytest.fixture
def service_recovery(runner, request) -> SurveyDefinition:
    """The example service-recovery survey, imported."""
    _warm(request)
    result = import_file(runner, SERVICE_RECOVERY)
    assert result.exit_code == 0, result.output
    return load_definition(SERVICE_RECOVERY)


@pytest.fixture
def chat(live_bot, emulator, services, request) -> Chat:
    """A customer chatting with the live bot."""
    _warm(request)
    return Chat(emulator, services)


def responses_of(services, user_id: str) -> list[SurveyResponse]:
    """A customer's survey conversations, oldest first."""
    with services.db.session_scope() as session:
        customer = customers.get_by_line_id(session, line_user_id=user_id)
        return session.scalars(select(SurveyResponse).where(SurveyResponse.customer_id == customer.id)
                               .order_by(SurveyResponse.id)).all()


def answers_of(services, response_id: int) -> dict[str, SurveyAnswer]:
    """A conversation's answers by question id."""
    with services.db.session_scope() as session:
        return {a.question_id: a for a in surveys.list_answers(session, response_id=response_id)}

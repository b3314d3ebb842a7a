"""Complaint and escalation test helpers: people and a staff group chatting through the emulator, a frozen clock."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import tasks
from storage import customers
from storage.models import Case, CaseMessage, StaffMember

COMPLAINT = "餐點送錯了，等了一個小時才送到，而且湯都冷掉了，真的很失望"
FOLLOW_UP = "訂單編號是 A1234"

ROOT = Path(__file__).resolve().parents[2]
SERVICE_RECOVERY = ROOT / "examples" / "surveys" / "service_recovery.yaml"
CAMPAIGN = ROOT / "examples" / "campaigns" / "default.yaml"


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's buttons by label: quick replies, or a card's footer buttons."""
    items = [item["action"] for item in (message.get("quickReply") or {}).get("items", [])]
    footer = (message.get("contents") or {}).get("footer") or {}
    items += [button["action"] for button in footer.get("contents", [])]
    return {action["label"]: action for action in items}


def card_texts(message: dict[str, Any]) -> list[str]:
    """The texts of a Flex bubble's body, title first."""
    assert message["type"] == "flex", message
    return [item["text"] for item in message["contents"]["body"]["contents"]]


class Person:
    """A LINE user chatting 1:1 with the bot through the emulator's signed webhooks."""

    def __init__(self, emulator, name: str, language: str = "zh-TW") -> None:
        self.emulator, self.name = emulator, name
        self.user_id = "U" + os.urandom(16).hex()
        self.seen = 0
        emulator.add_user(self.user_id, name, language=language)
        emulator.follow(self.user_id)
        self.inbox()

    def inbox(self) -> list[dict[str, Any]]:
        """The bot's messages to this chat since the last look (replies and pushes)."""
        new = self.emulator.messages(self.user_id, since=self.seen)
        if new:
            self.seen = new[-1]["seq"]
        return [entry["message"] for entry in new]

    def texts(self) -> list[str]:
        """Just the texts of the new messages."""
        return [m["text"] for m in self.inbox() if m["type"] == "text"]

    def say(self, text: str) -> list[dict[str, Any]]:
        """Type a message; return what arrived in this chat since."""
        status, _ = self.emulator.send_text(self.user_id, text)
        assert status == 200
        return self.inbox()

    def tap(self, message: dict[str, Any], label: str, group: StaffGroupChat | None = None) -> None:
        """Tap a button of a message, in this chat or in a group."""
        action = buttons(message)[label]
        group_id = group.group_id if group else None
        status, _ = self.emulator.send_postback(self.user_id, action["data"], group_id=group_id,
                                                display_text=action.get("displayText"))
        assert status == 200


class StaffGroupChat:
    """A LINE group the bot is in; members speak and tap as themselves."""

    def __init__(self, emulator) -> None:
        self.emulator = emulator
        self.group_id = "C" + os.urandom(16).hex()
        self.seen = 0

    def inbox(self) -> list[dict[str, Any]]:
        """The bot's messages to the group since the last look."""
        new = self.emulator.messages(self.group_id, since=self.seen)
        if new:
            self.seen = new[-1]["seq"]
        return [entry["message"] for entry in new]

    def say(self, person: Person, text: str) -> list[dict[str, Any]]:
        """A member writes in the group; return what the bot said in the group since."""
        status, _ = self.emulator.send_text(person.user_id, text, group_id=self.group_id)
        assert status == 200
        return self.inbox()


def issue(runner, *args: str) -> str:
    """Run a ``flask staff`` code command and return the code it printed."""
    result = runner.invoke(args=["staff", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[0]


def enrol(runner, emulator, name: str, role: str = "staff", language: str = "zh-TW") -> Person:
    """Invite a staff member with the CLI and have them send the code to the bot."""
    person = Person(emulator, name, language=language)
    person.say(issue(runner, "invite", "--name", name, "--role", role))
    return person


def link_group(runner, emulator, member: Person) -> StaffGroupChat:
    """Make a group the staff group by sending a group code in it."""
    group = StaffGroupChat(emulator)
    group.say(member, issue(runner, "group-code"))
    return group


def all_cases(services) -> list[Case]:
    """Every case, oldest first."""
    with services.db.session_scope() as session:
        return session.scalars(select(Case).order_by(Case.id)).all()


def case_messages(services, case_id: int) -> list[CaseMessage]:
    """A case's messages, oldest first."""
    with services.db.session_scope() as session:
        return session.scalars(select(CaseMessage).where(CaseMessage.case_id == case_id)
                               .order_by(CaseMessage.id)).all()


def staff_members(services) -> list[StaffMember]:
    """Every staff row, removed ones included."""
    with services.db.session_scope() as session:
        return session.scalars(select(StaffMember).order_by(StaffMember.id)).all()


def customer_id_of(services, person: Person) -> int:
    """The database id of a person's customer row."""
    with services.db.session_scope() as session:
        return customers.get_by_line_id(session, line_user_id=person.user_id).id


def run_sla(services) -> int:
    """Run the SLA job once, as the worker would; return how many pushes it queued."""
    return tasks.run_job(services, services.router.jobs["case_sla"])


class Texts:
    """Catalogue texts as a zh-TW reader sees them."""

    def __init__(self, services) -> None:
        self.catalogue = services.catalogue

    def __call__(self, key: str, **params: object) -> str:
        return self.catalogue.text(key, "zh-TW", **params)


@pytest.fixture
def t(services) -> Texts:
    """Catalogue texts in zh-TW."""
    return Texts(services)


@pytest.fixture
def manager(live_bot, runner, emulator) -> Person:
    """An enrolled manager (1:1 chat)."""
    return enrol(runner, emulator, "林店長", role="manager")


@pytest.fixture
def clerk(live_bot, runner, emulator) -> Person:
    """An enrolled staff member (1:1 chat)."""
    return enrol(runner, emulator, "小美")


@pytest.fixture
def staff_group(runner, emulator, clerk) -> StaffGroupChat:
    """The staff group, linked by the clerk."""
    return link_group(runner, emulator, clerk)


@pytest.fixture
def customer(live_bot, emulator) -> Person:
    """A customer who added the shop as a friend."""
    return Person(emulator, "陳小姐")

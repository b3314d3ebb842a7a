"""Referral test helpers: shoppers who chat with the live bot through signed webhooks, a clock, a campaign."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot import postback
from handlers.actions import Action
from handlers.replies import Postback
from storage import customers, referrals, rewards
from storage.models import Customer
from storage.models.referrals import Referral, Reward
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CAMPAIGN = ROOT / "examples" / "campaigns" / "default.yaml"


class Shopper:
    """A LINE user talking to the bot: each action posts a real signed webhook and returns the bot's answer."""

    def __init__(self, live_bot, emulator, services, name: str, language: str = "zh-TW") -> None:
        self.live_bot, self.emulator, self.services = live_bot, emulator, services
        self.user_id = "U" + os.urandom(16).hex()
        self.name = name
        self.seen = 0
        emulator.add_user(self.user_id, name, language=language)

    def _post(self, event: dict) -> list[dict[str, Any]]:
        self.inbox()  # what arrived before (pushes) is not part of this answer
        assert self.live_bot.send(event).status_code == 200
        return self.inbox()

    def inbox(self) -> list[dict[str, Any]]:
        """Messages the bot sent to this chat since last looked (replies and pushes)."""
        entries = self.emulator.messages(self.user_id, since=self.seen)
        if entries:
            self.seen = entries[-1]["seq"]
        return [entry["message"] for entry in entries]

    def follow(self) -> list[dict[str, Any]]:
        """Add the account as a friend."""
        return self._post(factories.make_follow_event(self.user_id,
                                                      reply_token=self.emulator.issue_reply_token(self.user_id)))

    def say(self, text: str) -> list[dict[str, Any]]:
        """Send a text message; return what the bot answered."""
        token = self.emulator.issue_reply_token(self.user_id)
        return self._post(factories.make_text_event(self.user_id, text, reply_token=token))

    def say_text(self, text: str) -> str:
        """Send a text message; return the bot's single text answer."""
        [answer] = [m["text"] for m in self.say(text) if m["type"] == "text"]
        return answer

    def tap(self, action: Action, **params: str) -> list[dict[str, Any]]:
        """Tap a postback button."""
        data = postback.encode(Postback(action, params))
        return self._post(factories.make_postback_event(self.user_id, data,
                                                        reply_token=self.emulator.issue_reply_token(self.user_id)))

    def ask_code(self) -> str:
        """Ask for the personal code the way customers do; return it."""
        self.say("推薦碼")
        return self.code

    @property
    def customer(self) -> Customer:
        """The customer row, fresh from the database."""
        with self.services.db.session_scope() as session:
            return customers.get_by_line_id(session, line_user_id=self.user_id)

    @property
    def code(self) -> str | None:
        """The personal code issued to this shopper, if any."""
        with self.services.db.session_scope() as session:
            row = referrals.get_code_for_customer(session, customer_id=self.customer.id)
            return row.code if row else None

    def referral(self) -> Referral | None:
        """The referral that brought this shopper."""
        with self.services.db.session_scope() as session:
            return referrals.get_referral_for_referee(session, referee_id=self.customer.id)

    def rewards(self) -> list[Reward]:
        """Every reward this shopper was issued."""
        with self.services.db.session_scope() as session:
            return list(rewards.list_for_customer(session, customer_id=self.customer.id))


def load_campaign(runner, path: Path = DEFAULT_CAMPAIGN) -> None:
    """Load a campaign file through the CLI, as staff would."""
    result = runner.invoke(args=["referrals", "campaign", "load", str(path)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def shop(live_bot, emulator, services, runner):
    """The example campaign loaded; ``shop(name)`` brings a new shopper who chats through signed webhooks."""
    load_campaign(runner)
    return lambda name, **kw: Shopper(live_bot, emulator, services, name, **kw)


def write_campaign(tmp_path: Path, text: str) -> Path:
    """A campaign file for one test."""
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """The texts among the bot's messages."""
    return [m["text"] for m in messages if m["type"] == "text"]


def joined(services, referrer: Shopper, referee: Shopper) -> list[dict[str, Any]]:
    """The referee follows and sends the referrer's code; return the referee's answer."""
    referee.follow()
    return referee.say(f"推薦碼 {referrer.code}")


def qualify(runner, who: str):
    """Record a first purchase through the CLI."""
    return runner.invoke(args=["referrals", "qualify", who])

"""docs/broadcasts.md, "Try it in five minutes", clicked in the chat page: preview, send, tap 開始填寫, read the status.

The CLI runs in the test's process and Huey is immediate (tests/conftest.py), so `broadcast create` returns once
the worker's multicast is over; the card then reaches the chat page by its poll.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from handlers.surveys.definitions import load_definition
from handlers.surveys.questions import localized
from storage.models import Broadcast, EntrySource, ResponseState
from tests.handlers import surveys_fixtures
from tests.handlers.broadcast_support import POST_PURCHASE, invitations, multicasts
from tests.handlers.surveys_fixtures import Texts, responses_of
from tests.walkthrough.chat_page import ChatPage

pytestmark = pytest.mark.browser
texts = surveys_fixtures.texts  # catalogue texts, and questions worded as the bot asks them

SEEDED = 30  # the walk-through seeds 1,200; a few are enough to show the count, one multicast call
LIKED = "結帳很快，店員也很親切"
SURVEY = load_definition(POST_PURCHASE)
TITLE = localized(SURVEY.title, "zh-TW")


def _run(runner, *args: str, input: str | None = None) -> str:
    """A `flask` command that must succeed; its output."""
    result = runner.invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def _broadcasts(services) -> int:
    with services.db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(Broadcast))


def _setup(page: ChatPage, runner, name: str) -> None:
    """Step 1 and 2: a friend on the chat page, the example survey, seeded followers tagged demo."""
    page.create_user(name)
    page.add_friend()
    assert "post_purchase" in _run(runner, "surveys", "import", str(POST_PURCHASE))
    assert _run(runner, "customers", "seed", str(SEEDED), "--tag", "demo") == \
        f"created {SEEDED} follower(s) tagged 'demo'\n"


def _card_lines(texts: Texts) -> list[str]:
    """The invitation card as the preview draws it in the terminal."""
    start, opt_out = texts("survey.button.start"), texts("survey.button.opt_out")
    return [f"  │ {texts('broadcast.invitation.title', title=TITLE)}", f"  │ {localized(SURVEY.intro, 'zh-TW')}",
            f"  │ {texts('broadcast.invitation.note')}", f"  │ [{start}]  [{opt_out}]",
            f"  notification: {texts('survey.invitation.alt', title=TITLE)}"]


def test_the_broadcast_walkthrough_from_the_preview_to_the_status(page: ChatPage, texts: Texts, runner, services,
                                                                  emulator) -> None:
    _setup(page, runner, "王小明")
    me, everyone = page.user_id(), SEEDED + 1

    preview = _run(runner, "broadcast", "create", "--survey", "post_purchase", "--segment", "all", "--dry-run")
    lines = preview.splitlines()
    assert lines[:8] == [f"Survey post_purchase (version 1) — {TITLE}",
                         "Segment all: every reachable follower; customers with an open case excluded",
                         f"Matched by the segment: {everyone}", "Excluded: 0",
                         f"Recipients: {everyone} (zh-TW {everyone})",
                         "Multicast calls: 1 (at most 500 recipients each)",
                         f"Paid messages: {everyone} (one invitation each; the survey itself goes by free replies)",
                         "Sends: now"]
    assert all(line in lines for line in _card_lines(texts)), preview
    assert lines[-1] == "dry run: nothing was saved or sent"
    assert (_broadcasts(services), invitations(services), multicasts(emulator)) == (0, 0, [])
    assert "no broadcasts yet" in _run(runner, "broadcast", "list")

    sent = _run(runner, "broadcast", "create", "--survey", "post_purchase", "--segment", "all", "--wait", input="y\n")
    assert f"Send the invitation to {everyone} customer(s) now? [y/N]: y" in sent
    assert "broadcast #1 started" in sent
    assert "Status: sent" in sent and f"Recipients: {everyone} in 1 batch(es) (previewed {everyone})" in sent
    [call] = multicasts(emulator)
    assert len(call["requestBody"]["to"]) == everyone and me in call["requestBody"]["to"]
    assert invitations(services) == everyone

    card = page.expect(texts("broadcast.invitation.title", title=TITLE))
    assert "multicast" in card  # the page says how each message came
    assert texts("broadcast.invitation.note") in card
    assert texts("survey.button.start") in card and texts("survey.button.opt_out") in card

    started = texts("survey.started", title=TITLE, intro=localized(SURVEY.intro, "zh-TW"))
    first = page.tap(texts("survey.button.start"), expect=started + "\n\n" + texts.question(SURVEY, "nps", 1))
    assert "reply" in first
    assert page.quick_replies() == [str(n) for n in range(11)] + [texts("survey.button.cancel")]
    page.quick("9", expect=texts.question(SURVEY, "csat", 2))
    page.quick("5", expect=texts.question(SURVEY, "channel", 3))
    google = localized(SURVEY.question("channel").options[2].label, "zh-TW")
    page.quick(google, expect=texts.question(SURVEY, "liked", 4))
    thanks = page.say(LIKED, expect=localized(SURVEY.thanks, "zh-TW"))
    assert "reply" in thanks
    assert page.quick_replies() == []
    assert page.errors() == []

    [response] = responses_of(services, me)
    assert response.state == ResponseState.COMPLETED and response.invitation_id is not None
    assert response.source == EntrySource.BROADCAST
    # one paid message per recipient; the survey itself went by free replies, nothing was pushed
    assert len(multicasts(emulator)) == 1 and emulator.calls("/v2/bot/message/push") == []
    assert emulator.quota()["totalUsage"] == everyone

    status = _run(runner, "broadcast", "status", "1").splitlines()
    assert status[1].startswith("Status: sent;")
    assert f"Recipients: {everyone} in 1 batch(es) (previewed {everyone})" in status
    assert f"  sent {everyone} · failed 0 · pending 0 · sending 0 · cancelled 0" in status
    assert "Excluded when the recipients were fixed: nobody" in status
    assert f"Sent {everyone}; survey starts 1 (3.2 %), completions 1 (response rate 3.2 %)" in status  # 1 of 31
    report = json.loads(_run(runner, "surveys", "report", "post_purchase", "--format", "json"))
    assert (report["starts"], report["completions"], report["starts_by_source"]) == (1, 1, {"broadcast": 1})


def test_no_more_surveys_on_the_card_keeps_the_customer_out_of_the_next_broadcast(page: ChatPage, texts: Texts,
                                                                                   runner, services, emulator) -> None:
    _setup(page, runner, "陳大文")
    me = page.user_id()
    # the walk-through's "aim at yourself only": tag the chat-page user, broadcast to the tag
    assert "tagged 1 customer(s) 'vip'" in _run(runner, "customers", "tag", "VIP", me)
    _run(runner, "broadcast", "create", "--survey", "post_purchase", "--segment", "tag:VIP", "--yes")
    [call] = multicasts(emulator)
    assert call["requestBody"]["to"] == [me]

    page.expect(texts("broadcast.invitation.title", title=TITLE))
    done = page.tap(texts("survey.button.opt_out"), expect=texts("survey.opted_out"))
    assert "reply" in done
    assert page.quick_replies() == [texts("survey.button.opt_in")]
    assert page.errors() == []

    # invited by the first broadcast, the customer would be left out anyway: the opt-out must be the reason given
    preview = _run(runner, "broadcast", "create", "--survey", "post_purchase", "--segment", "all", "--dry-run")
    lines = preview.splitlines()
    assert f"Matched by the segment: {SEEDED + 1}" in lines
    assert lines[lines.index("Excluded: 1") + 1] == "          1  opted out of surveys"
    assert f"Recipients: {SEEDED} (zh-TW {SEEDED})" in lines

    _run(runner, "broadcast", "create", "--survey", "post_purchase", "--segment", "all", "--yes")
    _, second = multicasts(emulator)
    assert len(second["requestBody"]["to"]) == SEEDED and me not in second["requestBody"]["to"]
    assert "opted out of surveys 1" in _run(runner, "broadcast", "status", "2")
    assert responses_of(services, me) == []

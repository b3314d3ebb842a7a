"""The emulator's chat page in a real browser: the README's walk-throughs, clicked as a newcomer would.

Headless Chromium driven by Selenium opens the session's emulator, which sends signed webhooks to
the live bot (Huey immediate). Every other test talks to the emulator's HTTP endpoints; only these
run chat.js and render.js. The browser and the page object are in conftest.py and chat_page.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage import referrals
from storage.models import Case, CaseStatus
from tests.handlers.escalation_support import CAMPAIGN, SERVICE_RECOVERY, Texts, issue
from tests.walkthrough.chat_page import ChatPage

pytestmark = pytest.mark.browser

COMPLAINT = "等了一個小時餐點還是冷掉的，太誇張了，我要退款"
STAFF_REPLY = "王先生您好，非常抱歉，我們已為您辦理退款，並附上一張招待券。"


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

"""Complaints open cases: apology and promise to the customer, a card to the staff; other messages fall through."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.complaints import open_or_join_case
from handlers.escalation.options import local_time
from storage import customers
from storage.models import CaseMessageKind, CaseSource, CaseStatus
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import COMPLAINT, FOLLOW_UP, Person, all_cases, card_texts, case_messages

clerk, customer, manager, staff_group, t = (
    support.clerk, support.customer, support.manager, support.staff_group, support.t)


def test_complaint_is_acknowledged_and_posted_to_the_staff_group(services, customer, staff_group, clock, t):
    [answer] = customer.say(COMPLAINT)
    [case] = all_cases(services)
    due = local_time(t, clock.now + timedelta(minutes=30), clock.now, services.zone)
    assert answer["text"] == t("complaint.acknowledgement", name="陳小姐", number=case.id, due=due)
    [card] = staff_group.inbox()
    lines = card_texts(card)
    assert lines[0] == t("case.card.new", number=case.id)
    assert t("case.card.customer", name="陳小姐") in lines
    assert t("case.card.excerpt", text=COMPLAINT) in lines
    assert t("case.card.score", score=round(case.score * 100)) in lines
    assert list(support.buttons(card)) == [t("case.button.claim"), t("case.button.reply"), t("case.button.resolve")]
    assert case.status == CaseStatus.OPEN and case.source == CaseSource.CHAT and case.score >= 0.5
    assert case.claim_due_at == clock.now + timedelta(minutes=30)
    assert case.resolve_due_at == clock.now + timedelta(hours=24)
    assert [m.text for m in case_messages(services, case.id)] == [COMPLAINT]


@pytest.mark.parametrize("text", ["請問營業時間是幾點?", "你好", "謝謝你們！", "請問可以訂位嗎？", "1"])
def test_questions_greetings_and_thanks_get_the_menu_and_open_no_case(services, customer, staff_group, t, text):
    [answer] = customer.say(text)
    assert answer["text"] == t("menu.help.text")
    assert all_cases(services) == []
    assert staff_group.inbox() == []


def test_later_messages_join_the_open_case_without_a_second_apology(services, customer, staff_group, t):
    customer.say(COMPLAINT)
    staff_group.inbox()
    [answer] = customer.say(FOLLOW_UP)
    [case] = all_cases(services)
    assert answer["text"] == t("case.joined", number=case.id)
    assert [m.text for m in case_messages(services, case.id)] == [COMPLAINT, FOLLOW_UP]
    [forward] = staff_group.inbox()
    assert forward["text"] == t("case.followup", number=case.id, name="陳小姐", text=FOLLOW_UP)
    assert list(support.buttons(forward)) == [t("case.button.reply")]


def test_without_a_staff_group_every_on_duty_staff_member_gets_the_card(services, runner, emulator, live_bot,
                                                                        customer, clerk, manager, t):
    resting = support.enrol(runner, emulator, "阿明")
    assert runner.invoke(args=["staff", "duty", "阿明", "off"]).exit_code == 0
    customer.say(COMPLAINT)
    [case] = all_cases(services)
    for person in (clerk, manager):
        [card] = person.inbox()
        assert card_texts(card)[0] == t("case.card.new", number=case.id)
    assert resting.inbox() == []


def test_a_complaint_in_a_group_chat_opens_no_case(services, customer, staff_group, clerk):
    assert staff_group.say(customer, COMPLAINT) == []
    assert all_cases(services) == []


def test_customers_in_english_are_answered_in_english(services, emulator, live_bot, staff_group):
    visitor = Person(emulator, "Amy", language="en")
    [answer] = visitor.say(COMPLAINT)
    [case] = all_cases(services)
    en = services.catalogue.translator("en")
    due = local_time(en, case.claim_due_at, case.opened_at, services.zone)
    assert answer["text"] == en("complaint.acknowledgement", name="Amy", number=case.id, due=due)


def test_open_or_join_case_lets_other_modules_open_cases(services, customer):
    now = services.clock()
    with services.db.session_scope() as session:
        who = customers.get_by_line_id(session, line_user_id=customer.user_id)
        first = open_or_join_case(session, customer=who, text="服務很差", score=0.9, now=now,
                                  source=CaseSource.SURVEY, sentiment=0.1)
        second = open_or_join_case(session, customer=who, text="而且沒人理我", score=0.8, now=now,
                                   source=CaseSource.SURVEY)
        assert first.opened and not second.opened and first.case.id == second.case.id
    [case] = all_cases(services)
    assert case.source == CaseSource.SURVEY and case.score == 0.9 and case.sentiment == 0.1
    assert [(m.kind, m.text) for m in case_messages(services, case.id)] == [
        (CaseMessageKind.CUSTOMER, "服務很差"), (CaseMessageKind.CUSTOMER, "而且沒人理我")]


def test_the_menu_keyword_still_shows_the_menu_while_a_case_is_open(services, customer, staff_group, t):
    customer.say(COMPLAINT)
    [answer] = customer.say(t("menu.help.keyword"))
    assert answer["text"] == t("menu.help.text")
    [case] = all_cases(services)
    assert [m.text for m in case_messages(services, case.id)] == [COMPLAINT]

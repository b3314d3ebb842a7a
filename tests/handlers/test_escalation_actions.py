"""The case card's buttons: staff only, atomic claim, the reply relay and its 取消."""

from __future__ import annotations

import threading

from storage import cases
from storage.models import CaseMessageKind, CaseStatus
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import COMPLAINT, FOLLOW_UP, all_cases, case_messages

clerk, customer, manager, staff_group, t = (
    support.clerk, support.customer, support.manager, support.staff_group, support.t)


def new_case_card(customer, group) -> dict:
    """The customer complains; return the card the staff group got."""
    customer.say(COMPLAINT)
    [card] = group.inbox()
    return card


def test_customers_cannot_use_staff_buttons(services, customer, staff_group, t):
    card = new_case_card(customer, staff_group)
    for label in (t("case.button.claim"), t("case.button.reply"), t("case.button.resolve")):
        customer.tap(card, label)
        assert customer.texts() == [t("staff.not_allowed")]
    [case] = all_cases(services)
    assert case.status == CaseStatus.OPEN and case.claimed_by_id is None


def test_claim_in_the_group_is_announced(services, customer, staff_group, clerk, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    [case] = all_cases(services)
    assert [m["text"] for m in staff_group.inbox()] == [t("case.claimed", number=case.id, name="小美")]
    assert case.status == CaseStatus.CLAIMED and case.claimed_at is not None


def test_second_claim_is_told_who_has_it(services, customer, staff_group, clerk, manager, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    manager.tap(card, t("case.button.claim"), group=staff_group)
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    [case] = all_cases(services)
    assert [m["text"] for m in staff_group.inbox()] == [
        t("case.claimed", number=case.id, name="小美"),
        t("case.already_claimed", number=case.id, name="小美"),
        t("case.already_yours", number=case.id)]
    assert case.claimed_by_id == support.staff_members(services)[0].id


def test_simultaneous_claims_have_one_winner(services, customer, staff_group, clerk, manager):
    new_case_card(customer, staff_group)
    [case] = all_cases(services)
    members = support.staff_members(services)
    barrier, outcomes = threading.Barrier(len(members)), {}

    def claim(staff_id: int) -> None:
        with services.db.session_scope() as session:
            barrier.wait()
            outcomes[staff_id] = cases.claim_case(session, case_id=case.id, staff_id=staff_id, now=services.clock())

    threads = [threading.Thread(target=claim, args=(m.id,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == [False, True]
    [winner] = [staff_id for staff_id, won in outcomes.items() if won]
    assert all_cases(services)[0].claimed_by_id == winner


def test_reply_relays_the_next_message_to_the_customer(services, customer, staff_group, clerk, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.reply"), group=staff_group)
    [case] = all_cases(services)
    assert [m["text"] for m in staff_group.inbox()] == [t("case.replying", number=case.id, name="小美")]
    assert clerk.texts() == [t("case.reply_prompt", number=case.id, name="陳小姐", text=COMPLAINT, minutes=30)]
    answer = "非常抱歉！我們馬上重新製作一份送過去，這餐由我們招待。"
    assert [m["text"] for m in clerk.say(answer)] == [t("case.reply_sent", number=case.id, name="陳小姐")]
    assert customer.texts() == [t("case.reply_to_customer", text=answer)]
    [case] = all_cases(services)
    assert case.status == CaseStatus.CLAIMED and case.first_response_at is not None
    assert [(m.kind, m.text) for m in case_messages(services, case.id)] == [
        (CaseMessageKind.CUSTOMER, COMPLAINT), (CaseMessageKind.STAFF, answer)]
    clerk.say("這句不會再轉給顧客")
    assert customer.inbox() == []


def test_a_second_message_after_a_relay_is_not_the_clerks_own_complaint(services, customer, staff_group, clerk, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.reply"), group=staff_group)
    staff_group.inbox(), clerk.inbox()
    clerk.say("非常抱歉！我們馬上重新製作一份送過去，這餐由我們招待。")
    customer.inbox()
    # staff often answer in two messages; the second reads like a complaint but is the shop apologising
    answer = clerk.say("另外，湯冷掉的問題我們已經跟廚房反映了，真的很抱歉讓您失望")
    assert [m["text"] for m in answer] == [t("case.staff_message_not_sent")]
    assert customer.inbox() == [] and staff_group.inbox() == []
    assert len(all_cases(services)) == 1
    assert [m["text"] for m in clerk.say(t("menu.help.keyword"))] == [t("menu.help.text")]


def test_cancel_aborts_the_reply(services, customer, staff_group, clerk, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.reply"), group=staff_group)
    clerk.inbox()
    [case] = all_cases(services)
    assert [m["text"] for m in clerk.say(t("case.reply_cancel_keyword"))] == [
        t("case.reply_cancelled", number=case.id)]
    assert customer.inbox() == []
    assert all_cases(services)[0].first_response_at is None


def test_cancel_typed_with_punctuation_aborts_the_reply_instead_of_reaching_the_customer(
        services, customer, staff_group, clerk, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.reply"), group=staff_group)
    clerk.inbox()
    [case] = all_cases(services)
    assert [m["text"] for m in clerk.say("取消。")] == [t("case.reply_cancelled", number=case.id)]
    assert customer.inbox() == []


def test_a_late_reply_is_not_relayed(services, customer, staff_group, clerk, clock, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.reply"), group=staff_group)
    clerk.inbox()
    clock.advance(minutes=31)
    [case] = all_cases(services)
    assert [m["text"] for m in clerk.say("抱歉久等了")] == [t("case.reply_expired", number=case.id)]
    assert customer.inbox() == []
    assert len(all_cases(services)) == 1  # the late reply did not become the clerk's own complaint


def test_customer_follow_up_goes_to_whoever_claimed_the_case(services, customer, staff_group, clerk, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    staff_group.inbox()
    customer.say(FOLLOW_UP)
    [case] = all_cases(services)
    assert clerk.texts() == [t("case.followup", number=case.id, name="陳小姐", text=FOLLOW_UP)]
    assert staff_group.inbox() == []


def test_only_the_claimer_or_a_manager_may_resolve(services, runner, emulator, customer, staff_group, clerk,
                                                   manager, t):
    card = new_case_card(customer, staff_group)
    other = support.enrol(runner, emulator, "阿明")
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    other.tap(card, t("case.button.resolve"), group=staff_group)
    [case] = all_cases(services)
    assert staff_group.inbox()[-1]["text"] == t("case.already_claimed", number=case.id, name="小美")
    assert all_cases(services)[0].status == CaseStatus.CLAIMED
    manager.tap(card, t("case.button.resolve"), group=staff_group)
    assert staff_group.inbox()[0]["text"].startswith(t("case.resolved", number=case.id, name="林店長"))
    assert all_cases(services)[0].status == CaseStatus.RESOLVED


def test_a_long_reply_full_of_emoji_still_reaches_the_customer(services, emulator, customer, staff_group, clerk, t):
    # LINE counts a text's 5,000 characters in UTF-16 code units: each emoji is two
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.reply"), group=staff_group)
    clerk.inbox()
    answer = "非常抱歉🙏" * 1200
    [confirmation] = clerk.say(answer)
    [relayed] = customer.texts()
    assert answer.startswith(relayed) and len(relayed.encode("utf-16-le")) // 2 <= 5000
    kept = len(relayed) - len(t("case.reply_to_customer", text=""))  # the shop's wrapper around the reply
    assert confirmation["text"].endswith(t("case.reply_clipped", kept=kept))
    assert {c["status"] for c in emulator.calls("/v2/bot/message/push")} == {200}


def test_a_button_naming_no_real_case_is_answered_not_failed(services, emulator, customer, staff_group, clerk, t):
    new_case_card(customer, staff_group)
    for number in ("²", "١", "99999999999999999999999", "-1", ""):  # str.isdigit() accepts the first two
        status, _ = emulator.send_postback(clerk.user_id, f"action=case.claim&c={number}")
        assert status == 200
        assert clerk.texts() == [t("case.not_found")], number
    assert all_cases(services)[0].status == CaseStatus.OPEN


def test_follow_ups_reach_the_staff_when_the_claimer_blocked_the_account(services, emulator, customer, staff_group,
                                                                         clerk, t):
    card = new_case_card(customer, staff_group)
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    staff_group.inbox()
    emulator.unfollow(clerk.user_id)  # left the job and blocked the shop, but was never removed from the staff
    customer.say(FOLLOW_UP)
    [case] = all_cases(services)
    assert [m["text"] for m in staff_group.inbox()] == [
        t("case.followup", number=case.id, name="陳小姐", text=FOLLOW_UP)]

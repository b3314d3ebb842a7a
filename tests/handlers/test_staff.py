"""Staff enrol in LINE with one-time codes; a group code makes the staff group; the CLI lists and removes."""

from __future__ import annotations

import json

from storage.models import StaffRole
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import COMPLAINT, Person, StaffGroupChat, all_cases, issue, staff_members

customer, t = support.customer, support.t


def test_invite_code_enrols_the_sender_once(services, runner, emulator, live_bot, t):
    code = issue(runner, "invite", "--name", "小美", "--role", "manager")
    assert code.startswith("STAFF-") and len(code) == len("STAFF-XXXX-XXXX-XXXX")
    newcomer = Person(emulator, "Mei")
    [answer] = newcomer.say(code)
    assert answer["text"] == t("staff.enrolled", name="小美", role=t("staff.role.manager"))
    [member] = staff_members(services)
    assert (member.name, member.role, member.line_user_id) == ("小美", StaffRole.MANAGER, newcomer.user_id)


def test_a_used_code_is_refused(services, runner, emulator, live_bot, t):
    code = issue(runner, "invite", "--name", "小美")
    Person(emulator, "Mei").say(code)
    [answer] = Person(emulator, "Someone else").say(code.lower())
    assert answer["text"] == t("staff.code_used")
    assert len(staff_members(services)) == 1


def test_an_expired_code_is_refused(services, runner, emulator, live_bot, clock, t):
    code = issue(runner, "invite", "--name", "小美", "--hours", "2")
    clock.advance(hours=2, seconds=1)
    [answer] = Person(emulator, "Mei").say(code)
    assert answer["text"] == t("staff.code_expired")
    assert staff_members(services) == []


def test_a_made_up_code_is_refused(services, live_bot, emulator, t):
    [answer] = Person(emulator, "Guesser").say("STAFF-2345-6789-ABCD")
    assert answer["text"] == t("staff.code_invalid")
    assert staff_members(services) == []


def test_a_staff_code_posted_in_a_group_is_refused_and_still_works_in_private(services, runner, emulator,
                                                                             live_bot, t):
    code = issue(runner, "invite", "--name", "小美")
    mei, group = Person(emulator, "Mei"), StaffGroupChat(emulator)
    [answer] = group.say(mei, code)
    assert answer["text"] == t("staff.code_in_group")
    [answer] = mei.say(code)
    assert answer["text"] == t("staff.enrolled", name="小美", role=t("staff.role.staff"))


def test_group_code_makes_the_staff_group(services, runner, emulator, live_bot, customer, t):
    mei = support.enrol(runner, emulator, "小美")
    code = issue(runner, "group-code")
    [refused] = mei.say(code)
    assert refused["text"] == t("staff.group_code_in_chat")
    group = StaffGroupChat(emulator)
    [answer] = group.say(mei, code)
    assert answer["text"] == t("staff.group_linked")
    customer.say(COMPLAINT)
    [card] = group.inbox()
    assert support.card_texts(card)[0] == t("case.card.new", number=all_cases(services)[0].id)
    assert mei.inbox() == []  # the group gets the card instead of each staff member


def test_bot_leaving_the_staff_group_sends_cases_to_staff_again(services, runner, emulator, live_bot, customer, t):
    mei = support.enrol(runner, emulator, "小美")
    group = support.link_group(runner, emulator, mei)
    emulator.leave(group.group_id)
    customer.say(COMPLAINT)
    assert group.inbox() == []
    [card] = mei.inbox()
    assert support.card_texts(card)[0] == t("case.card.new", number=all_cases(services)[0].id)


def test_list_shows_staff_group_and_pending_codes(services, runner, emulator, live_bot):
    mei = support.enrol(runner, emulator, "小美", role="manager")
    group = support.link_group(runner, emulator, mei)
    issue(runner, "invite", "--name", "阿明")
    result = runner.invoke(args=["staff", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    assert [(m["name"], m["role"], m["line_user_id"], m["on_duty"]) for m in listing["staff"]] == [
        ("小美", "manager", mei.user_id, True)]
    assert listing["staff_group"] == group.group_id
    assert [(c["kind"], c["name"]) for c in listing["pending_codes"]] == [("staff", "阿明")]
    text = runner.invoke(args=["staff", "list"]).output
    assert "小美" in text and group.group_id in text and "阿明" in text


def test_removed_staff_can_no_longer_act(services, runner, emulator, live_bot, customer, t):
    mei = support.enrol(runner, emulator, "小美")
    customer.say(COMPLAINT)
    [card] = mei.inbox()
    result = runner.invoke(args=["staff", "remove", "小美"])
    assert result.exit_code == 0 and "removed" in result.output
    mei.tap(card, t("case.button.claim"))
    assert mei.texts() == [t("staff.not_allowed")]
    assert runner.invoke(args=["staff", "remove", "小美"]).exit_code != 0
    [case] = all_cases(services)
    assert case.claimed_by_id is None


def test_two_members_of_one_name_are_told_apart_by_number(services, runner, emulator, live_bot):
    support.enrol(runner, emulator, "小美")
    support.enrol(runner, emulator, "小美")
    first, second = staff_members(services)
    ambiguous = runner.invoke(args=["staff", "remove", "小美"])
    assert ambiguous.exit_code == 1
    assert f"2 active staff members are named '小美' (#{first.id}, #{second.id}): give the number" in ambiguous.output
    assert runner.invoke(args=["staff", "duty", "小美", "off"]).exit_code == 1
    assert runner.invoke(args=["staff", "remove", str(second.id)]).exit_code == 0
    assert [m.removed_at is None for m in staff_members(services)] == [True, False]


def test_a_removed_member_can_be_invited_again(services, runner, emulator, live_bot, t):
    mei = support.enrol(runner, emulator, "小美")
    runner.invoke(args=["staff", "remove", mei.user_id])
    [answer] = mei.say(issue(runner, "invite", "--name", "小美", "--role", "manager"))
    assert answer["text"] == t("staff.enrolled", name="小美", role=t("staff.role.manager"))
    assert [(m.role, m.removed_at is None) for m in staff_members(services)] == [("staff", False), ("manager", True)]


def test_enrolled_staff_sending_another_code_is_told_so(services, runner, emulator, live_bot, t):
    mei = support.enrol(runner, emulator, "小美")
    [answer] = mei.say(issue(runner, "invite", "--name", "Mei again"))
    assert answer["text"] == t("staff.already_enrolled", name="小美")
    assert len(staff_members(services)) == 1


def test_a_case_claimed_by_a_removed_member_can_be_taken_over(services, runner, emulator, live_bot, customer, t):
    mei = support.enrol(runner, emulator, "小美")
    ming = support.enrol(runner, emulator, "阿明")  # no manager: before, nobody could ever touch the case again
    group = support.link_group(runner, emulator, mei)
    customer.say(COMPLAINT)
    [card] = group.inbox()
    mei.tap(card, t("case.button.claim"), group=group)
    group.inbox()
    [case] = all_cases(services)
    claimed_at = case.claimed_at
    removed = runner.invoke(args=["staff", "remove", "小美"])
    assert removed.exit_code == 0
    assert f"their claimed cases #{case.id} are open for anyone on the staff to take over" in removed.output
    ming.tap(card, t("case.button.claim"), group=group)
    assert [m["text"] for m in group.inbox()] == [t("case.claimed", number=case.id, name="阿明")]
    [case] = all_cases(services)
    assert case.claimed_by_id == staff_members(services)[1].id
    assert case.claimed_at == claimed_at  # the customer was taken care of in time; the report keeps it so
    customer.say(support.FOLLOW_UP)
    assert ming.texts() == [t("case.followup", number=case.id, name="陳小姐", text=support.FOLLOW_UP)]
    ming.tap(card, t("case.button.resolve"), group=group)
    assert group.inbox()[0]["text"].startswith(t("case.resolved", number=case.id, name="阿明"))


def test_replying_to_a_removed_members_case_takes_it_over(services, runner, emulator, live_bot, customer, t):
    mei = support.enrol(runner, emulator, "小美")
    ming = support.enrol(runner, emulator, "阿明")
    customer.say(COMPLAINT)
    [card] = mei.inbox()
    ming.inbox()
    mei.tap(card, t("case.button.claim"))
    assert runner.invoke(args=["staff", "remove", "小美"]).exit_code == 0
    ming.tap(card, t("case.button.reply"))
    [case] = all_cases(services)
    assert ming.texts() == [t("case.reply_prompt", number=case.id, name="陳小姐", text=COMPLAINT, minutes=30)]
    assert case.claimed_by_id == staff_members(services)[1].id


def test_invite_refuses_a_blank_or_overlong_name(services, runner):
    for name in ("", "   ", "名" * 65):
        result = runner.invoke(args=["staff", "invite", "--name", name])
        assert result.exit_code != 0 and "--name" in result.output, name
    listing = json.loads(runner.invoke(args=["staff", "list", "--format", "json"]).output)
    assert listing["pending_codes"] == []

"""Closing the loop: resolve → the service-recovery survey → a recovered customer is offered their referral code."""

from __future__ import annotations

import pytest

from handlers.surveys.reports import build_report
from storage.models import CaseStatus
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import CAMPAIGN, COMPLAINT, SERVICE_RECOVERY, all_cases

clerk, customer, staff_group, t = support.clerk, support.customer, support.staff_group, support.t


@pytest.fixture
def recovery_survey(runner) -> None:
    """The example service-recovery survey, imported."""
    result = runner.invoke(args=["surveys", "import", str(SERVICE_RECOVERY)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def campaign(runner) -> None:
    """The example referral campaign, active."""
    result = runner.invoke(args=["referrals", "campaign", "load", str(CAMPAIGN)])
    assert result.exit_code == 0, result.output


def resolve(customer, group, clerk, t) -> dict:
    """A complaint, claimed and resolved in the staff group; return the group's confirmation."""
    customer.say(COMPLAINT)
    [card] = group.inbox()
    clerk.tap(card, t("case.button.claim"), group=group)
    clerk.tap(card, t("case.button.resolve"), group=group)
    return group.inbox()[-1]


def answer_card(customer, card: dict, t, rating: str) -> list[dict]:
    """Start the survey from this invitation card and rate the handling; return the bot's last answer."""
    customer.tap(card, t("survey.button.start"))
    [question] = customer.inbox()
    customer.tap(question, rating)
    [question] = customer.inbox()
    customer.tap(question, "完全解決了" if int(rating) >= 4 else "還沒解決")
    return customer.inbox()


def answer_survey(customer, t, rating: str) -> list[dict]:
    """Answer the one invitation card that just arrived."""
    [invitation] = customer.inbox()
    return answer_card(customer, invitation, t, rating)


def test_resolving_sends_the_recovery_survey(services, customer, staff_group, clerk, recovery_survey, t):
    confirmation = resolve(customer, staff_group, clerk, t)
    [case] = all_cases(services)
    assert confirmation["text"] == t("case.resolved", number=case.id, name="小美") + "\n" + t("case.recovery_sent")
    assert case.status == CaseStatus.RESOLVED and case.resolved_at is not None
    assert case.recovery_invitation_id is not None
    [invitation] = customer.inbox()
    assert invitation["type"] == "flex" and t("survey.button.start") in support.buttons(invitation)
    assert t("case.recovery.card_about", number=case.id) in support.card_texts(invitation)


def test_a_recovered_customer_is_offered_their_referral_code(services, customer, staff_group, clerk,
                                                            recovery_survey, campaign, t):
    resolve(customer, staff_group, clerk, t)
    answer = answer_survey(customer, t, "5")
    texts = [m["text"] for m in answer if m["type"] == "text"]
    assert texts[0] == "謝謝您給我們改進的機會，我們會繼續努力！"
    assert texts[1] == t("case.recovery.referral_offer")
    assert texts[2].startswith(t("referral.your_code", code="X").split("X")[0])
    assert answer[-1]["type"] == "flex"
    assert all_cases(services)[0].recovery_rating == 5


def test_an_unhappy_rating_gets_no_referral_offer(services, customer, staff_group, clerk, recovery_survey,
                                                 campaign, t):
    resolve(customer, staff_group, clerk, t)
    answer = answer_survey(customer, t, "2")
    assert t("case.recovery.referral_offer") not in [m.get("text") for m in answer]
    customer.say("希望下次出餐可以更注意")
    assert all_cases(services)[0].recovery_rating == 2


def test_without_the_survey_the_customer_gets_a_closing_note(services, customer, staff_group, clerk, t):
    confirmation = resolve(customer, staff_group, clerk, t)
    [case] = all_cases(services)
    assert confirmation["text"].endswith(t("case.recovery_skipped.no_survey"))
    assert customer.texts() == [t("case.closed_customer", number=case.id)]
    assert case.recovery_invitation_id is None


def test_a_customer_surveyed_lately_still_gets_the_recovery_survey(runner, services, customer, staff_group, clerk,
                                                                 recovery_survey, t):
    """The interval spares customers unasked-for surveys; the follow-up to their own complaint is not one."""
    result = runner.invoke(args=["surveys", "import", str(SERVICE_RECOVERY.with_name("post_purchase.yaml"))])
    assert result.exit_code == 0, result.output
    [question] = customer.say("問卷")  # a survey started minutes ago: well inside the interval between surveys
    assert question.get("quickReply")  # the first question, with its answer buttons
    assert customer.say("取消")
    confirmation = resolve(customer, staff_group, clerk, t)
    [case] = all_cases(services)
    assert confirmation["text"].endswith(t("case.recovery_sent"))
    assert case.recovery_invitation_id is not None
    [invitation] = customer.inbox()
    assert t("survey.button.start") in support.buttons(invitation)


def test_a_customer_who_complains_again_is_asked_about_the_new_case(services, customer, staff_group, clerk,
                                                                    recovery_survey, t):
    """Each resolved case gets its own follow-up; the second rating lands on the second case."""
    resolve(customer, staff_group, clerk, t)
    answer_survey(customer, t, "5")
    confirmation = resolve(customer, staff_group, clerk, t)
    first, second = all_cases(services)
    assert confirmation["text"] == t("case.resolved", number=second.id, name="小美") + "\n" + t("case.recovery_sent")
    assert second.recovery_invitation_id not in (None, first.recovery_invitation_id)
    answer_survey(customer, t, "2")
    customer.say("希望下次出餐可以更注意")
    first, second = all_cases(services)
    assert (first.recovery_rating, second.recovery_rating) == (5, 2)


def test_a_second_case_resolved_before_the_first_survey_is_answered_gets_its_own_card(
        services, customer, staff_group, clerk, recovery_survey, t):
    """Two cards, each starting the survey about its own case; a card already answered says so."""
    resolve(customer, staff_group, clerk, t)
    [first_card] = customer.inbox()
    resolve(customer, staff_group, clerk, t)
    [second_card] = customer.inbox()
    first, second = all_cases(services)
    assert t("case.recovery.card_about", number=first.id) in support.card_texts(first_card)
    assert t("case.recovery.card_about", number=second.id) in support.card_texts(second_card)
    answer_card(customer, second_card, t, "4")
    first, second = all_cases(services)
    assert (first.recovery_rating, second.recovery_rating) == (None, 4)
    customer.tap(second_card, t("survey.button.start"))
    assert customer.texts() == [t("survey.already_done")]
    answer_card(customer, first_card, t, "5")
    first, second = all_cases(services)
    assert (first.recovery_rating, second.recovery_rating) == (5, 4)


def test_the_survey_report_counts_each_cases_rating(services, customer, staff_group, clerk, recovery_survey, t):
    resolve(customer, staff_group, clerk, t)
    answer_survey(customer, t, "5")
    resolve(customer, staff_group, clerk, t)
    answer_survey(customer, t, "2")
    customer.say("希望下次出餐可以更注意")
    with services.db.session_scope() as session:
        report = build_report(session, key="service_recovery")
    rating = next(q for q in report["questions"] if q["id"] == "rating")
    assert (report["completions"], rating["answered"]) == (2, 2)


def test_an_answer_to_an_ordinary_invitation_does_not_rate_a_case_with_its_own_card(
        runner, services, customer, staff_group, clerk, recovery_survey, t):
    result = runner.invoke(args=["surveys", "invite", "service_recovery", "--to", customer.user_id])
    assert result.exit_code == 0 and "invited 1" in result.output, result.output
    [general_card] = customer.inbox()
    resolve(customer, staff_group, clerk, t)
    [case_card] = customer.inbox()
    [improve] = answer_card(customer, general_card, t, "1")
    customer.tap(improve, "略過")
    customer.inbox()  # the survey's thanks
    [case] = all_cases(services)
    assert case.recovery_rating is None
    answer_card(customer, case_card, t, "4")
    [case] = all_cases(services)
    assert case.recovery_rating == 4


def test_a_card_answered_before_the_survey_was_reimported_still_says_so(
        runner, services, customer, staff_group, clerk, recovery_survey, t, tmp_path):
    resolve(customer, staff_group, clerk, t)
    [card] = customer.inbox()
    answer_card(customer, card, t, "5")
    edited = tmp_path / "service_recovery.yaml"
    edited.write_text(SERVICE_RECOVERY.read_text(encoding="utf-8").replace("問題處理滿意度", "問題處理滿意度調查"),
                      encoding="utf-8")
    assert runner.invoke(args=["surveys", "import", str(edited)]).exit_code == 0
    customer.tap(card, t("survey.button.start"))
    assert customer.texts() == [t("survey.already_done")]
    assert all_cases(services)[0].recovery_rating == 5

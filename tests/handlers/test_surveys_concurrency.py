"""Simultaneous events: two answers to one question record one; two starts open one survey."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import postback
from handlers.actions import Action
from handlers.replies import Postback
from storage import surveys
from storage.base import utcnow
from storage.models import EventStatus, ResponseState, SurveyAnswer, WebhookEvent
from tests import factories
from tests.handlers import surveys_fixtures as fixtures
from tests.handlers.surveys_fixtures import answers_of, responses_of

chat, post_purchase, texts = fixtures.chat, fixtures.post_purchase, fixtures.texts
RACERS = 4


def all_at_once(action, items: list) -> list:
    """Run action on every item in its own thread, released together."""
    barrier = threading.Barrier(len(items))

    def run(item):
        barrier.wait()
        return action(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(run, items))


def test_simultaneous_answers_to_one_question_record_one(chat, post_purchase, live_bot, emulator, services, texts):
    chat.say("問卷")
    [response] = responses_of(services, chat.user_id)
    emulator.clear_calls()
    events = [factories.make_postback_event(
        chat.user_id, postback.encode(Postback(Action.SURVEY_ANSWER, {"r": str(response.id), "q": "nps", "v": value})),
        reply_token=emulator.issue_reply_token(chat.user_id)) for value in ("9", "3", "9", "7")[:RACERS]]
    statuses = all_at_once(lambda event: live_bot.send(event).status_code, events)
    assert statuses == [200] * RACERS
    answers = answers_of(services, response.id)
    assert list(answers) == ["nps"] and answers["nps"].number in (9, 3, 7)
    [response] = responses_of(services, chat.user_id)
    assert response.current_question == "csat"
    with services.db.session_scope() as session:
        states = session.scalars(select(WebhookEvent.status).where(WebhookEvent.event_type == "postback")).all()
    assert states == [EventStatus.DONE] * RACERS
    # every event is answered with its own token: one moves on, the others are told the button is spent
    replies = [call["requestBody"]["messages"][0]["text"] for call in emulator.calls("/v2/bot/message/reply")]
    question = texts.question(post_purchase, "csat", 2)
    assert sorted(replies) == sorted([question] + [texts("survey.stale") + "\n\n" + question] * (RACERS - 1))
    assert emulator.calls("/v2/bot/message/push") == []


def test_simultaneous_starts_open_one_survey(chat, post_purchase, live_bot, emulator, services):
    chat.say("哈囉")
    events = [factories.make_text_event(chat.user_id, "問卷", reply_token=emulator.issue_reply_token(chat.user_id))
              for _ in range(RACERS)]
    assert all_at_once(lambda event: live_bot.send(event).status_code, events) == [200] * RACERS
    [response] = responses_of(services, chat.user_id)
    assert response.state == ResponseState.ASKING
    assert len(emulator.calls("/v2/bot/message/reply")) == RACERS + 1


def test_database_refuses_a_second_answer_to_the_same_question(chat, post_purchase, services):
    chat.say("問卷")
    [response] = responses_of(services, chat.user_id)
    with services.db.session_scope() as session:
        assert surveys.create_answer(session, response_id=response.id, question_id="nps", now=utcnow(), number=8)
    with pytest.raises(IntegrityError), services.db.session_scope() as session:
        session.add(SurveyAnswer(response_id=response.id, question_id="nps", number=2, skipped=False,
                                 created_at=utcnow()))
        session.flush()


def test_two_workers_recording_the_same_answer_at_once_keep_one(chat, post_purchase, services):
    chat.say("問卷")
    [response] = responses_of(services, chat.user_id)

    def record(number: int) -> bool:
        with services.db.session_scope() as session:
            return surveys.create_answer(session, response_id=response.id, question_id="nps", now=utcnow(),
                                         number=number) is not None

    assert sorted(all_at_once(record, [1, 2, 3, 4])) == [False, False, False, True]
    with services.db.session_scope() as session:
        count = session.scalar(select(func.count()).select_from(SurveyAnswer)
                               .where(SurveyAnswer.response_id == response.id))
    assert count == 1


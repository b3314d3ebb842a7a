"""Survey files: malformed ones are refused with line and reason, edits of answered surveys make new versions."""

from __future__ import annotations

import pytest

from storage import surveys
from storage.models import SurveyVersion
from tests.handlers import surveys_fixtures as fixtures
from tests.handlers.surveys_fixtures import POST_PURCHASE, SERVICE_RECOVERY, import_file, responses_of, text_of

chat, texts = fixtures.chat, fixtures.texts

GOOD = """\
key: lunch
title: 午餐滿意度
public: true
questions:
  - id: taste
    kind: rating
    text: 今天的午餐好吃嗎？
"""

MALFORMED = [
    ("key: lunch\ntitle: 午餐\nquestions:\n  - id: q1\n    kind: stars\n    text: 好吃嗎？\n",
     "line 5: question 'q1' kind 'stars' is not one of nps, rating, choice, text"),
    ("key: lunch\ntitle: 午餐\nquestion:\n  - id: q1\n", "line 3: unknown field 'question' in the survey"),
    ("key: lunch\ntitle: 午餐\nquestions:\n  - id: q1\n    kind: nps\n    text: '好吃嗎？\n",
     "line 6: not valid YAML: while scanning a quoted scalar, found unexpected end of stream"),
    ("key: Lunch Survey\ntitle: 午餐\nquestions:\n  - {id: q1, kind: nps, text: 推薦嗎？}\n",
     "line 1: key 'Lunch Survey' is not valid"),
    ("key: lunch\ntitle: 午餐\nquestions:\n  - {id: q1, kind: nps, text: 推薦嗎？}\n"
     "  - {id: q2, kind: text, text: 為什麼？, ask_if: {question: q3, at_most: 6}}\n",
     "line 5: question 'q2' ask_if refers to 'q3', which is not an earlier question"),
    ("key: lunch\ntitle: 午餐\nquestions:\n  - id: q1\n    kind: choice\n    text: 哪一道？\n    options:\n"
     + "".join(f"      - 菜色{n}\n" for n in range(14)),
     "line 8: question 'q1' has 14 options; a choice needs 2 to 13"),
    ("key: lunch\ntitle: 午餐\nquestions:\n  - id: q1\n    kind: choice\n    text: 哪一道？\n    options:\n"
     "      - {id: yes, label: 好}\n      - {id: other, label: 不好}\n",
     "line 8: question 'q1' option id reads as True (YAML takes yes/no/on/off for true/false): put it in quotes"),
    ("key: lunch\ntitle: 午餐\nquestions:\n  - id: q1\n    kind: choice\n    text: 哪一道？\n    options:\n"
     "      - 這是一個超過二十個字的選項標籤所以按鈕放不下喔\n      - 短的\n",
     "line 8: question 'q1' option is 23 characters long; the limit is 20"),
    ("key: lunch\ntitle: 午餐\nquestions:\n  - id: q1\n    kind: text\n    text: 說說看\n    required: maybe\n",
     "line 7: question 'q1' required must be true or false"),
    ("", "line 1: the file is empty"),
    ("key: lunch\ntitle: 2026-02-30\nquestions:\n  - {id: q1, kind: nps, text: 推薦嗎？}\n",
     "line 2: title '2026-02-30' reads as a date that does not exist (day is out of range for month): "
     "put it in quotes if it is text"),
    ("key: lunch\ntitle: 午餐\nquestions:\n  - id: q1\n    kind: nps\n    text: 2026-01-05 25:00:00\n",
     "line 6: question 'q1' text '2026-01-05 25:00:00' reads as a date that does not exist (hour must be in 0..23): "
     "put it in quotes if it is text"),
]


@pytest.mark.parametrize(("source", "problem"), MALFORMED)
def test_malformed_file_is_refused_with_line_and_reason(runner, services, tmp_path, source, problem):
    path = tmp_path / "lunch.yaml"
    path.write_text(source, encoding="utf-8")
    result = import_file(runner, path)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert f"{path}, {problem}" in result.output
    with services.db.session_scope() as session:
        assert surveys.list_surveys(session) == []


def test_every_problem_of_a_file_is_listed(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("key: x\ntitle: ''\nquestions:\n  - {id: q1, kind: nps}\n  - {id: q1, kind: text, text: 好}\n",
                    encoding="utf-8")
    output = import_file(runner, path).output
    for problem in ("line 1: key 'x' is not valid", "line 2: title must be a non-empty text",
                    "line 4: question 1 has no 'text'", "line 5: question id 'q1' is used twice"):
        assert problem in output


def test_nothing_is_imported_when_one_of_several_files_is_bad(runner, services, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("kind: rating", "kind: rating\n    options: [好, 不好]"), encoding="utf-8")
    result = import_file(runner, POST_PURCHASE, bad)
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert "line 7: question 'taste': only choice questions have options" in result.output
    with services.db.session_scope() as session:
        assert surveys.list_surveys(session) == []


def test_import_and_list_the_examples(runner):
    result = import_file(runner, POST_PURCHASE, SERVICE_RECOVERY)
    assert result.output.splitlines() == ["post_purchase: created (version 1)", "service_recovery: created (version 1)"]
    listing = runner.invoke(args=["surveys", "list"]).output.splitlines()
    assert listing[0].split()[:4] == ["post_purchase", "v1", "public", "5"]
    assert listing[1].split()[:4] == ["service_recovery", "v1", "invite-only", "3"]


def test_editing_a_survey_nobody_started_keeps_its_version(runner, services, tmp_path):
    path = tmp_path / "lunch.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert import_file(runner, path).output.strip() == "lunch: created (version 1)"
    assert import_file(runner, path).output.strip() == "lunch: unchanged (version 1)"
    path.write_text(GOOD.replace("好吃嗎", "合胃口嗎"), encoding="utf-8")
    assert import_file(runner, path).output.strip() == "lunch: updated (version 1)"
    with services.db.session_scope() as session:
        [version] = surveys.list_versions(session, survey_id=surveys.get_by_key(session, key="lunch").id)
        assert "合胃口嗎" in version.definition["questions"][0]["text"]["zh-TW"]


def test_editing_an_answered_survey_makes_a_new_version_and_old_answers_keep_theirs(
        chat, runner, services, tmp_path, texts):
    path = tmp_path / "lunch.yaml"
    path.write_text(GOOD, encoding="utf-8")
    import_file(runner, path)
    chat.say("問卷")
    path.write_text(GOOD.replace("好吃嗎", "合胃口嗎"), encoding="utf-8")
    assert import_file(runner, path).output.strip() == "lunch: new version (version 2)"
    # the conversation that started on version 1 finishes on version 1
    chat.tap("4")
    other = fixtures.Chat(chat.emulator, services, name="陳小姐")
    [question] = other.say("問卷")
    assert "合胃口嗎" in text_of(question)
    first, second = responses_of(services, chat.user_id)[0], responses_of(services, other.user_id)[0]
    with services.db.session_scope() as session:
        assert session.get(SurveyVersion, first.version_id).number == 1
        assert session.get(SurveyVersion, second.version_id).number == 2

"""docs/surveys.md, "Try it in five minutes", clicked in the chat page: import, answer, read the report."""

from __future__ import annotations

import csv
import json

import pytest

from handlers.surveys.definitions import load_definition
from handlers.surveys.questions import localized
from storage.models import ResponseState
from tests.handlers import surveys_fixtures
from tests.handlers.surveys_fixtures import POST_PURCHASE, answers_of, responses_of
from tests.walkthrough.chat_page import ChatPage

pytestmark = pytest.mark.browser
texts = surveys_fixtures.texts  # catalogue texts, and questions worded as the bot asks them

LIKED = "店員很親切，服務很好，下次還會再來！"


def _answers(page: ChatPage, services) -> dict[str, object]:
    """The open conversation's answers so far, as plain values."""
    [response] = responses_of(services, page.user_id())
    answers = answers_of(services, response.id)
    return {key: a.number if a.number is not None else a.choice or a.text for key, a in answers.items()}


def test_the_post_purchase_survey_answered_in_the_chat_page_shows_in_the_report(page: ChatPage, texts, runner,
                                                                               services, tmp_path) -> None:
    imported = runner.invoke(args=["surveys", "import", str(POST_PURCHASE)])
    assert imported.exit_code == 0, imported.output
    assert "post_purchase" in runner.invoke(args=["surveys", "list"]).output
    survey = load_definition(POST_PURCHASE)

    page.create_user("王小明")
    page.add_friend()
    started = texts("survey.started", title=localized(survey.title, "zh-TW"), intro=localized(survey.intro, "zh-TW"))
    first = page.say(texts("menu.survey.keyword"), expect=started + "\n\n" + texts.question(survey, "nps", 1))
    assert "reply" in first
    assert page.quick_replies() == [str(n) for n in range(11)] + [texts("survey.button.cancel")]

    page.say("11", expect=texts("survey.invalid.nps") + "\n\n" + texts.question(survey, "nps", 1))
    assert _answers(page, services) == {}  # the wrong answer is not kept
    page.say("十", expect=texts.question(survey, "csat", 2))
    assert page.quick_replies() == ["1", "2", "3", "4", "5", texts("survey.button.cancel")]
    page.quick("4", expect=texts.question(survey, "channel", 3))
    labels = [localized(option.label, "zh-TW") for option in survey.question("channel").options]
    assert page.quick_replies() == labels + [texts("survey.button.cancel")]

    page.say("7", expect=texts("survey.invalid.choice", count=5) + "\n\n" + texts.question(survey, "channel", 3))
    assert _answers(page, services) == {"nps": 10, "csat": 4}  # nothing lost, nothing added
    page.say("2", expect=texts.question(survey, "liked", 4))
    assert texts("survey.button.skip") in page.quick_replies()
    page.say(LIKED, expect=localized(survey.thanks, "zh-TW"))
    assert page.quick_replies() == []
    assert page.errors() == []

    [response] = responses_of(services, page.user_id())
    assert response.state == ResponseState.COMPLETED
    assert _answers(page, services) == {"nps": 10, "csat": 4, "channel": "social", "liked": LIKED}

    result = runner.invoke(args=["surveys", "report", "post_purchase", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["starts"], report["completions"], report["starts_by_source"]) == (1, 1, {"keyword": 1})
    nps, csat, channel, disappointed, liked = report["questions"]
    assert (nps["answered"], nps["promoters"], nps["detractors"], nps["nps"]) == (1, 1, 0, 100.0)
    assert (csat["mean"], csat["distribution"]) == (4.0, {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0})
    assert {option["id"]: option["count"] for option in channel["options"]} == {
        "friend": 0, "social": 1, "google": 0, "walk_by": 0, "other": 0}
    assert (disappointed["answered"], liked["answered"], liked["skipped"]) == (0, 1, 0)

    out = tmp_path / "answers.csv"
    result = runner.invoke(args=["surveys", "export", "post_purchase", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        [row] = csv.DictReader(handle)
    assert (row["display_name"], row["state"], row["source"]) == ("王小明", "completed", "keyword")
    assert [row[key] for key in ("nps", "csat", "channel", "disappointed", "liked")] == ["10", "4", labels[1], "",
                                                                                         LIKED]

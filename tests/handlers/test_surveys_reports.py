"""Reports and exports against a fixture whose every figure is worked out by hand below."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest

from storage import customers, surveys
from storage.models import EntrySource, ResponseState
from tests.handlers import surveys_fixtures as fixtures

post_purchase = fixtures.post_purchase

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SKIPPED = object()
# source, final state, seconds to complete, answers (free text as (text, sentiment score))
SEED = [
    (EntrySource.BROADCAST, ResponseState.COMPLETED, 120,
     {"nps": 10, "csat": 5, "channel": "friend", "liked": ("服務很好，店員很親切", 0.9)}),
    (EntrySource.BROADCAST, ResponseState.COMPLETED, 90,
     {"nps": 9, "csat": 4, "channel": "social", "liked": ("價格實在，服務很快", 0.8)}),
    (EntrySource.BROADCAST, ResponseState.COMPLETED, 60, {"nps": 8, "csat": 4, "channel": "friend", "liked": SKIPPED}),
    (EntrySource.BROADCAST, ResponseState.COMPLETED, 300,
     {"nps": 6, "csat": 2, "channel": "google", "disappointed": ("等太久，服務態度不好", 0.1)}),
    (EntrySource.KEYWORD, ResponseState.COMPLETED, 240,
     {"nps": 3, "csat": 1, "channel": "other", "disappointed": ("價格太貴，包裝破損", 0.2)}),
    (EntrySource.KEYWORD, ResponseState.CANCELLED, None, {"nps": 7, "csat": 3}),
    (EntrySource.KEYWORD, ResponseState.EXPIRED, None, {"nps": 0}),
    (EntrySource.KEYWORD, ResponseState.ASKING, None, {}),
]


def _answer_fields(value) -> dict:
    if value is SKIPPED:
        return {"skipped": True}
    if isinstance(value, tuple):
        return {"text": value[0], "sentiment": value[1]}
    return {"number": value} if isinstance(value, int) else {"choice": value}


@pytest.fixture
def seeded(services, post_purchase):
    """Eight conversations of the post-purchase survey, four of them from invitations."""
    with services.db.session_scope() as session:
        survey = surveys.get_by_key(session, key="post_purchase")
        version = surveys.get_latest_version(session, survey_id=survey.id)
        for index, (source, state, seconds, answers) in enumerate(SEED):
            started = T0 + timedelta(hours=index)
            customer = customers.create(session, line_user_id=f"U{index:032x}", now=started)
            customer.display_name = f"顧客{index}"
            invitation = surveys.create_invitation(session, version_id=version.id, customer_id=customer.id,
                                                   source=source, now=started) \
                if source == EntrySource.BROADCAST else None
            response = surveys.create_response(session, version_id=version.id, customer_id=customer.id,
                                               source=source, question_id="nps", now=started,
                                               expires_at=started + timedelta(hours=24),
                                               invitation_id=invitation.id if invitation else None)
            response.state = state
            if seconds is not None:
                response.completed_at, response.current_question = started + timedelta(seconds=seconds), None
            for question_id, value in answers.items():
                surveys.create_answer(session, response_id=response.id, question_id=question_id, now=started,
                                      **_answer_fields(value))


def test_report_matches_hand_computed_figures(runner, seeded):
    result = runner.invoke(args=["surveys", "report", "post_purchase", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["invitations"], report["starts"], report["completions"]) == (4, 8, 5)
    assert report["completion_rate"] == 62.5                       # 5 / 8
    assert report["median_seconds_to_complete"] == 120.0           # 60 90 [120] 240 300
    assert report["starts_by_source"] == {"broadcast": 4, "keyword": 4}
    nps, csat, channel, disappointed, liked = report["questions"]
    # scores 10 9 | 8 7 | 6 3 0: 2 promoters, 2 passives, 3 detractors; 100 × (2 − 3) / 7 = −14.29
    assert (nps["answered"], nps["promoters"], nps["passives"], nps["detractors"]) == (7, 2, 2, 3)
    assert nps["nps"] == -14.3
    # 5 4 4 2 1 3: mean 19 / 6 = 3.17; 4–5 given by 3 of 6
    assert (csat["answered"], csat["mean"], csat["satisfied_share"]) == (6, 3.17, 50.0)
    assert csat["distribution"] == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 1}
    assert [(o["id"], o["count"], o["share"]) for o in channel["options"]] == [
        ("friend", 2, 40.0), ("social", 1, 20.0), ("google", 1, 20.0), ("walk_by", 0, 0.0), ("other", 1, 20.0)]
    assert channel["options"][0]["label"] == "親友推薦"
    assert (disappointed["answered"], disappointed["negative"], disappointed["negative_share"]) == (2, 2, 100.0)
    assert (liked["answered"], liked["skipped"], liked["negative"], liked["negative_share"]) == (2, 1, 0, 0.0)
    free_text = report["free_text"]
    assert (free_text["answers"], free_text["negative"], free_text["negative_share"]) == (4, 2, 50.0)
    # 服務 appears in three answers, 價格 in two, every other word in one
    keywords = [(k["word"], k["count"]) for k in free_text["top_keywords"]]
    assert keywords[:2] == [("服務", 3), ("價格", 2)] and {count for _, count in keywords[2:]} == {1}


@pytest.mark.parametrize("settings_overrides", [{"extra": {"KOUBEI_SURVEY_NEGATIVE_BELOW": "0.85"}}])
def test_negative_threshold_is_configurable(runner, seeded, settings_overrides):
    report = json.loads(runner.invoke(args=["surveys", "report", "post_purchase", "--format", "json"]).output)
    # 0.8, 0.1 and 0.2 are below 0.85; 0.9 is not
    assert (report["free_text"]["negative"], report["free_text"]["negative_share"]) == (3, 75.0)


def test_text_report_shows_the_same_figures(runner, seeded):
    output = runner.invoke(args=["surveys", "report", "post_purchase"]).output
    for line in ("Invitations 4   starts 8   completions 5   completion rate 62.5 %",
                 "Median time to complete: 2 min 0 s",
                 "NPS -14.3   promoters 2   passives 2   detractors 3",
                 "mean 3.17 / 5   satisfied (4–5) 50.0 %",
                 "2   40.0 %  親友推薦",
                 "Free text: 4 answers, 2 negative (50.0 %, sentiment below 0.5)",
                 "Top keywords: 服務 (3), 價格 (2)"):
        assert line in output


def test_export_writes_one_row_per_response_in_utf8_with_bom(runner, seeded, tmp_path):
    out = tmp_path / "post_purchase.csv"
    result = runner.invoke(args=["surveys", "export", "post_purchase", str(out)])
    assert result.output.strip() == f"wrote 8 response(s) to {out}"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8
    first = rows[0]
    assert (first["display_name"], first["state"], first["source"]) == ("顧客0", "completed", "broadcast")
    assert (first["nps"], first["csat"], first["channel"]) == ("10", "5", "親友推薦")
    assert (first["liked"], first["liked_sentiment"], first["disappointed"]) == ("服務很好，店員很親切", "0.900", "")
    assert first["started_at (Asia/Taipei)"] == "2026-11-02 10:00:00" and first["seconds_to_complete"] == "120"
    assert rows[2]["liked"] == "(skipped)" and rows[7]["state"] == "asking" and rows[7]["nps"] == ""


def test_unknown_survey_is_a_clear_error(runner):
    result = runner.invoke(args=["surveys", "report", "nope"])
    assert result.exit_code == 1 and "no survey with key 'nope'" in result.output


@pytest.mark.parametrize("settings_overrides", [{"extra": {"KOUBEI_TIMEZONE": "Asia/Tokyo"}}])
def test_export_times_are_in_the_shop_time_zone(runner, seeded, tmp_path, settings_overrides):
    out = tmp_path / "post_purchase.csv"
    runner.invoke(args=["surveys", "export", "post_purchase", str(out)])
    with out.open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert first["started_at (Asia/Tokyo)"] == "2026-11-02 11:00:00"  # 10:00 in Taiwan

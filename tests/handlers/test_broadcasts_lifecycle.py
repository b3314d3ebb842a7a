"""A broadcast's life: one paid message per recipient, then the survey by replies; scheduling; cancel; results."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import broadcasting, tasks
from handlers.broadcasts.scheduling import JOB_NAME
from storage.base import utcnow
from storage.models import ResponseState
from tests.handlers import broadcast_support as support
from tests.handlers import surveys_fixtures as fixtures
from tests.handlers.broadcast_support import FAST, multicasts, seed, send
from tests.handlers.surveys_fixtures import responses_of, text_of

chat, post_purchase, texts = fixtures.chat, fixtures.post_purchase, fixtures.texts
survey = support.survey


@pytest.fixture
def settings_overrides():
    return {"extra": dict(FAST)}


def run_scheduler(app, services, at) -> None:
    """One tick of the worker's clock: the job starts due broadcasts, the sweep hands them to a sender."""
    services.clock = lambda: at
    tasks.run_job(services, services.router.jobs[JOB_NAME])
    for broadcast_id in broadcasting.unattended(services):
        tasks.run_broadcast(app, broadcast_id)


def test_invitation_costs_one_paid_message_and_the_survey_follows_by_replies(chat, post_purchase, texts, runner,
                                                                             emulator, services):
    chat.say("哈囉")
    emulator.set_quota(total_usage=0)
    emulator.clear_calls()
    assert send(runner, "all").exit_code == 0
    [card] = chat.inbox()
    assert card["type"] == "flex" and card["altText"] == texts("survey.invitation.alt", title="購物後滿意度調查")
    [question] = chat.tap(texts("survey.button.start"), card)
    assert texts.question(post_purchase, "nps", 1) in text_of(question)
    for label in ("10", "5", "Google 搜尋或地圖"):
        chat.tap(label)
    [thanks] = chat.say("環境很舒服")
    assert text_of(thanks) == post_purchase.thanks["zh-TW"]
    assert len(multicasts(emulator)) == 1 and emulator.calls("/v2/bot/message/push") == []
    replies = emulator.calls("/v2/bot/message/reply")
    assert [r["requestBody"]["replyToken"] for r in replies] == [e["replyToken"] for e in chat.events[1:]]
    assert emulator.quota()["totalUsage"] == 1
    [response] = responses_of(services, chat.user_id)
    assert response.state == ResponseState.COMPLETED and response.invitation_id is not None
    report = runner.invoke(args=["broadcast", "status", "1"]).output
    assert "Sent 1; survey starts 1 (100.0 %), completions 1 (response rate 100.0 %)" in report



def test_status_as_json_gives_a_script_the_same_figures(chat, post_purchase, texts, runner, emulator, services):
    chat.say("哈囉")
    seed(services, 3)
    assert send(runner, "all").exit_code == 0
    [card] = chat.inbox()
    chat.tap(texts("survey.button.start"), card)
    for label in ("10", "5", "Google 搜尋或地圖"):
        chat.tap(label)
    chat.say("環境很舒服")
    result = runner.invoke(args=["broadcast", "status", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["id"], report["survey"], report["version"], report["segment"], report["status"]) == \
        (1, "post_purchase", 1, "all", "sent")
    assert (report["previewed_recipients"], report["recipients"], report["sent"]) == (4, 4, 4)
    assert report["batches"] == {"sent": {"batches": 1, "recipients": 4}}
    assert report["failures"] == [] and report["excluded"] == {} and report["stop_reason"] is None
    assert (report["starts"], report["completions"]) == (1, 1)
    assert (report["start_rate"], report["response_rate"]) == (25.0, 25.0)
    assert report["response_rate_over_time"] == {"1 h": None, "6 h": None, "24 h": None, "3 d": None, "7 d": None}
    started = datetime.fromisoformat(report["started_at"])
    assert started.utcoffset() == timedelta(0) and started <= datetime.fromisoformat(report["finished_at"])
    missing = runner.invoke(args=["broadcast", "status", "9", "--format", "json"])
    assert missing.exit_code == 1 and "no broadcast #9" in missing.output

def test_a_second_broadcast_does_not_invite_the_same_people_again(runner, services, emulator, survey):
    seed(services, 5)
    send(runner, "all")
    again = send(runner, "all")
    assert "already invited to this version" in again.output and "nobody to invite" in again.output
    assert len(multicasts(emulator)) == 1


def test_two_broadcasts_due_at_once_invite_each_person_once(app, runner, services, emulator, survey):
    seed(services, 3)
    assert send(runner, "all", "--at", "+30m").exit_code == 0
    assert send(runner, "all", "--at", "+30m").exit_code == 0  # a colleague schedules the same send
    run_scheduler(app, services, utcnow() + timedelta(minutes=31))
    reached = [user for call in multicasts(emulator) if call["status"] == 200 for user in call["requestBody"]["to"]]
    assert len(reached) == len(set(reached)) == 3
    second = json.loads(runner.invoke(args=["broadcast", "status", "2", "--format", "json"]).output)
    assert (second["recipients"], second["excluded"]) == (0, {"already_invited": 3})


def test_a_broadcast_waiting_for_a_resume_keeps_its_recipients(runner, services, emulator, survey):
    seed(services, 3)
    emulator.set_quota(monthly_limit=0)
    send(runner, "all")
    assert "Status: stopped" in runner.invoke(args=["broadcast", "status", "1"]).output
    emulator.set_quota(monthly_limit=None)
    again = send(runner, "all")  # nobody has had the invitation yet, but broadcast 1 will send it on resume
    assert "already invited to this version" in again.output and "nobody to invite" in again.output
    assert runner.invoke(args=["broadcast", "resume", "1"]).exit_code == 0
    reached = [user for call in multicasts(emulator) if call["status"] == 200 for user in call["requestBody"]["to"]]
    assert len(reached) == len(set(reached)) == 3


def test_an_invitation_by_hand_skips_whom_a_stopped_broadcast_will_reach(runner, services, emulator, survey):
    seed(services, 3)
    emulator.set_quota(monthly_limit=0)
    send(runner, "all")
    emulator.set_quota(monthly_limit=None)
    by_hand = runner.invoke(args=["surveys", "invite", "post_purchase", "--all"])
    assert by_hand.exit_code == 0 and "invited 0; skipped: already_invited 3" in by_hand.output
    assert runner.invoke(args=["broadcast", "resume", "1"]).exit_code == 0
    reached = [user for call in multicasts(emulator) if call["status"] == 200 for user in call["requestBody"]["to"]]
    assert len(reached) == len(set(reached)) == 3
    assert emulator.calls("/v2/bot/message/push") == []


def test_who_opts_out_while_a_send_waits_for_its_resume_gets_nothing(chat, post_purchase, runner, emulator,
                                                                     services):
    chat.say("哈囉")
    seed(services, 2)
    emulator.set_quota(monthly_limit=0)
    send(runner, "all")
    assert "Status: stopped" in runner.invoke(args=["broadcast", "status", "1"]).output
    chat.say("不要問卷")  # days before the limit is raised
    chat.inbox()
    emulator.set_quota(monthly_limit=None)
    assert runner.invoke(args=["broadcast", "resume", "1"]).exit_code == 0
    assert chat.inbox() == []
    reached = [user for call in multicasts(emulator) if call["status"] == 200 for user in call["requestBody"]["to"]]
    assert len(reached) == 2 and chat.user_id not in reached
    report = json.loads(runner.invoke(args=["broadcast", "status", "1", "--format", "json"]).output)
    assert (report["status"], report["recipients"], report["sent"]) == ("sent", 2, 2)
    assert support.invitations(services) == 2


def test_a_broadcast_counts_only_the_answers_to_its_own_invitations(chat, post_purchase, texts, runner, emulator,
                                                                     services):
    chat.say("哈囉")
    emulator.set_quota(monthly_limit=0)
    send(runner, "all")
    assert runner.invoke(args=["broadcast", "cancel", "1"]).exit_code == 0  # stopped, never sent, then given up
    emulator.set_quota(monthly_limit=None)
    chat.inbox()
    assert send(runner, "all").exit_code == 0  # broadcast 2 reaches the same customer
    [card] = chat.inbox()
    chat.tap(texts("survey.button.start"), card)
    first = json.loads(runner.invoke(args=["broadcast", "status", "1", "--format", "json"]).output)
    second = json.loads(runner.invoke(args=["broadcast", "status", "2", "--format", "json"]).output)
    assert (first["sent"], first["starts"]) == (0, 0)
    assert (second["sent"], second["starts"]) == (1, 1)


def test_scheduled_broadcast_is_sent_by_the_periodic_job_when_due(app, runner, services, emulator, survey):
    seed(services, 3)
    result = send(runner, "all", "--at", "+30m")
    assert result.exit_code == 0 and "scheduled for" in result.output
    assert "Status: scheduled" in runner.invoke(args=["broadcast", "status", "1"]).output
    waiting = json.loads(runner.invoke(args=["broadcast", "status", "1", "--format", "json"]).output)
    assert (waiting["status"], waiting["previewed_recipients"], waiting["recipients"], waiting["started_at"]) == \
        ("scheduled", 3, None, None)
    assert waiting["response_rate_over_time"] == dict.fromkeys(("1 h", "6 h", "24 h", "3 d", "7 d"))
    run_scheduler(app, services, utcnow() + timedelta(minutes=29))
    assert multicasts(emulator) == []
    seed(services, 2)  # the recipients are fixed when the send starts, not at the preview
    run_scheduler(app, services, utcnow() + timedelta(minutes=31))
    [call] = multicasts(emulator)
    assert len(call["requestBody"]["to"]) == 5
    report = runner.invoke(args=["broadcast", "status", "1"]).output
    assert "Status: sent" in report and "Recipients: 5 in 1 batch(es) (previewed 3)" in report


def test_cancelled_broadcast_is_never_sent(app, runner, services, emulator, survey):
    seed(services, 3)
    send(runner, "all", "--at", "+300d")
    result = runner.invoke(args=["broadcast", "cancel", "1"])
    assert result.exit_code == 0 and "cancelled: nothing was sent" in result.output
    run_scheduler(app, services, utcnow() + timedelta(days=365 * 80))
    assert multicasts(emulator) == []
    again = runner.invoke(args=["broadcast", "cancel", "1"])
    assert again.exit_code == 1 and "is cancelled: there is nothing left to cancel" in again.output


@pytest.mark.parametrize(("settings_overrides", "zone"), [
    ({"extra": dict(FAST)}, "Asia/Taipei"),
    ({"extra": {**FAST, "KOUBEI_TIMEZONE": "Asia/Tokyo"}}, "Asia/Tokyo"),
])
def test_a_time_without_an_offset_is_read_in_the_shop_time_zone(runner, services, survey, zone):
    seed(services, 1)
    day = (utcnow() + timedelta(days=30)).date()
    result = send(runner, "all", "--at", f"{day} 09:00")
    assert result.exit_code == 0 and f"{day} 09:00:00 ({zone})" in result.output
    status = json.loads(runner.invoke(args=["broadcast", "status", "1", "--format", "json"]).output)
    assert datetime.fromisoformat(status["scheduled_at"]) == datetime(day.year, day.month, day.day, 9,
                                                                      tzinfo=ZoneInfo(zone))


def test_a_time_in_the_past_is_refused(runner, services, emulator, survey):
    seed(services, 1)
    result = send(runner, "all", "--at", "2000-01-01 09:00")
    assert result.exit_code == 2 and "is in the past" in result.output


@pytest.mark.parametrize("at", ["9999-12-31T23:59-08:00", "+9999d", "2999-01-01 09:00"])
def test_a_time_more_than_a_year_away_is_refused_in_one_line(runner, services, emulator, survey, at):
    """A typo, most likely; 9999-12-31 with a negative offset is past the last datetime in UTC (a traceback)."""
    seed(services, 1)
    result = send(runner, "all", "--at", at)
    assert result.exit_code != 0 and "is more than a year away" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "no broadcasts yet" in runner.invoke(args=["broadcast", "list"]).output


def test_watch_draws_progress_and_ends_with_the_report(runner, services, emulator, survey):
    seed(services, 700)
    result = send(runner, "all", "--wait")
    assert "Broadcast #1" in result.output and "sent 700 · failed 0" in result.output
    watched = runner.invoke(args=["broadcast", "watch", "1"])
    assert watched.exit_code == 0 and "Status: sent" in watched.output
    listed = runner.invoke(args=["broadcast", "list"]).output
    assert "#1     sent" in listed and "700 recipients  all" in listed


def test_tags_from_the_command_line_and_a_csv_file(runner, services, emulator, survey, tmp_path):
    first, second = support.new_user_id(), support.new_user_id()
    assert "tagged 1 customer(s) 'vip'; 1 new customer(s)" in runner.invoke(
        args=["customers", "tag", "VIP", first]).output
    table = tmp_path / "tags.csv"
    table.write_text(f"line_user_id,tags\n{first},vip;Taipei\n{second},taipei\n", encoding="utf-8")
    imported = runner.invoke(args=["customers", "import-tags", str(table)])
    assert "3 tag(s) for 2 customer(s): 2 new, 1 already there; 1 customer(s) created" in imported.output
    assert support.audience(services, "tag:taipei").recipients == 2
    assert support.audience(services, "tag:vip,tag:taipei").recipients == 1
    removed = runner.invoke(args=["customers", "tag", "vip", first, "--remove"])
    assert "removed tag 'vip' from 1 customer(s)" in removed.output
    assert "       2  taipei" in runner.invoke(args=["customers", "tags"]).output


def test_tags_typed_in_full_width_are_the_same_tags(runner, services, emulator, survey, tmp_path):
    first, second, third = support.new_user_id(), support.new_user_id(), support.new_user_id()
    table = tmp_path / "tags.csv"
    # a Chinese input method in full-width mode: ＶＩＰ, and ； between tags
    table.write_text(f"line_user_id,tags\n{first},ＶＩＰ\n{second},vip；台北店\n", encoding="utf-8")
    assert runner.invoke(args=["customers", "import-tags", str(table)]).exit_code == 0
    assert runner.invoke(args=["customers", "tag", "Ｖｉｐ", third]).exit_code == 0
    assert support.audience(services, "tag:VIP").recipients == 3
    assert support.audience(services, "tag:ＶＩＰ，tag：台北店").recipients == 1
    listed = runner.invoke(args=["customers", "tags"]).output.splitlines()
    assert listed == ["       3  vip", "       1  台北店"]


def test_a_csv_with_mistakes_imports_nothing(runner, services, emulator, survey, tmp_path):
    table = tmp_path / "tags.csv"
    table.write_text(f"line_user_id,tags\n{support.new_user_id()},vip\nnot-an-id,vip\n", encoding="utf-8")
    result = runner.invoke(args=["customers", "import-tags", str(table)])
    assert result.exit_code == 1 and "line 3: 'not-an-id' is not a LINE user ID" in result.output
    assert "no tags yet" in runner.invoke(args=["customers", "tags"]).output


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950"])
def test_a_csv_saved_by_excel_as_utf8_or_big5_is_imported(runner, services, emulator, survey, tmp_path, encoding):
    user = support.new_user_id()
    table = tmp_path / "tags.csv"
    # 四 is A5 7C in Big5: its second byte is "|", a tag separator, unless the whole file is decoded first
    table.write_bytes(f"line_user_id,tags\r\n{user},台北;四維店\r\n".encode(encoding))
    result = runner.invoke(args=["customers", "import-tags", str(table)])
    assert result.exit_code == 0, result.output
    assert "2 tag(s) for 1 customer(s): 2 new" in result.output
    assert support.audience(services, "tag:台北,tag:四維店").recipients == 1


def test_a_csv_neither_utf8_nor_big5_imports_nothing(runner, services, emulator, survey, tmp_path):
    table = tmp_path / "tags.csv"
    table.write_bytes(f"line_user_id,tags\n{support.new_user_id()},vip\n".encode() + b"U\xff\n")
    result = runner.invoke(args=["customers", "import-tags", str(table)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert "the file must be UTF-8 or Big5 (cp950) text" in result.output
    assert "no tags yet" in runner.invoke(args=["customers", "tags"]).output

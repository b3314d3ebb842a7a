"""The preview: reach, exclusions by reason, cost and the first message; nothing is sent without confirmation."""

from __future__ import annotations

from datetime import timedelta

from flask.cli import ScriptInfo
from sqlalchemy import func, select

from storage import staff, surveys
from storage.base import utcnow
from storage.models import Broadcast, Case, CaseStatus, Customer, FollowStatus, ResponseState, StaffRole
from tests.handlers import broadcast_support as support
from tests.handlers.broadcast_support import add_customer, invite, multicasts, seed, send, version_id

survey = support.survey


def _one_of_each_exclusion(services) -> None:
    add_customer(services, follow=FollowStatus.UNFOLLOWED)
    enrol_as_staff(services, add_customer(services))
    opted_out, open_case, answered, in_progress, invited, recently = (add_customer(services) for _ in range(6))
    now, version = utcnow(), version_id(services)
    with services.db.session_scope() as session:
        surveys.mark_opted_out(session, customer_id=opted_out, now=now)
        session.add(Case(customer_id=open_case, status=CaseStatus.OPEN, source="chat", score=0.9, excerpt="...",
                         opened_at=now, last_message_at=now, claim_due_at=now, resolve_due_at=now))
        for customer_id, state in ((answered, ResponseState.COMPLETED), (in_progress, ResponseState.ASKING)):
            response = surveys.create_response(session, version_id=version, customer_id=customer_id,
                                               source="keyword", question_id="nps", now=now - timedelta(days=30),
                                               expires_at=now + timedelta(hours=1))
            response.state = state
    invite(services, invited, days_ago=100)
    invite(services, recently, days_ago=3, key="service_recovery")  # another survey, within the 14-day cap


def enrol_as_staff(services, customer_id: int) -> None:
    with services.db.session_scope() as session:
        line_id = session.get(Customer, customer_id).line_user_id
        staff.create_member(session, name="小美", role=StaffRole.STAFF, line_user_id=line_id, now=utcnow())


def broadcasts_saved(services) -> int:
    with services.db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(Broadcast))


def test_dry_run_shows_reach_exclusions_cost_and_the_first_message(runner, services, emulator, survey):
    support.import_survey(runner, support.SERVICE_RECOVERY)
    _one_of_each_exclusion(services)
    for _ in range(3):
        add_customer(services)
    result = runner.invoke(args=["broadcast", "create", "--survey", "post_purchase", "--segment", "all", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Matched by the segment: 11" in out and "Excluded: 8" in out
    for reason in ("blocked the account", "are enrolled staff", "opted out of surveys", "have an open case",
                   "already answered", "already invited", "are answering a survey now",
                   "had a survey recently (frequency cap)"):
        assert f"        1  {reason}" in out, reason
    assert "Recipients: 3 (zh-TW 3)" in out and "Multicast calls: 1" in out and "Paid messages: 3" in out
    t = services.catalogue.translator("zh-TW")
    assert t("broadcast.invitation.title", title="購物後滿意度調查") in out
    assert f"[{t('survey.button.start')}]  [{t('survey.button.opt_out')}]" in out
    assert "nothing was saved or sent" in out
    assert broadcasts_saved(services) == 0 and multicasts(emulator) == []


def test_preview_counts_calls_per_language(runner, services, emulator, survey):
    seed(services, 1001)
    seed(services, 3, language="en")
    result = runner.invoke(args=["broadcast", "create", "--survey", "post_purchase", "--segment", "all", "--dry-run"])
    assert "Recipients: 1,004 (en 3, zh-TW 1,001)" in result.output
    assert "Multicast calls: 4" in result.output and "Paid messages: 1,004" in result.output
    t = services.catalogue.translator("en")
    assert f"[{t('survey.button.start')}]" in result.output


def test_nothing_is_sent_unless_confirmed(runner, services, emulator, survey):
    add_customer(services)
    declined = runner.invoke(args=["broadcast", "create", "--survey", "post_purchase", "--segment", "all"], input="n\n")
    assert "Send the invitation to 1 customer(s) now?" in declined.output and "nothing was sent" in declined.output
    assert broadcasts_saved(services) == 0 and multicasts(emulator) == []
    accepted = runner.invoke(args=["broadcast", "create", "--survey", "post_purchase", "--segment", "all"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(multicasts(emulator)) == 1


def test_bad_segment_or_survey_is_refused_before_anything_happens(runner, services, emulator, survey):
    bad = send(runner, "tags:vip")
    assert bad.exit_code == 2 and "unknown rule 'tags'" in bad.output
    unknown = send(runner, "all", key="no_such_survey")
    assert unknown.exit_code == 2 and "no survey with key 'no_such_survey'" in unknown.output
    assert broadcasts_saved(services) == 0


def test_an_empty_segment_saves_nothing(runner, services, emulator, survey):
    add_customer(services, follow=FollowStatus.UNFOLLOWED)
    result = send(runner, "all")
    assert "Recipients: 0" in result.output and "nobody to invite" in result.output
    assert broadcasts_saved(services) == 0


def test_a_past_send_time_is_refused_before_the_preview_as_typed(runner, services, emulator, survey):
    add_customer(services)
    past = ["--at", "2020-01-01 18:00"]
    for extra in (["--dry-run"], ["--yes"]):
        result = runner.invoke(args=["broadcast", "create", "--survey", "post_purchase", "--segment", "all",
                                     *past, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert "--at '2020-01-01 18:00': 2020-01-01 18:00:00 (Asia/Taipei) is in the past" in result.output
        assert "Recipients:" not in result.output and "+08:00" not in result.output
    assert broadcasts_saved(services) == 0 and multicasts(emulator) == []


def test_hints_name_the_command_as_production_types_it(runner, app, services, emulator, survey):
    add_customer(services)
    production = ScriptInfo(app_import_path="wsgi", create_app=lambda: app)  # what `flask --app wsgi` leaves
    result = runner.invoke(args=["broadcast", "create", "--survey", "post_purchase", "--segment", "all", "--at", "+1h",
                                 "--yes"], obj=production)
    assert result.exit_code == 0, result.output
    assert "(cancel with: flask --app wsgi broadcast cancel 1)" in result.output


def test_other_commands_hint_the_same_way(runner, app, services, emulator, survey):
    production = ScriptInfo(app_import_path="wsgi", create_app=lambda: app)
    result = runner.invoke(args=["surveys", "invite", "nosuch", "--all"], obj=production)
    assert "(see: flask --app wsgi surveys list)" in result.output
    result = runner.invoke(args=["staff", "remove", "nobody"], obj=production)
    assert "(see flask --app wsgi staff list)" in result.output

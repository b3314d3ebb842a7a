"""``flask cases report`` against figures worked out by hand from seeded cases."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from storage import cases, customers, staff
from storage.models import CaseSource, CaseStatus
from tests.handlers import escalation_support as support

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def seed_case(session, now: datetime, name: str, *, opened: timedelta, claimed: timedelta | None = None,
              first_response: timedelta | None = None, resolved: timedelta | None = None,
              rating: int | None = None, staff_id: int) -> None:
    """One case, its moments given as offsets from its opening."""
    customer = customers.create(session, line_user_id="U" + name.encode().hex().ljust(32, "0")[:32], now=now)
    start = now - opened
    case = cases.create_case(session, customer_id=customer.id, source=CaseSource.CHAT, score=0.9, sentiment=0.1,
                             excerpt=name, now=start, claim_due_at=start + 30 * MIN, resolve_due_at=start + 24 * HOUR)
    if claimed is not None:
        case.status, case.claimed_by_id, case.claimed_at = CaseStatus.CLAIMED, staff_id, start + claimed
    if first_response is not None:
        case.first_response_at = start + first_response
    if resolved is not None:
        case.status, case.resolved_by_id, case.resolved_at = CaseStatus.RESOLVED, staff_id, start + resolved
    case.recovery_rating = rating


def seed(services, now: datetime) -> None:
    """Five cases: two on time, one claimed late, one late on both counts, one just opened."""
    with services.db.session_scope() as session:
        member = staff.create_member(session, name="小美", role="staff", line_user_id="U" + "a" * 32, now=now)
        session.flush()
        seed_case(session, now, "a", opened=10 * HOUR, claimed=10 * MIN, first_response=20 * MIN,
                  resolved=120 * MIN, rating=5, staff_id=member.id)
        seed_case(session, now, "b", opened=5 * HOUR, claimed=60 * MIN, first_response=90 * MIN,
                  resolved=240 * MIN, rating=3, staff_id=member.id)
        seed_case(session, now, "c", opened=30 * HOUR, claimed=60 * MIN, first_response=120 * MIN,
                  staff_id=member.id)
        seed_case(session, now, "d", opened=10 * MIN, staff_id=member.id)
        seed_case(session, now, "e", opened=48 * HOUR, resolved=20 * MIN, staff_id=member.id)


def test_report_json_matches_hand_computed_figures(services, runner, clock):
    seed(services, clock.now)
    result = runner.invoke(args=["cases", "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["cases"] == {"open": 1, "claimed": 1, "resolved": 3, "total": 5}
    assert report["median_seconds_to_first_response"] == 90 * 60  # of 20, 90 and 120 minutes
    assert report["median_seconds_to_resolution"] == 120 * 60  # of 120, 240 and 20 minutes
    assert report["sla"] == {"claim_breaches": 2, "resolve_breaches": 1, "breached_cases": 2,
                             "re_escalated": 0, "overdue_alerts": 0}
    assert report["recovery"] == {"resolved": 3, "surveys_sent": 0, "surveys_answered": 2, "recovered": 1,
                                  "recovery_rate": 33.3, "recovery_rate_of_answered": 50.0}


def test_report_text_and_since(services, runner, clock):
    seed(services, clock.now)
    text = runner.invoke(args=["cases", "report"]).output
    assert "open 1   claimed 1   resolved 3" in text
    assert "Median time to first response: 1 h 30 min" in text
    assert "SLA breaches: 2 case(s) — claimed late 2, resolved late 1" in text
    assert "Recovery: 1 of 3 resolved case(s) rated 4–5 = 33.3 %" in text
    tomorrow = (clock.now + timedelta(days=2)).strftime("%Y-%m-%d")
    later = json.loads(runner.invoke(args=["cases", "report", "--format", "json", "--since", tomorrow]).output)
    assert later["cases"]["total"] == 0 and later["median_seconds_to_resolution"] is None


def test_report_counts_sla_breaches_of_a_live_case(services, runner, live_bot, emulator, clock):
    customer = support.Person(emulator, "陳小姐")
    customer.say(support.COMPLAINT)
    clock.advance(minutes=31)
    report = json.loads(runner.invoke(args=["cases", "report", "--format", "json"]).output)
    assert report["cases"]["open"] == 1 and report["sla"]["claim_breaches"] == 1

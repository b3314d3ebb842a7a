"""Segments: the spec staff type, and each rule against real customers in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.broadcasts import InvalidSegment, parse_segment
from storage import surveys
from storage.base import utcnow
from storage.models import Case, CaseStatus, FollowStatus, ResponseState
from storage.models.referrals import Referral, ReferralCampaign, ReferralCode, ReferralStatus
from tests.handlers import broadcast_support as support
from tests.handlers.broadcast_support import add_customer, audience, invite, version_id

survey = support.survey


@pytest.mark.parametrize(("spec", "canonical"), [
    ("all", "all"),
    ("tag:VIP,not-surveyed:30d", "tag:vip,not-surveyed:30d"),
    (" Tag:Gold|vip , not-tag:Staff ", "tag:gold|vip,not-tag:staff"),
    ("followed:2025-01-01..2025-03-31", "followed:2025-01-01..2025-03-31"),
    ("followed:2025-02-01..", "followed:2025-02-01.."),
    ("not-surveyed:4w", "not-surveyed:28d"),
    ("nps:promoters|detractor", "nps:detractor|promoter"),
    ("referral:referrer,include-open-cases", "referral:referrer,include-open-cases"),
])
def test_spec_is_read_and_written_back_in_one_form(spec, canonical):
    assert str(parse_segment(spec)) == canonical
    assert parse_segment(canonical) == parse_segment(spec)


@pytest.mark.parametrize(("spec", "says"), [
    ("", "empty"),
    ("vip", "unknown rule 'vip'"),
    ("tag:", "needs a value"),
    ("not-surveyed:30", "like not-surveyed:30d"),
    ("followed:2025-13-01..", "not a date"),
    ("followed:2025-03-01..2025-01-01", "after the last"),
    ("nps:fans", "'fans' is not one of promoter, passive, detractor, none"),
    ("all:yes", "takes no value"),
])
def test_bad_spec_says_what_is_wrong(spec, says):
    with pytest.raises(InvalidSegment, match=says):
        parse_segment(spec)


def test_all_is_every_reachable_follower(services, survey):
    add_customer(services)
    add_customer(services, follow=FollowStatus.UNKNOWN)  # wrote to us before the bot knew of the follow
    add_customer(services, follow=FollowStatus.UNFOLLOWED)
    result = audience(services, "all")
    assert (result.matched, result.recipients, result.excluded) == (3, 2, {"unfollowed": 1})


def test_tags_match_any_of_a_rule_and_every_rule(services, survey):
    add_customer(services, tags=("vip",))
    add_customer(services, tags=("gold",))
    add_customer(services, tags=("vip", "taipei"))
    add_customer(services)
    assert audience(services, "tag:VIP").recipients == 2
    assert audience(services, "tag:vip|gold").recipients == 3
    assert audience(services, "tag:vip,tag:taipei").recipients == 1
    assert audience(services, "not-tag:vip").recipients == 2


def test_followed_between_dates_in_the_shops_time_zone(services, survey):
    taipei_midnight = datetime(2025, 3, 1, tzinfo=UTC) - timedelta(hours=8)
    add_customer(services, followed_at=taipei_midnight - timedelta(seconds=1))  # Feb 28 in Taipei
    add_customer(services, followed_at=taipei_midnight)  # Mar 1, 00:00 in Taipei
    add_customer(services, followed_at=taipei_midnight + timedelta(days=31) - timedelta(seconds=1))  # Mar 31
    add_customer(services, followed_at=taipei_midnight + timedelta(days=31))  # Apr 1
    assert audience(services, "followed:2025-03-01..2025-03-31").recipients == 2
    assert audience(services, "followed:..2025-02-28").recipients == 1
    assert audience(services, "followed:2025-03-01..").recipients == 3


def test_not_surveyed_looks_at_invitations_and_started_surveys(services, survey):
    invited_lately, invited_long_ago, answered_lately = (add_customer(services) for _ in range(3))
    never = add_customer(services)
    invite(services, invited_lately, days_ago=20)
    invite(services, invited_long_ago, days_ago=40)
    version = version_id(services)
    with services.db.session_scope() as session:
        surveys.create_response(session, version_id=version, customer_id=answered_lately,
                                source="keyword", question_id="nps", now=utcnow() - timedelta(days=25),
                                expires_at=utcnow() - timedelta(days=24))
    result = audience(services, "not-surveyed:30d")
    assert result.matched == 2 and never
    # the invitation 40 days ago was to this very version: the fatigue rule still applies to it
    assert result.excluded == {"already_invited": 1}


def _nps_answer(services, customer_id: int, score: int, days_ago: int) -> None:
    version = version_id(services)
    with services.db.session_scope() as session:
        response = surveys.create_response(session, version_id=version, customer_id=customer_id,
                                           source="keyword", question_id="nps", now=utcnow() - timedelta(days=days_ago),
                                           expires_at=utcnow() - timedelta(days=days_ago - 1))
        response.state = ResponseState.CANCELLED
        surveys.create_answer(session, response_id=response.id, question_id="nps", number=score,
                              now=utcnow() - timedelta(days=days_ago))


def test_nps_group_comes_from_the_last_answer(services, survey):
    changed_mind, passive, detractor, silent = (add_customer(services) for _ in range(4))
    _nps_answer(services, changed_mind, 3, days_ago=60)
    _nps_answer(services, changed_mind, 10, days_ago=40)
    _nps_answer(services, passive, 7, days_ago=50)
    _nps_answer(services, detractor, 6, days_ago=50)
    assert audience(services, "nps:promoter").recipients == 1
    assert audience(services, "nps:passive").recipients == 1
    assert audience(services, "nps:detractor|passive").recipients == 2
    assert audience(services, "nps:none").recipients == 1 and silent


def test_referral_status(services, survey):
    referrer, pending, qualified, outsider = (add_customer(services) for _ in range(4))
    now = utcnow()
    with services.db.session_scope() as session:
        campaign = ReferralCampaign(slug="spring", name="spring", definition={}, starts_at=now, active=True,
                                    loaded_at=now)
        code = ReferralCode(customer_id=referrer, code="ABCD2345", created_at=now)
        session.add_all([campaign, code])
        session.flush()
        for referee, status in ((pending, ReferralStatus.JOINED), (qualified, ReferralStatus.QUALIFIED)):
            session.add(Referral(campaign_id=campaign.id, code_id=code.id, referrer_id=referrer, referee_id=referee,
                                 pair_low=min(referrer, referee), pair_high=max(referrer, referee), status=status,
                                 created_at=now))
    assert audience(services, "referral:referrer").recipients == 1
    assert audience(services, "referral:referred").recipients == 2
    assert audience(services, "referral:pending").recipients == 1
    assert audience(services, "referral:qualified|referrer").recipients == 2
    assert audience(services, "referral:none").recipients == 1 and outsider


def _case(services, customer_id: int, status: CaseStatus) -> None:
    now = utcnow()
    with services.db.session_scope() as session:
        session.add(Case(customer_id=customer_id, status=status, source="chat", score=0.9, excerpt="...",
                         opened_at=now, last_message_at=now, claim_due_at=now, resolve_due_at=now,
                         resolved_at=now if status == CaseStatus.RESOLVED else None))


def test_customers_with_an_open_case_are_left_out_unless_asked(services, survey):
    for status in (CaseStatus.OPEN, CaseStatus.CLAIMED, CaseStatus.RESOLVED):
        _case(services, add_customer(services), status)
    assert audience(services, "all").excluded == {"open_case": 2}
    assert audience(services, "all,include-open-cases").recipients == 3

"""KOUBEI_BUSINESS_HOURS: the SLA clocks count opening time only, and the customer is promised an open hour."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from bot import create_app
from handlers.escalation.options import BusinessHours, CaseOptions
from handlers.options import OptionError, shop_zone
from tests.conftest import make_settings
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import COMPLAINT, all_cases, card_texts, run_sla

customer, manager, clerk, staff_group, t = (
    support.customer, support.manager, support.clerk, support.staff_group, support.t)

SHOP_HOURS = "mon-sat 09:00-21:00"
TAIWAN = shop_zone({})


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 2026-12-07, Taiwan time (day 0 is that Monday)."""
    return datetime(2026, 12, 7, hour, minute, tzinfo=TAIWAN) + timedelta(days=day)


@pytest.mark.parametrize(("raw", "days"), [
    ("09:00-21:00", set(range(7))),
    ("mon-sat 09:00-21:00", {0, 1, 2, 3, 4, 5}),
    ("TUE,Thu-Sun 9:30-20:30", {1, 3, 4, 5, 6}),
    ("sat-mon 10:00-18:00", {5, 6, 0}),  # a range may wrap past Sunday
])
def test_business_hours_are_read_from_days_and_times(raw, days):
    assert BusinessHours.parse(raw, TAIWAN).days == frozenset(days)


def test_business_hours_keep_the_times_given():
    hours = BusinessHours.parse("tue 9:30-20:45", TAIWAN)
    assert (hours.opens, hours.closes) == (time(9, 30), time(20, 45))


@pytest.mark.parametrize("raw", ["9-21", "mon-funday 09:00-21:00", "every day 09:00-21:00", "25:00-26:00",
                                 "09:00-09:00", "09:00"])
def test_an_unusable_setting_is_refused_naming_it(raw):
    with pytest.raises(OptionError, match="KOUBEI_BUSINESS_HOURS"):
        CaseOptions.from_options({"KOUBEI_BUSINESS_HOURS": raw})


def test_the_bot_does_not_start_with_an_unusable_setting(tmp_path, database_url, emulator_server):
    settings = make_settings(tmp_path, database_url, emulator_server.url, extra={"KOUBEI_BUSINESS_HOURS": "9-21"})
    with pytest.raises(OptionError, match="KOUBEI_BUSINESS_HOURS"):
        create_app(settings)


@pytest.mark.parametrize(("start", "claim_due"), [
    (at(0, 15), at(0, 15, 30)),          # open: 30 minutes later
    (at(0, 20, 50), at(1, 9, 20)),       # 10 minutes today, 20 tomorrow
    (at(0, 23), at(1, 9, 30)),           # closed: the clock starts at opening
    (at(1, 3), at(1, 9, 30)),
    (at(5, 20, 45), at(7, 9, 15)),       # Saturday evening: Sunday is closed
])
def test_the_claim_clock_counts_opening_time_only(start, claim_due):
    options = CaseOptions.from_options({"KOUBEI_BUSINESS_HOURS": SHOP_HOURS})
    assert options.claim_due(start) == claim_due


def test_the_resolve_clock_counts_opening_time_too():
    options = CaseOptions.from_options({"KOUBEI_BUSINESS_HOURS": SHOP_HOURS})
    # 24 opening hours from Saturday 15:00: 6 on Saturday, 12 on Monday, 6 on Tuesday
    assert options.resolve_due(at(5, 15)) == at(8, 15)


def test_late_night_hours_run_past_midnight():
    options = CaseOptions.from_options({"KOUBEI_BUSINESS_HOURS": "18:00-02:00"})
    assert options.claim_due(at(0, 23, 50)) == at(1, 0, 20)
    assert options.claim_due(at(1, 1, 0)) == at(1, 1, 30)   # still Monday night's opening
    assert options.claim_due(at(1, 1, 45)) == at(1, 18, 15)  # 15 minutes left before 02:00
    assert options.claim_due(at(1, 12, 0)) == at(1, 18, 30)


def test_without_the_setting_the_clocks_run_around_the_clock():
    options = CaseOptions.from_options({})
    assert options.claim_due(at(0, 23)) == at(0, 23, 30)
    assert options.resolve_due(at(0, 23)) == at(1, 23)


@pytest.fixture
def settings_overrides() -> dict:
    """A shop open Monday to Saturday, 09:00-21:00."""
    return {"extra": {"KOUBEI_BUSINESS_HOURS": SHOP_HOURS}}


def _a_past_saturday_night() -> datetime:
    """Saturday 23:00 Taiwan time, a week or two ago (before the emulator's real event timestamps)."""
    today = datetime.now(TAIWAN).date()
    saturday = today - timedelta(days=7 + (today.weekday() - 5) % 7)
    return datetime.combine(saturday, time(23, 0), TAIWAN)


def test_a_complaint_on_saturday_night_is_promised_for_monday_and_escalated_then(
        services, customer, staff_group, manager, clock, t):
    saturday_night = _a_past_saturday_night()
    monday_claim_due = saturday_night + timedelta(days=1, hours=10, minutes=30)  # Monday 09:30
    clock.now = saturday_night

    [apology] = customer.say(COMPLAINT)
    [case] = all_cases(services)
    assert case.claim_due_at == monday_claim_due
    assert case.resolve_due_at == monday_claim_due + timedelta(days=1, hours=11, minutes=30)  # Tuesday 21:00
    due = t("case.time.other", date=f"{monday_claim_due.month}/{monday_claim_due.day}", time="09:30")
    assert apology["text"] == t("complaint.acknowledgement", name="陳小姐", number=case.id, due=due)
    [card] = staff_group.inbox()  # staff still hear at once
    assert t("case.card.claim_by", time=due) in card_texts(card)

    clock.advance(minutes=31)
    assert run_sla(services) == 0  # nobody is paged at 23:31 on a Saturday
    clock.now = monday_claim_due - timedelta(minutes=1)
    assert run_sla(services) == 0
    clock.now = monday_claim_due
    assert run_sla(services) == 1
    [escalated] = manager.inbox()
    waited = t("case.waited.hours", hours=34, minutes=30)  # since Saturday 23:00, not 2070 minutes
    assert card_texts(escalated)[0] == t("case.card.unclaimed", number=case.id, waited=waited)

"""Thresholds and timings come from KOUBEI_* settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.complaint_detection import classify
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import COMPLAINT, all_cases, issue, run_sla

customer, manager, t = support.customer, support.manager, support.t


@pytest.fixture
def settings_overrides(complaint_detector) -> dict:
    """A detection threshold just above the test complaint's probability, and shorter deadlines."""
    probability = classify(COMPLAINT).complaint_probability
    return {"extra": {"KOUBEI_COMPLAINT_THRESHOLD": str((probability + 1) / 2), "KOUBEI_CASE_CLAIM_MINUTES": "10",
                      "KOUBEI_CASE_RESOLVE_HOURS": "2", "KOUBEI_STAFF_CODE_HOURS": "1"}}


def test_complaint_threshold_is_configurable(services, customer, t):
    [answer] = customer.say(COMPLAINT)
    assert answer["text"] == t("menu.help.text")
    assert all_cases(services) == []
    customer.say("我要退款！")  # well above any threshold
    assert len(all_cases(services)) == 1


def test_deadlines_are_configurable(services, customer, manager, clock):
    customer.say("我要退款！")
    [case] = all_cases(services)
    assert case.claim_due_at == clock.now + timedelta(minutes=10)
    assert case.resolve_due_at == clock.now + timedelta(hours=2)
    manager.inbox()
    clock.advance(minutes=10)
    assert run_sla(services) == 1


def test_code_validity_is_configurable(services, runner, emulator, live_bot, clock, t):
    code = issue(runner, "invite", "--name", "小美")
    clock.advance(hours=1)
    [answer] = support.Person(emulator, "Mei").say(code)
    assert answer["text"] == t("staff.code_expired")

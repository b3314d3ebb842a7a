"""The SLA job with a frozen clock: unclaimed cases go to managers, unresolved ones raise an alert, each once."""

from __future__ import annotations

import threading

import pytest

from bot import tasks
from bot.config import DEFAULT_CATALOGUE
from handlers.catalogue import Catalogue
from handlers.escalation.cards import waited
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import COMPLAINT, all_cases, card_texts, run_sla

clerk, customer, manager, staff_group, t = (
    support.clerk, support.customer, support.manager, support.staff_group, support.t)


def test_unclaimed_case_is_re_escalated_to_managers_once(services, customer, staff_group, clerk, manager, clock, t):
    customer.say(COMPLAINT)
    staff_group.inbox()
    clock.advance(minutes=29)
    assert run_sla(services) == 0
    clock.advance(minutes=2)
    assert run_sla(services) == 1
    [case] = all_cases(services)
    [card] = manager.inbox()
    assert card_texts(card)[0] == t("case.card.unclaimed", number=case.id,
                                    waited=t("case.waited.minutes", minutes=31))
    assert list(support.buttons(card)) == [t("case.button.claim"), t("case.button.reply"), t("case.button.resolve")]
    assert clerk.inbox() == [] and staff_group.inbox() == []
    assert case.escalated_at == clock.now
    clock.advance(minutes=5)
    assert run_sla(services) == 0


def test_claimed_case_is_not_re_escalated(services, customer, staff_group, clerk, manager, clock, t):
    customer.say(COMPLAINT)
    [card] = staff_group.inbox()
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    clock.advance(minutes=45)
    assert run_sla(services) == 0
    assert manager.inbox() == []


def test_unresolved_case_raises_an_alert_at_24_hours(services, customer, staff_group, clerk, manager, clock, t):
    customer.say(COMPLAINT)
    [card] = staff_group.inbox()
    clerk.tap(card, t("case.button.claim"), group=staff_group)
    clerk.inbox()
    clock.advance(hours=23, minutes=59)
    assert run_sla(services) == 0
    clock.advance(minutes=1)
    assert run_sla(services) == 2  # the manager and the clerk who has the case
    [case] = all_cases(services)
    for person in (manager, clerk):
        [alert] = person.inbox()
        lines = card_texts(alert)
        assert lines[0] == t("case.card.overdue", number=case.id, hours=24)
        assert t("case.card.handler", name="小美") in lines
    assert run_sla(services) == 0


def test_without_managers_the_staff_group_is_told(services, customer, staff_group, clock, t):
    customer.say(COMPLAINT)
    staff_group.inbox()
    clock.advance(minutes=31)
    assert run_sla(services) == 1
    [case] = all_cases(services)
    [card] = staff_group.inbox()
    assert card_texts(card)[0] == t("case.card.unclaimed", number=case.id,
                                    waited=t("case.waited.minutes", minutes=31))


def test_workers_running_the_job_together_send_once(services, emulator, customer, staff_group, manager, clock):
    customer.say(COMPLAINT)
    clock.advance(minutes=31)
    job, barrier, sent = services.router.jobs["case_sla"], threading.Barrier(3), []

    def worker() -> None:
        barrier.wait()
        sent.append(tasks.run_job(services, job))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(sent) == [0, 0, 1]
    assert len(manager.inbox()) == 1


@pytest.mark.parametrize(("minutes", "zh", "en"), [
    (31, "31 分鐘", "31 min"), (119, "119 分鐘", "119 min"), (120, "2 小時 0 分鐘", "2 h 0 min"),
    (2070, "34 小時 30 分鐘", "34 h 30 min"),
])
def test_waiting_time_reads_in_hours_once_it_is_long(minutes, zh, en):
    catalogue = Catalogue.load(DEFAULT_CATALOGUE)
    assert waited(catalogue.translator("zh-TW"), minutes) == zh
    assert waited(catalogue.translator("en"), minutes) == en


def test_when_every_manager_blocked_the_account_the_staff_group_is_told(services, emulator, customer, staff_group,
                                                                       manager, clock, t):
    customer.say(COMPLAINT)
    staff_group.inbox()
    emulator.unfollow(manager.user_id)
    clock.advance(minutes=31)
    assert run_sla(services) == 1
    [case] = all_cases(services)
    [card] = staff_group.inbox()
    assert card_texts(card)[0] == t("case.card.unclaimed", number=case.id,
                                    waited=t("case.waited.minutes", minutes=31))

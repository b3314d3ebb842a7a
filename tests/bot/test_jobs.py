"""Periodic jobs: run in their own unit of work, their notifications go through the outbox."""

from __future__ import annotations

from bot import tasks
from handlers.jobs import Job
from handlers.replies import Notify, Text
from storage import customers
from storage.base import utcnow


def test_job_notifications_are_pushed_once(services, emulator, customer_id):
    def remind(ctx):
        return [Notify(to=customer_id, messages=(Text(ctx.translator("en")("menu.help.text")),))]

    assert tasks.run_job(services, Job("remind", 5, remind)) == 1
    [push] = emulator.calls("/v2/bot/message/push")
    assert push["requestBody"]["to"] == customer_id
    assert push["requestBody"]["messages"][0]["text"] == services.catalogue.text("menu.help.text", "en")


def test_job_skips_customers_who_blocked_the_account(services, emulator, customer_id):
    with services.db.session_scope() as session:
        customer = customers.create(session, line_user_id=customer_id, now=utcnow())
        customers.mark_unfollowed(customer, now=utcnow())
        session.flush()
        blocked_id = customer.id

    def remind(ctx):
        return [Notify(to=customer_id, messages=(Text("x"),), customer_id=blocked_id)]

    assert tasks.run_job(services, Job("remind", 5, remind)) == 0
    assert emulator.calls() == []


def test_unknown_job_name_is_a_usage_error(runner):
    result = runner.invoke(args=["queue", "run-job", "no-such-job"])
    assert result.exit_code != 0 and "no job 'no-such-job'" in result.output

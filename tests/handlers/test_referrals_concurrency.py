"""The rules hold when requests race: threads against PostgreSQL, where writers really run side by side.

Some tests race whole webhooks through the live bot; others hold two transactions at a barrier right
before the decisive statement, so both have passed every check in Python and only the database decides.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import event, func, select

from handlers.context import HandlerContext
from handlers.errors import ReferralRefused, RewardRefused
from handlers.referrals import redemption, staff
from handlers.referrals.codes import format_coupon
from storage import customers, referrals
from storage.models.referrals import AttemptOutcome, Referral, RewardKind
from tests.conftest import PG_URL
from tests.handlers import referral_support as support
from tests.handlers.referral_support import DEFAULT_CAMPAIGN, Shopper, joined, load_campaign, texts, write_campaign

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="KOUBEI_TEST_DATABASE_URL not set")]


@pytest.fixture
def settings_overrides():
    return {"api_key": "race-key"}


shop = support.shop


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; return each result or the exception it raised."""
    start = threading.Barrier(len(calls), timeout=15)

    def run(call: Callable[[], object]) -> object:
        start.wait()
        try:
            return call()
        except Exception as exc:  # the test inspects which thread lost, and how
            return exc
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@contextmanager
def meet_before(engine, statement_prefix: str, parties: int = 2) -> Iterator[None]:
    """Hold each thread's first statement starting with the prefix until all threads have reached theirs."""
    barrier = threading.Barrier(parties, timeout=15)
    seen = threading.local()

    def wait(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(statement_prefix) and not getattr(seen, "done", False):
            seen.done = True
            barrier.wait()
    event.listen(engine, "before_cursor_execute", wait)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", wait)


def count_referrals(services) -> int:
    with services.db.session_scope() as session:
        return session.scalar(select(func.count()).select_from(Referral))


def redeem_directly(services, referee: Shopper, code: str) -> Callable[[], int]:
    """Create a referral in a unit of work of its own, as the dispatcher would."""
    def call() -> int:
        with services.db.session_scope() as session:
            customer = customers.get_by_line_id(session, line_user_id=referee.user_id)
            ctx = HandlerContext(session=session, now=services.clock(), catalogue=services.catalogue,
                                 customer=customer)
            referral, _ = redemption.create_referral(ctx, code=referrals.get_code(session, code=code))
            return referral.id
    return call


def test_two_friends_redeeming_one_code_at_the_same_instant_both_join(shop, services):
    amy, ben, cat = shop("王小美"), shop("陳大文"), shop("張小華")
    amy.ask_code()
    ben.follow()
    cat.follow()
    answers = at_once(lambda: ben.say(amy.code), lambda: cat.say(amy.code))
    assert [len(texts(answer)) for answer in answers] == [1, 1]
    assert count_referrals(services) == 2
    assert [len(friend.rewards()) for friend in (ben, cat)] == [1, 1]
    assert len(texts(amy.inbox())) == 2


def test_two_customers_sending_each_others_code_at_once_make_one_referral(shop, services):
    amy, ben = shop("王小美"), shop("陳大文")
    for shopper in (amy, ben):
        shopper.follow()
        shopper.ask_code()
    answers = at_once(lambda: amy.say(ben.code), lambda: ben.say(amy.code))
    assert count_referrals(services) == 1
    refusal = services.catalogue.text("referral.refused.cycle")
    # the winner's referrer also receives a push in the same chat: look for the refusal among the texts
    assert sorted(refusal in texts(answer) for answer in answers) == [False, True]


def test_one_referee_sending_two_codes_at_once_gets_one_referrer(shop, services):
    amy, cat, ben = shop("王小美"), shop("張小華"), shop("陳大文")
    amy.ask_code()
    cat.ask_code()
    ben.follow()
    answers = at_once(lambda: ben.say(amy.code), lambda: ben.say(cat.code))
    assert count_referrals(services) == 1 and len(ben.rewards()) == 1
    assert services.catalogue.text("referral.refused.already_referred") in [t for a in answers for t in texts(a)]


def test_the_unique_referee_holds_when_both_transactions_passed_every_check(shop, services):
    amy, cat, ben = shop("王小美"), shop("張小華"), shop("陳大文")
    amy.ask_code()
    cat.ask_code()
    ben.follow()
    with meet_before(services.db.engine, "INSERT INTO REFERRALS"):
        results = at_once(redeem_directly(services, ben, amy.code), redeem_directly(services, ben, cat.code))
    [won] = [r for r in results if isinstance(r, int)]
    [lost] = [r for r in results if isinstance(r, ReferralRefused)]
    assert lost.reason == AttemptOutcome.ALREADY_REFERRED and count_referrals(services) == 1


def test_the_pair_constraint_refuses_a_simultaneous_cycle(shop, services):
    amy, ben = shop("王小美"), shop("陳大文")
    for shopper in (amy, ben):
        shopper.follow()
        shopper.ask_code()
    with meet_before(services.db.engine, "INSERT INTO REFERRALS"):
        results = at_once(redeem_directly(services, amy, ben.code), redeem_directly(services, ben, amy.code))
    [lost] = [r for r in results if isinstance(r, Exception)]
    assert isinstance(lost, ReferralRefused) and lost.reason == AttemptOutcome.CYCLE
    assert count_referrals(services) == 1


def test_a_coupon_redeemed_twice_at_once_is_redeemed_once(shop, services):
    amy, ben = shop("王小美"), shop("陳大文")
    amy.ask_code()
    joined(services, amy, ben)
    [welcome] = ben.rewards()

    def redeem(name: str) -> Callable[[], str]:
        def call() -> str:
            with services.db.session_scope() as session:
                return staff.redeem(session, code=welcome.code, staff=name, now=services.clock()).reward.redeemed_by
        return call
    with meet_before(services.db.engine, "UPDATE REWARDS SET REDEEMED_AT"):
        results = at_once(redeem("店長"), redeem("小芳"))
    [winner] = [r for r in results if isinstance(r, str)]
    [refusal] = [r for r in results if isinstance(r, RewardRefused)]
    assert refusal.reason == "already_redeemed" and refusal.reward.redeemed_by == winner
    assert ben.rewards()[0].redeemed_by == winner


def test_the_api_redeems_a_coupon_once_when_two_tills_send_it_together(shop, services, live_bot):
    amy, ben = shop("王小美"), shop("陳大文")
    amy.ask_code()
    joined(services, amy, ben)
    code = format_coupon(ben.rewards()[0].code)

    def post(name: str) -> Callable[[], int]:
        return lambda: requests.post(f"{live_bot.url}/api/rewards/redeem", json={"code": code, "staff": name},
                                     headers={"Authorization": "Bearer race-key"}, timeout=15).status_code
    assert sorted(at_once(post("一號櫃台"), post("二號櫃台"))) == [200, 409]


def test_two_friends_qualifying_at_once_cross_every_tier_exactly_once(live_bot, emulator, services, runner, tmp_path):
    text = DEFAULT_CAMPAIGN.read_text(encoding="utf-8").replace("  - referrals: 3\n", "  - referrals: 2\n")
    load_campaign(runner, write_campaign(tmp_path, text))
    amy, ben, cat = (Shopper(live_bot, emulator, services, name) for name in ("王小美", "陳大文", "張小華"))
    amy.ask_code()
    joined(services, amy, ben)
    joined(services, amy, cat)

    def purchase(friend: Shopper) -> Callable[[], str]:
        def call() -> str:
            with services.db.session_scope() as session:
                customer = customers.get_by_line_id(session, line_user_id=friend.user_id)
                return staff.record_purchase(session, customer=customer, now=services.clock(),
                                             source="race").qualification.status
        return call
    with meet_before(services.db.engine, "UPDATE REFERRALS SET STATUS"):
        assert at_once(purchase(ben), purchase(cat)) == ["qualified", "qualified"]
    tiers = sorted(r.tier for r in amy.rewards() if r.kind == RewardKind.TIER)
    assert tiers == [1, 2]
    assert sum(r.kind == RewardKind.REFERRER for r in amy.rewards()) == 2

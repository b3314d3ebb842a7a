"""KOUBEI_TIMEZONE: one time zone for every date and time people read or type, Taiwan's unless set.

Tokyo is an hour ahead of Taiwan and, like it, keeps no daylight saving time, so a time read or shown
in the wrong zone is off by exactly an hour.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import create_app
from handlers.escalation.options import CaseOptions
from handlers.options import OptionError, shop_zone
from handlers.referrals.campaigns import CampaignSpec, RewardSpec, read_campaign_file
from storage import referrals
from tests.conftest import make_settings
from tests.handlers import escalation_support as support
from tests.handlers.escalation_support import CAMPAIGN, COMPLAINT, all_cases, card_texts
from tests.handlers.referral_support import write_campaign

clerk, customer, staff_group, t = support.clerk, support.customer, support.staff_group, support.t

TAIWAN, TOKYO = ZoneInfo("Asia/Taipei"), ZoneInfo("Asia/Tokyo")


@pytest.fixture
def settings_overrides() -> dict:
    """A shop in Tokyo that answers from 09:00 to 18:00 there."""
    return {"extra": {"KOUBEI_TIMEZONE": "Asia/Tokyo", "KOUBEI_BUSINESS_HOURS": "09:00-18:00"}}


def test_taiwan_is_the_default():
    assert shop_zone({}) == TAIWAN and shop_zone({"KOUBEI_TIMEZONE": ""}) == TAIWAN


@pytest.mark.parametrize("raw", ["Taipei", "Asia/Taipie", "../etc/passwd", "UTC+8"])
def test_the_bot_does_not_start_with_an_unknown_time_zone(tmp_path, database_url, emulator_server, raw):
    settings = make_settings(tmp_path, database_url, emulator_server.url, extra={"KOUBEI_TIMEZONE": raw})
    message = f"KOUBEI_TIMEZONE must be a time zone like Asia/Taipei, got '{raw}'"
    with pytest.raises(OptionError, match=re.escape(message)):
        create_app(settings)


def test_business_hours_are_hours_in_the_shop_time_zone():
    opening = {"KOUBEI_BUSINESS_HOURS": "09:00-18:00"}
    early = datetime(2026, 12, 8, 8, 30, tzinfo=TOKYO)  # 07:30 in Taiwan
    assert CaseOptions.from_options({**opening, "KOUBEI_TIMEZONE": "Asia/Tokyo"}).claim_due(early) \
        == datetime(2026, 12, 8, 9, 30, tzinfo=TOKYO)
    assert CaseOptions.from_options(opening).claim_due(early) == datetime(2026, 12, 8, 9, 30, tzinfo=TAIWAN)


def test_a_complaint_before_opening_is_promised_and_shown_in_the_shop_time_zone(services, customer, staff_group,
                                                                                 clock, t):
    yesterday = datetime.now(TOKYO).date() - timedelta(days=1)  # before the emulator's real event timestamps
    clock.now = datetime.combine(yesterday, time(8, 30), TOKYO)
    [apology] = customer.say(COMPLAINT)
    [case] = all_cases(services)
    assert case.claim_due_at == datetime.combine(yesterday, time(9, 30), TOKYO)
    due = t("case.time.today", time="09:30")
    assert apology["text"] == t("complaint.acknowledgement", name="陳小姐", number=case.id, due=due)
    [card] = staff_group.inbox()
    assert t("case.card.opened", time=t("case.time.today", time="08:30")) in card_texts(card)
    assert t("case.card.claim_by", time=due) in card_texts(card)


def test_campaign_dates_are_days_in_the_shop_time_zone_and_stay_with_the_campaign():
    tokyo, taiwan = read_campaign_file(CAMPAIGN, TOKYO), read_campaign_file(CAMPAIGN, TAIWAN)
    assert tokyo.starts_at == datetime(2026, 1, 1, tzinfo=TOKYO) == taiwan.starts_at - timedelta(hours=1)
    stored = CampaignSpec.from_definition(tokyo.definition())
    assert stored == tokyo and stored.zone == TOKYO
    older = {key: value for key, value in taiwan.definition().items() if key != "timezone"}
    assert CampaignSpec.from_definition(older).zone == TAIWAN  # stored before the zone was recorded


def test_a_coupon_lasts_to_the_end_of_its_last_day_in_the_campaign_time_zone():
    week = RewardSpec(title="咖啡一杯", valid_days=7)
    issued = datetime(2026, 3, 1, 23, 30, tzinfo=TOKYO)  # 22:30 on the same day in Taiwan
    assert week.expires_at(issued, TOKYO) == datetime(2026, 3, 9, tzinfo=TOKYO)
    assert week.expires_at(issued, TAIWAN) == datetime(2026, 3, 9, tzinfo=TAIWAN)
    fixed = RewardSpec(title="咖啡一杯", expires="2026-03-31")
    assert fixed.expires_at(issued, TOKYO) == datetime(2026, 4, 1, tzinfo=TOKYO)


def test_loading_a_campaign_reads_and_prints_its_days_in_the_shop_time_zone(runner, services, tmp_path):
    text = CAMPAIGN.read_text(encoding="utf-8").replace("# ends: 2026-12-31", "ends: 2026-12-31")
    result = runner.invoke(args=["referrals", "campaign", "load", str(write_campaign(tmp_path, text))])
    assert result.exit_code == 0, result.output
    assert "from 2026/01/01, through 2026/12/31;" in result.output  # the last day, not the day after
    with services.db.session_scope() as session:
        [campaign] = referrals.list_campaigns(session)
        starts, ends = campaign.starts_at, campaign.ends_at
    assert (starts.astimezone(UTC), ends.astimezone(UTC)) == (
        datetime.combine(date(2026, 1, 1), time.min, TOKYO).astimezone(UTC),
        datetime.combine(date(2027, 1, 1), time.min, TOKYO).astimezone(UTC))

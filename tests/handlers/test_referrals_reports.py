"""The owner's report and CSV export after a seeded run through the live bot."""

from __future__ import annotations

import csv
import json

import pytest

from handlers.referrals.codes import format_coupon
from handlers.referrals.reports import EXPORT_COLUMNS
from tests.handlers.referral_support import Shopper, joined, load_campaign, qualify


@pytest.fixture
def seeded(live_bot, emulator, services, runner):
    """王小美 brings two friends (one buys), 林志明 one; 陳大文 tries his own code; a stranger guesses."""
    load_campaign(runner)
    shop = {name: Shopper(live_bot, emulator, services, name) for name in
            ("王小美", "陳大文", "張小華", "林志明", "李阿姨", "路人甲")}
    for name in ("王小美", "林志明"):
        shop[name].ask_code()
    joined(services, shop["王小美"], shop["陳大文"])
    joined(services, shop["王小美"], shop["張小華"])
    joined(services, shop["林志明"], shop["李阿姨"])
    assert qualify(runner, shop["陳大文"].user_id).exit_code == 0
    shop["陳大文"].ask_code()
    shop["陳大文"].say(shop["陳大文"].code)
    shop["路人甲"].follow()
    shop["路人甲"].say("推薦碼 ZZ9ZZ9")
    welcome = shop["張小華"].rewards()[0]
    assert runner.invoke(args=["rewards", "redeem", welcome.code, "--by", "店長"]).exit_code == 0
    return shop


def test_report_counts_every_step_of_the_funnel(seeded, runner):
    result = runner.invoke(args=["referrals", "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["codes_issued"], report["codes_used"], report["redemptions"]) == (3, 2, 3)
    # 張小華's welcome coupon was redeemed at the till: that qualifies her too
    assert report["qualified"] == 2
    assert report["rewards"]["by_kind"] == {"welcome": {"issued": 3, "redeemed": 1},
                                            "referrer": {"issued": 2, "redeemed": 0},
                                            "tier": {"issued": 1, "redeemed": 0}}
    assert report["conversion"] == {"codes_used_per_code_issued": 0.6667, "qualified_per_redemption": 0.6667,
                                    "rewards_redeemed_per_issued": 0.1667}
    assert [(row["name"], row["referrals"], row["qualified"]) for row in report["leaderboard"]] == [
        ("王小美", 2, 2), ("林志明", 1, 0)]
    assert report["refusals"] == {"invalid": 1, "own_code": 1}
    assert report["active_campaign"]["slug"] == "friends-2026"


def test_text_report_reads_as_a_page(seeded, runner):
    result = runner.invoke(args=["referrals", "report"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "Active campaign: friends-2026 (2026 好友推薦・一起來喝咖啡)" in lines
    assert any(line.split() == ["codes", "used", "2", "66.7%", "of", "codes", "issued"] for line in lines)
    assert any("1. 王小美" in line and "2 joined, 2 qualified" in line for line in lines)
    assert any(line.split() == ["own_code", "1"] for line in lines)


def test_export_writes_one_row_per_referral_for_excel(seeded, runner, tmp_path):
    out = tmp_path / "referrals.csv"
    result = runner.invoke(args=["referrals", "export", str(out)])
    assert result.exit_code == 0 and "wrote 3 referral(s)" in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r["referrer_name"], r["referee_name"], r["status"]) for r in rows] == [
        ("王小美", "陳大文", "qualified"), ("王小美", "張小華", "qualified"), ("林志明", "李阿姨", "joined")]
    welcome = seeded["張小華"].rewards()[0]
    assert rows[1]["welcome_coupon"] == format_coupon(welcome.code) and rows[1]["welcome_redeemed_at"]


def test_a_name_that_reads_as_a_formula_is_exported_as_text(live_bot, emulator, services, runner, tmp_path):
    load_campaign(runner)
    formula = '=HYPERLINK("http://evil.example","點我")'  # a LINE display name the customer chose
    amy, ben = Shopper(live_bot, emulator, services, formula), Shopper(live_bot, emulator, services, "-陳大文")
    amy.ask_code()
    joined(services, amy, ben)
    out = tmp_path / "referrals.csv"
    assert runner.invoke(args=["referrals", "export", str(out)]).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["referrer_name"], row["referee_name"]) == ("'" + formula, "'-陳大文")

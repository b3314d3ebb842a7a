"""Every administrative command group is reachable under ``flask --app wsgi``."""

from __future__ import annotations

import pytest

GROUPS = ["db", "queue", "surveys", "referrals", "rewards", "staff", "cases", "broadcast", "customers", "sentiment"]


@pytest.mark.parametrize("group", GROUPS)
def test_command_group_is_registered(runner, group):
    result = runner.invoke(args=[group, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_sentiment_eval_runs_through_the_app(runner, tmp_path):
    sample = tmp_path / "sample.csv"
    sample.write_text("text,label\n餐點送錯了還冷掉，請退款,0\n請問營業時間是幾點？,1\n", encoding="utf-8")
    result = runner.invoke(args=["sentiment", "eval", str(sample), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"accuracy"' in result.output and '"f1"' in result.output

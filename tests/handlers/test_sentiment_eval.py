"""Evaluation metrics computed by hand on tiny fixtures, CSV loading, and the ``flask sentiment eval`` command."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from bot.commands.sentiment import sentiment_cli
from handlers.sentiment_eval import (
    Example,
    Prediction,
    best_threshold,
    cross_validated,
    evaluate,
    load_csv,
    roc_auc,
)

# label 0 = complaint. Scores are complaint probabilities; threshold 0.5.
SIX_ROWS = [
    Prediction(0, 0.9, True),  # tp
    Prediction(0, 0.7, True),  # tp
    Prediction(0, 0.4, False),  # fn
    Prediction(1, 0.6, True),  # fp
    Prediction(1, 0.2, False),  # tn
    Prediction(1, 0.1, False),  # tn
]


def test_metrics_by_hand() -> None:
    m = evaluate(SIX_ROWS)
    assert (m.tp, m.fp, m.fn, m.tn) == (2, 1, 1, 2)
    assert m.n == 6 and m.complaints == 3
    assert m.accuracy == pytest.approx(4 / 6)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.false_positive_rate == pytest.approx(1 / 3)
    # complaint/non-complaint pairs ranked correctly: 0.9 beats all 3, 0.7 beats all 3, 0.4 beats 2 -> 8/9
    assert m.auc == pytest.approx(8 / 9)


def test_auc_counts_ties_as_half() -> None:
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([0, 0, 1, 1], [0.8, 0.3, 0.3, 0.1]) == pytest.approx((2 + 1.5) / 4)


def test_degenerate_inputs() -> None:
    m = evaluate([Prediction(1, 0.1, False)])
    assert m.precision == 0.0 and m.recall == 0.0 and m.false_positive_rate == 0.0
    assert m.auc != m.auc  # NaN: AUC is undefined with one class


def test_to_dict_has_the_documented_keys() -> None:
    data = evaluate(SIX_ROWS).to_dict()
    assert {"accuracy", "precision", "recall", "f1", "auc"} <= set(data)
    assert data["precision"] == round(2 / 3, 4)


def test_load_csv(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text('\ufefftext,label\n"好吃, 推",1\n等很久,0\n ,1\n', encoding="utf-8")
    assert load_csv(path) == [Example("好吃, 推", 1), Example("等很久", 0)]


@pytest.mark.parametrize(
    "content, message",
    [("text,score\n好,1\n", "expected columns"), ("text,label\n好,2\n", "label must be 0 or 1")],
)
def test_load_csv_rejects_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_csv(path)


def test_best_threshold_maximises_f1() -> None:
    labels = [0, 0, 1, 1]
    scores = [0.9, 0.6, 0.4, 0.1]
    threshold = best_threshold(labels, scores)
    assert 0.4 < threshold <= 0.6


def test_cross_validation_reports_held_out_folds() -> None:
    examples = [Example(f"c{i}", 0) for i in range(10)] + [Example(f"p{i}", 1) for i in range(10)]
    metrics, thresholds = cross_validated(
        examples, lambda texts: [0.8 if t.startswith("c") else 0.2 for t in texts], folds=5
    )
    assert len(thresholds) == 5
    assert metrics.n == 20 and metrics.accuracy == 1.0


@pytest.fixture()
def runner() -> FlaskCliRunner:
    app = Flask(__name__)
    app.cli.add_command(sentiment_cli)
    return app.test_cli_runner()


@pytest.fixture()
def small_csv(tmp_path: Path) -> Path:
    path = tmp_path / "chat.csv"
    path.write_text(
        "text,label\n請問你們幾點開門？,1\n謝謝老闆,1\n我要退款，便當裡面有頭髮，很噁心,0\n外送等了一個多小時還沒送到,0\n",
        encoding="utf-8",
    )
    return path


def test_eval_command_json(runner: FlaskCliRunner, small_csv: Path) -> None:
    result = runner.invoke(args=["sentiment", "eval", str(small_csv), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"accuracy", "precision", "recall", "f1", "auc"} <= set(data)
    assert data["n"] == 4 and data["complaints"] == 2
    assert data["recall"] == 1.0 and data["false_positive_rate"] == 0.0


def test_eval_command_text_and_baseline(runner: FlaskCliRunner, small_csv: Path) -> None:
    result = runner.invoke(args=["sentiment", "eval", str(small_csv), "--scorer", "snownlp", "--threshold", "0.5"])
    assert result.exit_code == 0, result.output
    assert "scorer: snownlp" in result.output
    assert "complaint F1:" in result.output and "ROC AUC:" in result.output


def test_eval_command_missing_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["sentiment", "eval", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0


def test_eval_command_json_has_null_auc_for_one_class(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "praise.csv"
    path.write_text("text,label\n請問你們幾點開門？,1\n謝謝老闆,1\n", encoding="utf-8")
    result = runner.invoke(args=["sentiment", "eval", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output, parse_constant=lambda name: pytest.fail(f"invalid JSON constant {name}"))
    assert data["auc"] is None and data["n"] == 2
    text = runner.invoke(args=["sentiment", "eval", str(path)])
    assert "ROC AUC: n/a" in text.output


def test_load_csv_reads_big5_and_excel_headers(tmp_path: Path) -> None:
    big5 = tmp_path / "excel_big5.csv"
    big5.write_bytes("text,label\r\n等很久,0\r\n謝謝老闆,1\r\n".encode("cp950"))
    assert load_csv(big5) == [Example("等很久", 0), Example("謝謝老闆", 1)]
    headers = tmp_path / "headers.csv"
    headers.write_text("Label, Text \n0,等很久\n", encoding="utf-8")
    assert load_csv(headers) == [Example("等很久", 0)]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        ("等很久,0\n".encode(), "expected columns text,label"),
        ("text,label\n好,positive\n".encode(), "label must be 0 or 1"),
        (b"text,label\n\xff\xfe\x80\x81,1\n", "not UTF-8 or Big5"),
    ],
)
def test_eval_command_reports_bad_files_in_one_line(
    runner: FlaskCliRunner, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["sentiment", "eval", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert message in result.output and result.output.startswith("Error:")


@pytest.mark.parametrize(
    "options, message",
    [
        (["--folds", "1"], "--folds"),
        (["--folds", "-3"], "--folds"),
        (["--folds", "5"], "more folds than the 4 messages"),
        (["--threshold", "1.5"], "--threshold"),
        (["--threshold", "nan"], "--threshold"),
        (["--folds", "2", "--threshold", "0.5"], "--threshold and --folds exclude each other"),
    ],
)
def test_eval_command_rejects_unusable_options(
    runner: FlaskCliRunner, small_csv: Path, options: list[str], message: str
) -> None:
    result = runner.invoke(args=["sentiment", "eval", str(small_csv), "--format", "json", *options])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    assert message in result.output


def test_eval_command_rejects_a_file_without_messages(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "header_only.csv"
    path.write_text("text,label\n,1\n", encoding="utf-8")
    result = runner.invoke(args=["sentiment", "eval", str(path), "--format", "json"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "no messages" in result.output


def test_eval_command_uses_the_bots_koubei_complaint_settings(small_csv: Path) -> None:
    # the real app keeps KOUBEI_* settings in KOUBEI_SETTINGS.extra, not in app.config
    app = Flask(__name__)
    app.cli.add_command(sentiment_cli)
    app.config["KOUBEI_SETTINGS"] = SimpleNamespace(extra={"KOUBEI_COMPLAINT_THRESHOLD": "0.999999"})
    result = app.test_cli_runner().invoke(args=["sentiment", "eval", str(small_csv), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["threshold"] == 0.999999

    app.config["KOUBEI_SETTINGS"] = SimpleNamespace(extra={"KOUBEI_COMPLAINT_THRESHOLD": "abc"})
    result = app.test_cli_runner().invoke(args=["sentiment", "eval", str(small_csv)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "COMPLAINT_THRESHOLD must be a number" in result.output


def test_build_model_reports_an_unwritable_instance_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers import complaint_model

    monkeypatch.setattr(complaint_model, "_model", complaint_model._model)  # restored after the test
    monkeypatch.setattr(complaint_model, "_cache_dir", complaint_model._cache_dir)
    monkeypatch.setattr(complaint_model, "build", lambda model_fingerprint: object())  # skip the slow fit
    instance = tmp_path / "instance"
    instance.write_text("a file where the instance folder should be", encoding="utf-8")
    app = Flask(__name__, instance_path=str(instance))
    app.cli.add_command(sentiment_cli)
    result = app.test_cli_runner().invoke(args=["sentiment", "build-model"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("Error:") and str(instance) in result.output

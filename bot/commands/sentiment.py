"""``flask sentiment ...``: evaluate complaint detection, rebuild its model, refit its weights."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from handlers.sentiment_eval import cross_validated, evaluate, load_csv, predict

if TYPE_CHECKING:
    from handlers.complaint_detection import ComplaintThresholds

sentiment_cli = AppGroup("sentiment", help="Sentiment scoring and complaint detection.")

SCORERS = ("detector", "snownlp", "model")


def _probabilities(scorer: str) -> Callable[[list[str]], list[float]]:
    """Return a batch function giving complaint probabilities for the chosen scorer."""
    from handlers import complaint_detection, complaint_model, sentiment

    if scorer == "snownlp":
        return lambda texts: [1.0 - sentiment.score(t) for t in texts]
    if scorer == "model":
        model = complaint_model.get_model()
        return lambda texts: [
            1.0 / (1.0 + math.exp(-z)) for z in model.complaint_logits([complaint_model.prepare(t) for t in texts])
        ]
    thresholds = _thresholds()
    return lambda texts: complaint_detection.complaint_probability_batch(texts, thresholds)


def _thresholds() -> ComplaintThresholds:
    """The bot's own thresholds (its ``KOUBEI_COMPLAINT_*`` settings, read as complaint detection reads
    them); in another app that registers this CLI, its ``COMPLAINT_*`` config keys."""
    from handlers.complaint_detection import ComplaintThresholds
    from handlers.escalation.options import complaint_thresholds

    settings = current_app.config.get("KOUBEI_SETTINGS")
    try:
        if settings is not None:
            return complaint_thresholds(settings.extra)
        return ComplaintThresholds.from_mapping(current_app.config)
    except ValueError as error:
        raise click.ClickException(f"complaint settings: {error}") from error


def _check_threshold(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:  # also rejects nan
        raise click.BadParameter(f"must be a probability between 0 and 1, got {value}")
    return value


def _check_folds(_ctx: click.Context, _param: click.Parameter, value: int) -> int:
    if value == 1 or value < 0:
        raise click.BadParameter(f"must be 0 (fixed threshold) or at least 2, got {value}")
    return value


@sentiment_cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--threshold",
    type=float,
    default=None,
    callback=_check_threshold,
    help="Complaint probability threshold (default: config).",
)
@click.option(
    "--scorer",
    type=click.Choice(SCORERS),
    default="detector",
    show_default=True,
    help="detector = full complaint detection; snownlp = 1 - snownlp score; model = n-gram model alone.",
)
@click.option(
    "--folds",
    type=int,
    default=0,
    callback=_check_folds,
    help="Tune the threshold on k-1 folds and report held-out folds (0 = fixed threshold).",
)
def eval_command(file: str, output_format: str, threshold: float | None, scorer: str, folds: int) -> None:
    """Evaluate on a text,label CSV (1 = not a complaint, 0 = complaint)."""
    try:
        examples = load_csv(file)
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    if not examples:
        raise click.ClickException(f"{file}: no messages to evaluate (every row has an empty text)")
    if folds > len(examples):
        raise click.ClickException(f"--folds {folds}: more folds than the {len(examples)} messages in {file}")
    if folds > 1 and threshold is not None:
        raise click.UsageError("--threshold and --folds exclude each other: with --folds the threshold is tuned "
                               "on the other folds")
    probabilities = _probabilities(scorer)
    extra: dict[str, object] = {"file": file, "scorer": scorer}
    if folds > 1:
        metrics, fold_thresholds = cross_validated(examples, probabilities, folds=folds)
        extra["protocol"] = f"{folds}-fold: threshold tuned on k-1 folds, metrics pooled over held-out folds"
        extra["fold_thresholds"] = [round(t, 4) for t in fold_thresholds]
    else:
        if threshold is None:
            threshold = _thresholds().complaint_threshold if scorer == "detector" else 0.5
        metrics = evaluate(predict(examples, probabilities, threshold))
        extra["threshold"] = threshold
    if output_format == "json":
        click.echo(json.dumps({**metrics.to_dict(), **extra}, ensure_ascii=False, allow_nan=False))
    else:
        for key, value in extra.items():
            click.echo(f"{key}: {value}")
        click.echo(metrics.to_text())


@sentiment_cli.command("build-model")
def build_model_command() -> None:
    """Rebuild the complaint model and cache it in the instance folder."""
    from handlers import complaint_model

    complaint_model.reset()
    complaint_model.configure(current_app.instance_path)
    try:
        model = complaint_model.get_model()
    except OSError as error:
        reason = error.strerror or str(error)
        raise click.ClickException(f"cannot cache the model in {current_app.instance_path}: {reason}") from error
    click.echo(f"complaint model {model.fingerprint} cached in {current_app.instance_path}")


@sentiment_cli.command("tune")
def tune_command() -> None:
    """Refit the detector's signal weights from shipped data and print them as config keys."""
    from handlers.complaint_tuning import tune

    fitted = tune(_thresholds())
    for name, value in asdict(fitted).items():
        click.echo(f"COMPLAINT_{name.upper()}={value}")

"""`flask sentiment tune` on synthetic rows: the review path stays put, the threshold follows the 5 % rule."""

from __future__ import annotations

from handlers.complaint_detection import ComplaintThresholds
from handlers.complaint_tuning import TuningRow, choose_threshold, fit_weights, threshold_figures


def _row(text: str, label: int, chat_logit: float = 0.0, source: str = "shared") -> TuningRow:
    return TuningRow(
        text=text,
        label=label,
        weight=10.0,
        logits=(0.0, chat_logit),
        positive_sentiment=0.5,
        fold=0,
        source=source,
    )


def test_fit_weights_refits_chat_terms_and_holds_the_review_path() -> None:
    rows = [_row(f"訂單{i}號", 0, chat_logit=3.0) for i in range(20)]
    rows += [_row(f"訂單{i}號", 1, chat_logit=-3.0) for i in range(20, 40)]
    base = ComplaintThresholds()
    fitted = fit_weights(rows, base)
    assert fitted.chat_head_weight > 0
    for name in ("bias", "model_weight", "snownlp_weight", "chat_length", "complaint_threshold"):
        assert getattr(fitted, name) == getattr(base, name)


def test_threshold_is_the_lowest_with_under_five_percent_false_positives() -> None:
    rows = [_row(f"c{i}", 0) for i in range(10)] + [_row(f"p{i}", 1) for i in range(20)]
    rows.append(_row("corpus", 1, source="corpus"))
    probabilities = [0.9] * 10 + [0.7] + [0.1] * 19 + [0.95]
    threshold = choose_threshold(rows, probabilities)
    assert threshold == 0.71
    figures = threshold_figures(rows, probabilities, threshold)
    assert figures.recall["all"] == 1.0 and figures.false_positive_rate["all"] == 0.0
    assert threshold_figures(rows, probabilities, 0.7).false_positive_rate["shared"] == 1 / 20

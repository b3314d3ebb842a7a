"""Complaint detection: questions and pleasantries never page staff, real complaints do, data sets stay apart."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handlers import complaint_model, complaint_tuning
from handlers.complaint_detection import (
    FITTED_WEIGHTS,
    ComplaintThresholds,
    classify,
    classify_batch,
    complaint_probability_batch,
    warm_up,
)
from handlers.complaint_lexicon import analyze, is_sticker
from handlers.events import InboundEvent
from handlers.sentiment_eval import evaluate, load_csv, predict

ROOT = Path(__file__).resolve().parents[2]
CHAT_SET = ROOT / "tests" / "data" / "chat_messages.csv"
TRAINING_SET = ROOT / "handlers" / "data" / "complaint_training.csv"


@pytest.fixture(scope="module", autouse=True)
def warm() -> None:
    """Load snownlp and build the n-gram model once for this module."""
    warm_up()


@pytest.mark.parametrize(
    "text",
    [
        "請問營業時間是幾點?",
        "這家店的服務很好，下次還會再來",
        "颱風天路上小心",
        "不好意思想改預約時間",
        "你好",
        "謝謝老闆！",
        "我要兩個排骨便當，謝謝",
        "外送大概多久會到呢？",
    ],
)
def test_not_complaints(text: str) -> None:
    verdict = classify(text)
    assert verdict.is_complaint is False, verdict


@pytest.mark.parametrize(
    "text",
    [
        "等了一個小時還沒送到，我要退款",
        "便當送錯了，而且整個冷掉",
        "店員態度很差，超級難吃，不會再來了",
        "訊息都不回是怎樣？？",
        "謝謝喔，又送錯了😡",
    ],
)
def test_obvious_complaints(text: str) -> None:
    verdict = classify(text)
    assert verdict.is_complaint is True, verdict
    assert verdict.complaint_probability >= ComplaintThresholds().complaint_threshold


@pytest.mark.parametrize("text", ["", "   ", "[貼圖]", "[sticker]", "(貼圖)", "😡😡", "👍", "!!!",
                                  "1", "0912-345-678", "１２３", "1/5"])
def test_stickers_and_empty_messages_are_never_complaints(text: str) -> None:
    verdict = classify(text)
    assert verdict.is_complaint is False
    assert verdict.complaint_probability == 0.0
    assert verdict.sentiment == 0.5
    assert verdict.reasons in (("empty",), ("sticker",))


def test_reasons_explain_the_verdict() -> None:
    assert "question" in classify("請問營業時間是幾點?").reasons
    assert "greeting" in classify("哈囉").reasons
    reasons = classify("我要退款").reasons
    assert "lexicon:退款" in reasons
    assert any(r.startswith("model:") for r in reasons) and any(r.startswith("snownlp:") for r in reasons)


def test_negation_and_hypotheticals_cancel_lexicon_terms() -> None:
    assert analyze("很難吃").hits == ("難吃",)
    assert analyze("一點都不難吃").hits == () and analyze("一點都不難吃").negated == ("難吃",)
    assert analyze("沒有很慢").hits == ()
    assert analyze("餐點會不會冷掉？").hits == ()
    assert classify("一點都不難吃，還想再來").is_complaint is False


def test_intensity_raises_the_lexicon_score() -> None:
    assert analyze("超爛").lexicon_score > 0
    assert analyze("真的很難吃").lexicon_score > analyze("難吃").lexicon_score


def test_simplified_input_is_understood() -> None:
    assert analyze("等了很久还没送到").hits
    assert classify("请问营业时间是几点?").is_complaint is False


def test_latin_cues_need_word_boundaries() -> None:
    assert analyze("hi 老闆").greeting
    assert not analyze("this is it").greeting


def test_sticker_detection() -> None:
    assert is_sticker("") and is_sticker("[貼圖]") and is_sticker("🙏🙏")
    assert not is_sticker("好") and not is_sticker("ok")
    assert is_sticker("1") and is_sticker("１２３４５") and is_sticker("0/10")
    assert not is_sticker("A1234") and not is_sticker("(退款)") and not is_sticker("(love)") and not is_sticker("-_-")


def test_words_are_the_text_without_the_places_line_names_as_emoji() -> None:
    def words(text: str, *places: tuple[int, int]) -> str | None:
        emojis = [{"index": i, "length": n, "productId": "p", "emojiId": "001"} for i, n in places]
        raw = {"message": {"type": "text", "text": text, "emojis": emojis}}
        return InboundEvent(id=1, type="message", timestamp=datetime.now(UTC), text=text, raw=raw).words

    assert words("Hello, world! (love)(love)", (14, 6), (20, 6)) == "Hello, world! "
    assert words("🙏(love)好慢", (1, 6)) == words("🙏(love)好慢", (2, 6)) == "🙏好慢"  # code points or UTF-16 units
    assert words("(still waiting)", (3, 6)) == "(still waiting)"  # places that fit no placeholder: kept whole
    assert words("(love)") == "(love)"  # no emojis listed: the customer's own brackets


def test_a_latin_complaint_in_brackets_is_read() -> None:
    """Only the places LINE names in message.emojis are emoji; a customer's own brackets are words."""
    assert classify("(still waiting)").is_complaint and classify("(no refund)!!").is_complaint


@pytest.mark.parametrize(
    "text",
    [
        "１２３４５",
        "https://example.com/order?id=123",
        "The food was cold and the delivery took two hours.",
        "外送 late 了 1 hour，very bad",
        "\n\n退款\n\n",
        "等了一個小時\ud83d還沒送到",  # a lone surrogate, which json.loads lets through from a webhook body
        "\udcff",
    ],
)
def test_unusual_input_gives_a_sane_verdict(text: str) -> None:
    verdict = classify(text)
    assert 0.0 <= verdict.complaint_probability <= 1.0 and 0.0 <= verdict.sentiment <= 1.0


def test_invisible_characters_are_ignored() -> None:
    """Zero-width and direction marks pasted into a message must not hide a complaint term."""
    plain = classify("我要退款")
    for hidden in ("我要退\u200b款", "\ufeff我要退\u2060款\u200d", "\u202e我要退款"):
        verdict = classify(hidden)
        assert verdict.reasons == plain.reasons
        assert verdict.complaint_probability == pytest.approx(plain.complaint_probability)
    assert classify("\u200b\u200c\u200d").reasons == ("empty",)


def test_thresholds_change_the_decision() -> None:
    text = "等了一個小時還沒送到"
    assert classify(text).is_complaint is True
    assert classify(text, ComplaintThresholds(bias=-30.0)).is_complaint is False
    probability = classify(text).complaint_probability
    assert classify(text, ComplaintThresholds(complaint_threshold=probability)).is_complaint is True
    lenient = ComplaintThresholds(complaint_threshold=0.01, question_discount=0.0)
    assert classify("請問營業時間是幾點?", lenient).is_complaint is True


def test_batch_matches_single_calls() -> None:
    texts = ["你好", "", "送錯了啦", "請問有停車位嗎"]
    assert classify_batch(texts) == [classify(t) for t in texts]
    assert complaint_probability_batch(texts) == [classify(t).complaint_probability for t in texts]


def test_thresholds_from_mapping() -> None:
    config = {"COMPLAINT_THRESHOLD": "0.7", "complaint_lexicon_weight": 2, "SECRET_KEY": "x", "COMPLAINT_BIAS": ""}
    thresholds = ComplaintThresholds.from_mapping(config)
    assert thresholds.complaint_threshold == 0.7
    assert thresholds.lexicon_weight == 2.0
    assert thresholds.bias == ComplaintThresholds().bias
    with pytest.raises(ValueError, match="must be a number"):
        ComplaintThresholds.from_mapping({"COMPLAINT_THRESHOLD": "high"})
    with pytest.raises(ValueError, match="between 0 and 1"):
        ComplaintThresholds.from_mapping({"COMPLAINT_THRESHOLD": "1.5"})


def test_model_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = complaint_model.get_model()
    assert model.fingerprint == complaint_model.fingerprint()
    complaint_model.save(model, tmp_path / f"complaint_model-{model.fingerprint}.pkl")
    (tmp_path / "complaint_model-stale.pkl").write_bytes(b"old")

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached model should have been loaded")

    monkeypatch.setattr(complaint_model, "build", no_build)
    loaded = complaint_model.load_or_build(tmp_path)
    assert loaded.fingerprint == model.fingerprint
    assert loaded.complaint_logits(["好吃"]) == model.complaint_logits(["好吃"])


def test_shipped_weights_are_what_tune_fits() -> None:
    """The defaults must be reproducible from shipped data (`flask sentiment tune`); they once drifted."""
    fitted = complaint_tuning.tune()
    shipped = ComplaintThresholds()
    for name in FITTED_WEIGHTS + ("bias",):
        assert getattr(fitted, name) == pytest.approx(getattr(shipped, name), abs=0.03), name


def test_chat_set_regression_guard() -> None:
    """Not the headline figure (see docs/sentiment.md); a guard against silent regressions."""
    examples = load_csv(CHAT_SET)
    metrics = evaluate(predict(examples, complaint_probability_batch, ComplaintThresholds().complaint_threshold))
    assert metrics.recall >= 0.88
    assert metrics.false_positive_rate <= 0.07


def _rows(path: Path) -> list[tuple[str, int]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(handle)]


def _bigrams(text: str) -> set[str]:
    key = re.sub(r"[\W_]+", "", text.lower())
    return {key[i : i + 2] for i in range(len(key) - 1)} or {key}


def test_chat_set_is_large_and_balanced_enough() -> None:
    rows = _rows(CHAT_SET)
    assert len(rows) >= 300
    assert len({t for t, _ in rows}) == len(rows)
    complaints = sum(1 for _, label in rows if label == 0)
    assert 0.3 <= complaints / len(rows) <= 0.6


def test_evaluation_set_does_not_overlap_training_examples() -> None:
    """The chat set measures the model only if the model never trained on it or on near-copies."""
    training = [(t, _bigrams(t)) for t, _ in _rows(TRAINING_SET) if re.sub(r"[\W_]+", "", t)]
    for text, _ in _rows(CHAT_SET):
        if not re.sub(r"[\W_]+", "", text):
            continue
        grams = _bigrams(text)
        for other, other_grams in training:
            similarity = len(grams & other_grams) / len(grams | other_grams)
            assert similarity < 0.4, f"near-duplicate: {text!r} ~ {other!r}"

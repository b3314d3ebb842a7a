"""Benchmark of the sentiment scorer and complaint detection: load costs, memory and per-message latency.

Run from the repository root: ``.venv/bin/python bench/sentiment.py`` (``--json`` for machine output).
Everything runs in this one process, in the order the worker pays for it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHAT_SET = ROOT / "tests" / "data" / "chat_messages.csv"


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(action: Callable[[], object]) -> float:
    """Wall-clock seconds one call takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def latencies_ms(function: Callable[[str], object], texts: list[str], passes: int) -> list[float]:
    """Per-message latency of ``function`` in milliseconds, over several passes."""
    samples: list[float] = []
    for _ in range(passes):
        for text in texts:
            start = time.perf_counter()
            function(text)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    """Median, 99th percentile and mean of latency samples."""
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def run(passes: int) -> dict[str, object]:
    """Measure each cost once, in the order the worker pays them."""
    results: dict[str, object] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    results["rss_start_mb"] = round(rss_mb(), 1)

    from handlers import sentiment
    from handlers.sentiment_eval import load_csv

    results["opencc_load_s"] = round(timed(lambda: sentiment.to_simplified("測試")), 3)
    before = rss_mb()
    results["snownlp_import_s"] = round(timed(sentiment._get_classify), 3)
    results["snownlp_rss_mb"] = round(rss_mb() - before, 1)

    from handlers import complaint_model
    from handlers.complaint_detection import classify

    before = rss_mb()
    model = None

    def build() -> None:
        nonlocal model
        model = complaint_model.build(model_fingerprint=complaint_model.fingerprint())

    results["model_build_s"] = round(timed(build), 3)
    results["model_rss_mb"] = round(rss_mb() - before, 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"complaint_model-{model.fingerprint}.pkl"
        results["model_cache_save_s"] = round(timed(lambda: complaint_model.save(model, path)), 3)
        results["model_cache_mb"] = round(path.stat().st_size / 2**20, 1)
        results["model_cache_load_s"] = round(timed(lambda: complaint_model.load_or_build(folder)), 3)
    complaint_model._model = model

    texts = [e.text for e in load_csv(CHAT_SET)]
    classify(texts[0])
    results["messages"] = len(texts)
    results["passes"] = passes
    results["score"] = summary(latencies_ms(sentiment.score, texts, passes))
    results["classify"] = summary(latencies_ms(classify, texts, passes))
    results["rss_end_mb"] = round(rss_mb(), 1)
    return results


def as_text(results: dict[str, object]) -> str:
    """A Markdown table ready to paste into the docs."""
    score = results["score"]
    verdict = results["classify"]
    assert isinstance(score, dict) and isinstance(verdict, dict)
    rows = [
        (
            "machine",
            f"{results['machine']}, {results['cpus']} CPUs, Python {results['python']}, "
            f"load average {results['load_average_1min']} at start",
        ),
        ("OpenCC t2s load", f"{results['opencc_load_s']} s"),
        ("snownlp import", f"{results['snownlp_import_s']} s, +{results['snownlp_rss_mb']} MB RSS"),
        ("n-gram model build", f"{results['model_build_s']} s, +{results['model_rss_mb']} MB RSS"),
        (
            "model cache",
            f"{results['model_cache_mb']} MB, save {results['model_cache_save_s']} s, "
            f"load {results['model_cache_load_s']} s",
        ),
        (
            f"score() over {results['messages']} chat messages x {results['passes']}",
            f"median {score['median_ms']} ms, p99 {score['p99_ms']} ms",
        ),
        ("classify() same messages", f"median {verdict['median_ms']} ms, p99 {verdict['p99_ms']} ms"),
        ("process RSS at end", f"{results['rss_end_mb']} MB"),
    ]
    lines = ["| measure | value |", "| --- | --- |"]
    lines.extend(f"| {name} | {value} |" for name, value in rows)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passes", type=int, default=5, help="passes over the chat set for latency")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = parser.parse_args()
    results = run(args.passes)
    print(json.dumps(results, ensure_ascii=False, indent=2) if args.json else as_text(results))


if __name__ == "__main__":
    main()

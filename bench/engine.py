"""The rules engine alone, in one process: signals per second through the same
code the alerts worker runs (windows, lifecycle), with dict-backed state — the
worker's ceiling before Kafka and Faust.

``python -m bench.engine [--items 20000]`` prints one row per case:
many groups (items spread over 10,000 countries-like groups, below threshold),
one hot group (every item in one group with an open alert), and a spike rule.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.engine import Engine
from alerts.rules import load_rules
from alerts.rules.base import match_all
from alerts.state import MappingStore
from tocsin.schema import CategoryHit, EnrichedItem, ItemSignal, SourceRef

T0 = datetime(2026, 3, 1, tzinfo=UTC)

RULES = {
    "frequency, 10,000 groups": ("""
rules:
  - {name: r, type: frequency, filter: {categories: [violence_report]}, group_by: [source.name],
     window: 1h, step: 5m, threshold: 1000000}
""", 10_000),
    "frequency, one hot group with an open alert": ("""
rules:
  - {name: r, type: frequency, filter: {categories: [violence_report]}, group_by: [country],
     window: 1h, step: 5m, threshold: 3}
""", 1),
    "spike, 100 groups (24 baseline windows)": ("""
rules:
  - {name: r, type: spike, filter: {categories: [violence_report]}, group_by: [source.name],
     window: 1h, baseline_windows: 24, ratio: 3, min_count: 1000000}
""", 100),
}


def item(i: int, groups: int, spacing_s: float) -> EnrichedItem:
    when = T0 + timedelta(seconds=i * spacing_s)
    return EnrichedItem(
        id=f"i-{i}", source=SourceRef(type="rss", name=f"source-{i % groups}"), title=f"title {i}",
        published=when, collected=when, raw_sha256="0" * 64, content_sha256=f"{i:064x}", lang="en",
        lang_confidence=0.9, country="SD", processed=when,
        categories={"violence_report": CategoryHit(score=0.9, classifier="bench")})


def run_case(text: str, groups: int, count: int) -> tuple[float, int]:
    path = Path(tempfile.mkdtemp()) / "rules.yaml"
    path.write_text(text)
    engine = Engine(load_rules(path), MappingStore(), MappingStore())
    # Spread over 6 hours of event time, so windows hop and old buckets are deleted.
    signals: list[ItemSignal] = [m for i in range(count)
                                 for m in match_all(engine.rules, item(i, groups, 6 * 3600 / count))]
    started = time.perf_counter()
    versions = 0
    for signal in signals:
        versions += len(engine.handle(signal, signal.event_time.timestamp()))
    return len(signals) / (time.perf_counter() - started), versions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args(argv)
    print(f"Rules engine, one core, {args.items:,} item signals per case\n")
    print("| case | signals/s | versions made |\n|---|---:|---:|")
    for name, (text, groups) in RULES.items():
        rate, versions = run_case(text, groups, args.items)
        print(f"| {name} | {rate:,.0f} | {versions} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

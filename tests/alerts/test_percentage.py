from __future__ import annotations

from pathlib import Path

import pytest

from alerts.rules import RuleConfigError, load_rules
from alerts.rules.base import match_all
from alerts.rules.percentage import (
    PercentageConfig,
    PercentageRule,
    ShareBucket,
    add_item,
    build_alert,
    reaches,
    share,
)
from tests.alerts.factories import enriched, signal

RULE = {"name": "pct", "type": "percentage", "threshold_pct": 50, "min_total": 4, "window": "1h",
        "filter": {"categories": ["hate_speech"], "min_score": 0.5, "languages": ["en"]}}


def test_threshold_over_100_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: x\n    type: percentage\n    threshold_pct: 120\n", encoding="utf-8")
    with pytest.raises(RuleConfigError, match=r"\(x\): threshold_pct: Input should be less than or equal"):
        load_rules(path)


def test_every_item_of_the_population_is_routed_and_marked() -> None:
    config = PercentageConfig.model_validate(RULE)
    hit = config.match(enriched(categories={"hate_speech": 0.9}))
    weak = config.match(enriched(categories={"hate_speech": 0.4}))
    assert hit is not None and hit.matched
    assert weak is not None and not weak.matched
    assert config.match(enriched(lang="fr", categories={"hate_speech": 0.9})) is None  # not the population
    assert config.match(enriched(country=None)) is None  # no group


def test_router_routes_unmatched_items_for_percentage_rules() -> None:
    matches = match_all([PercentageRule(PercentageConfig.model_validate(RULE))], enriched(categories={}))
    assert [m.matched for m in matches] == [False]


def fold(flags: list[bool]) -> ShareBucket:
    state = None
    for i, matched in enumerate(flags):
        state = add_item(state, signal(f"i{i}", float(i), matched=matched), samples=10)
    assert state is not None
    return state


def test_add_item_counts_total_and_matched_and_samples_only_matched() -> None:
    state = fold([True, False, True, False, False])
    assert (state["total"], state["matched"], share(state)) == (5, 2, 40.0)
    assert [s["id"] for s in state["samples"]] == ["i0", "i2"]
    assert (state["first"], state["last"]) == (0.0, 2.0)


def test_reaches_needs_min_total_and_the_share() -> None:
    assert not reaches(fold([True, True, True]), 50, 4)  # 100 % but only 3 items
    assert reaches(fold([True, True, False, False]), 50, 4)
    assert not reaches(fold([True, False, False, False]), 50, 4)
    assert not reaches(fold([False] * 10), 0.0001, 4)


def test_alert_carries_total_and_percentage() -> None:
    config = PercentageConfig.model_validate(RULE)
    match = config.match(enriched(categories={"hate_speech": 0.9}))
    assert match is not None
    alert = build_alert(config, match.group_key, match.group, fold([True, True, False, False]), 0.0)
    assert (alert.count, alert.threshold) == (2, 4)
    assert alert.details == {"total": 4, "percentage": 50.0, "threshold_pct": 50.0}
    assert alert.title == "pct: 50% of 4 items in 1h (country SD)"

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.rules import RuleConfigError, load_rules
from alerts.rules.counts import CountBucket
from alerts.rules.spike import SpikeConfig, baseline_stats, build_alert, is_spike, z_score
from tests.alerts.factories import enriched
from tocsin.schema import ItemSignal

RULE = {"name": "sp", "type": "spike", "window": "1h", "baseline_windows": 4, "ratio": 2,
        "min_count": 3, "filter": {"categories": ["violence_report"]}}


def test_config_parses_durations_and_defaults() -> None:
    config = SpikeConfig.model_validate(RULE)
    assert (config.window, config.baseline_windows, config.ratio, config.min_count) == (3600.0, 4, 2.0, 3)


def test_zero_baseline_windows_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: x\n    type: spike\n    baseline_windows: 0\n", encoding="utf-8")
    with pytest.raises(RuleConfigError, match=r"\(x\): baseline_windows: Input should be greater than"):
        load_rules(path)


def test_unknown_key_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: x\n    type: spike\n    threshold: 3\n", encoding="utf-8")
    with pytest.raises(RuleConfigError, match=r"\(x\): threshold: unknown key"):
        load_rules(path)


def test_baseline_stats_are_mean_and_population_std() -> None:
    assert baseline_stats([2, 4, 4, 4, 5, 5, 7, 9]) == (5.0, 2.0)
    assert baseline_stats([]) == (0.0, 0.0)


def test_z_score_uses_a_deviation_of_at_least_one() -> None:
    assert z_score(7, 1.0, 0.0) == 6.0
    assert z_score(9, 5.0, 2.0) == 2.0


def test_spike_needs_both_min_count_and_ratio_times_mean() -> None:
    assert is_spike(3, [1, 1, 1, 1], min_count=3, ratio=2)
    assert not is_spike(3, [2, 2, 1, 2], min_count=3, ratio=2)  # 3 < 2 × 1.75
    assert not is_spike(2, [0, 0, 0, 0], min_count=3, ratio=2)  # too few, however quiet before
    assert is_spike(3, [0, 0, 0, 0], min_count=3, ratio=2)


def test_alert_carries_expected_and_z_score() -> None:
    config = SpikeConfig.model_validate(RULE)
    match = config.match(enriched(categories={"violence_report": 0.9}))
    assert isinstance(match, ItemSignal)
    state: CountBucket = {"count": 6, "first": 3700.0, "last": 3800.0,
                          "samples": [{"id": "i-1", "title": "t", "url": None, "loc": None}]}
    alert = build_alert(config, match.group_key, match.group, state, 3600.0, [1, 2, 3, 2])
    assert (alert.count, alert.threshold, alert.expected) == (6, 3, 2.0)
    assert alert.z_score == 4.0  # std 0.707 → at least 1
    assert alert.window_start.timestamp() == 3600.0 and alert.window_end.timestamp() == 7200.0
    assert alert.details["baseline_windows"] == 4
    assert alert.title == "sp: 6 items in 1h, expected 2.0 (country SD)"

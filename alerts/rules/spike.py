"""``spike``: this window's count far above the previous windows' mean, per group.

Counting happens in tumbling windows (buckets of ``window``) per group; the
baseline is the counts of the ``baseline_windows`` windows before the
current one (a window with no items counts as zero). The rule raises when the
current count reaches ``min_count`` and ``ratio`` times the baseline mean, and
the alert says what was expected and how unusual the count is (a z-score).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from alerts.rules.base import Reading, RuleConfig, RulePlugin, state_prefix
from alerts.rules.frequency import add_match, alert_id, folded
from alerts.rules.windowed import at, human, sample_fields, where
from alerts.state import StateStore
from alerts.windows import Buckets
from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch


class SpikeConfig(RuleConfig):
    state_fields = (*RuleConfig.state_fields, "window")

    type: Literal["spike"] = "spike"
    window: Duration = 3600.0
    # How many windows before the current one make the baseline.
    baseline_windows: int = Field(default=24, ge=1, le=1000)
    # Raise when current >= ratio × baseline mean …
    ratio: float = Field(default=3.0, gt=0.0)
    # … and current >= min_count, so a quiet group going from 0 to 1 is no spike.
    min_count: int = Field(default=3, ge=1)
    late: Duration = 6 * 3600.0
    samples: int = Field(default=10, ge=1, le=100)


def baseline_stats(counts: Sequence[int]) -> tuple[float, float]:
    """Mean and (population) standard deviation of the baseline windows' counts."""
    if not counts:
        return 0.0, 0.0
    mean = sum(counts) / len(counts)
    return mean, math.sqrt(sum((c - mean) ** 2 for c in counts) / len(counts))


def z_score(current: int, mean: float, std: float) -> float:
    """How many deviations above the mean; a flat baseline counts as a deviation of 1."""
    return (current - mean) / max(std, 1.0)


def spike_level(baseline: Sequence[int], *, min_count: int, ratio: float) -> float:
    """The count at which this window would be a spike."""
    mean, _ = baseline_stats(baseline)
    return max(float(min_count), ratio * mean)


def is_spike(current: int, baseline: Sequence[int], *, min_count: int, ratio: float) -> bool:
    return current >= spike_level(baseline, min_count=min_count, ratio=ratio)


def build_alert(config: SpikeConfig, group_key: str, group: dict[str, str | None], state: dict[str, Any],
                window_start: float, baseline: Sequence[int]) -> Alert:
    count = int(state["count"])
    mean, std = baseline_stats(baseline)
    return Alert(
        id=alert_id(config.name, group_key, window_start),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=f"{config.name}: {count} items in {human(config.window)}, expected {mean:.1f} ({where(group)})",
        description=config.description,
        group=group, group_key=group_key,
        window_start=at(window_start), window_end=at(window_start + config.window),
        count=count, threshold=config.min_count,
        first_seen=at(state["first"]), last_seen=at(state["last"]),
        expected=mean, z_score=z_score(count, mean, std),
        details={"baseline_windows": len(baseline), "baseline_std": round(std, 3), "ratio": config.ratio},
        **sample_fields(state.get("samples", []), group),
    )


class SpikeEvaluator:
    def __init__(self, config: SpikeConfig) -> None:
        self.config = config

    def buckets(self, store: StateStore, group_key: str) -> Buckets:
        # Keep the baseline windows and the current one, plus how late items may be.
        keep = self.config.window * self.config.baseline_windows + self.config.late
        return Buckets(store, state_prefix(self.config, group_key), step=self.config.window, keep=keep)

    def observe(self, match: AlertMatch, store: StateStore) -> Reading | None:
        config = self.config
        buckets = self.buckets(store, match.group_key)
        ts = match.event_time.timestamp()
        if not buckets.fold(ts, lambda state: add_match(state, folded(match), config.samples),
                            match.item_id):
            return None
        return self._reading(buckets, match.group_key, match.group, buckets.start(ts))

    def read(self, group_key: str, group: dict[str, str | None], now: float,
             store: StateStore) -> Reading | None:
        buckets = self.buckets(store, group_key)
        return self._reading(buckets, group_key, group, buckets.start(now))

    def _reading(self, buckets: Buckets, group_key: str, group: dict[str, str | None],
                 start: float) -> Reading:
        config = self.config
        state = buckets.get(start)
        count = int(state.get("count", 0))
        baseline = [int(s.get("count", 0)) for _, s in
                    buckets.span(start - config.window, config.baseline_windows)]
        level = spike_level(baseline, min_count=config.min_count, ratio=config.ratio)
        firing = count >= level
        alert = build_alert(config, group_key, group, state, start, baseline) if firing else None
        clear = count < config.clear_below(level)
        return Reading(level=float(count), firing=firing, clear=clear, alert=alert)


class SpikeRule(RulePlugin):
    config_model = SpikeConfig
    evaluator_class = SpikeEvaluator

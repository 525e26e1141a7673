"""``spike``: this window's count far above the previous windows' mean, per group.

Counting happens in tumbling windows (buckets of ``window``) per group; the
baseline is the counts of the ``baseline_windows`` windows before the
current one (a window with no items counts as zero). The rule raises when the
current count reaches ``min_count`` and ``ratio`` times the baseline mean, and
the alert says what was expected and how unusual the count is (a z-score).

``baseline: seasonal`` knows the week: the baseline is the same hour of the same
weekday in each of the ``seasons`` weeks before (hour-of-day × day-of-week), and
the rule raises when the count is ``min_z`` robust deviations above their median
(``(count − median) / max(1.4826 × MAD, 1)``) and reaches ``min_count`` — so a
group that is busy every Friday evening does not raise every Friday evening.
Weeks before the group's first item are not counted as zeros; with none yet, the
recent windows are the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, model_validator

from alerts.rules.base import Reading, Rule, RuleConfig, RuleEvaluator, register, state_prefix
from alerts.rules.counts import CountBucket, add_match
from alerts.rules.raising import human, raise_alert
from alerts.state import StateStore
from alerts.windows import Buckets
from tocsin.durations import Duration
from tocsin.schema import Alert, ItemSignal


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
    # recent: the baseline_windows windows before; seasonal: the same window of the week in
    # each of the `seasons` weeks before, judged by a robust z-score (min_z).
    baseline: Literal["recent", "seasonal"] = "recent"
    seasons: int = Field(default=4, ge=1, le=12)
    min_z: float = Field(default=3.0, gt=0.0)

    @model_validator(mode="after")
    def _fits_the_week(self) -> SpikeConfig:
        if self.baseline == "seasonal" and WEEK % self.window:
            raise ValueError(
                f"a seasonal baseline needs a window that divides a week ({self.window:g} s does not)")
        return self


WEEK = 7 * 86400
MAD_SCALE = 1.4826
"""MAD × this estimates the standard deviation of normally distributed counts."""


def robust_stats(counts: Sequence[int]) -> tuple[float, float]:
    """Median and scaled median absolute deviation: a holiday spike in the baseline does not move them."""
    if not counts:
        return 0.0, 0.0
    ordered = sorted(counts)
    median = _median(ordered)
    return median, MAD_SCALE * _median(sorted(abs(c - median) for c in counts))


def _median(ordered: Sequence[float]) -> float:
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def seasonal_level(baseline: Sequence[int], *, min_count: int, min_z: float) -> float:
    """The count at which this window is ``min_z`` robust deviations above the seasonal median."""
    median, spread = robust_stats(baseline)
    return max(float(min_count), median + min_z * max(spread, 1.0))


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


def build_alert(config: SpikeConfig, group_key: str, group: dict[str, str | None], state: CountBucket,
                window_start: float, baseline: Sequence[int], *, seasonal: bool = False) -> Alert:
    count = int(state["count"])
    if seasonal:
        median, spread = robust_stats(baseline)
        return raise_alert(
            config, group_key, group,
            what=f"{count} items in {human(config.window)}, expected {median:g} at this time of the week",
            window=(window_start, window_start + config.window), count=count, threshold=config.min_count,
            seen=(state["first"], state["last"]), samples=state.get("samples", []),
            expected=median, z_score=round((count - median) / max(spread, 1.0), 3),
            details={"baseline": "seasonal", "seasons": len(baseline), "baseline_mad": round(spread, 3),
                     "min_z": config.min_z, "seasonal_counts": ",".join(map(str, baseline))})
    mean, std = baseline_stats(baseline)
    return raise_alert(
        config, group_key, group, what=f"{count} items in {human(config.window)}, expected {mean:.1f}",
        window=(window_start, window_start + config.window), count=count, threshold=config.min_count,
        seen=(state["first"], state["last"]), samples=state.get("samples", []),
        expected=mean, z_score=z_score(count, mean, std),
        details={"baseline_windows": len(baseline), "baseline_std": round(std, 3), "ratio": config.ratio})


class SpikeEvaluator(RuleEvaluator):
    config: SpikeConfig

    def buckets(self, store: StateStore, group_key: str) -> Buckets[CountBucket]:
        # Keep the baseline windows and the current one, plus how late items may be.
        history = WEEK * self.config.seasons if self.config.baseline == "seasonal" else 0
        keep = max(self.config.window * self.config.baseline_windows, history) + self.config.late
        return Buckets(store, state_prefix(self.config, group_key), step=self.config.window, keep=keep)

    def observe(self, match: ItemSignal, store: StateStore) -> Reading | None:
        buckets = self.buckets(store, match.group_key)
        ts = match.event_time.timestamp()
        if not buckets.fold(ts, lambda state: add_match(state, match, self.config.samples), match.item_id):
            return None
        return self._reading(buckets, match.group_key, match.group, buckets.start(ts))

    def _seasons(self, buckets: Buckets[CountBucket], start: float) -> list[float]:
        """Starts of the same window in each of the weeks before that the group has history for."""
        if self.config.baseline != "seasonal":
            return []
        earliest = buckets.earliest()
        weeks = [start - n * WEEK for n in range(1, self.config.seasons + 1)]
        return [week for week in weeks if earliest is not None and week >= buckets.start(earliest)]

    def read(self, group_key: str, group: dict[str, str | None], now: float,
             store: StateStore) -> Reading | None:
        buckets = self.buckets(store, group_key)
        return self._reading(buckets, group_key, group, buckets.start(now))

    def _reading(self, buckets: Buckets[CountBucket], group_key: str, group: dict[str, str | None],
                 start: float) -> Reading:
        config = self.config
        state = buckets.get(start)
        count = int(state.get("count", 0))
        seasons = self._seasons(buckets, start)
        if seasons:
            baseline = [int(buckets.get(week).get("count", 0)) for week in seasons]
            level = seasonal_level(baseline, min_count=config.min_count, min_z=config.min_z)
        else:
            baseline = [int(s.get("count", 0)) for _, s in
                        buckets.span(start - config.window, config.baseline_windows)]
            level = spike_level(baseline, min_count=config.min_count, ratio=config.ratio)
        firing = count >= level
        alert = (build_alert(config, group_key, group, state, start, baseline, seasonal=bool(seasons))
                 if firing else None)
        clear = count < config.clear_below(level)
        return Reading(level=float(count), firing=firing, clear=clear, alert=alert)


@register("spike")
class SpikeRule(Rule):
    config_model = SpikeConfig
    evaluator_class = SpikeEvaluator

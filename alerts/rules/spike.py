"""``spike``: this window's count far above the previous windows' mean, per group.

Counting happens in a Faust tumbling windowed table keyed by rule and group;
the baseline is the counts of the ``baseline_windows`` windows before the
current one (a window with no items counts as zero). The rule raises when the
current count reaches ``min_count`` and ``ratio`` times the baseline mean, and
the alert says what was expected and how unusual the count is (a z-score).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import faust
from pydantic import Field

from alerts.rules.base import RuleConfig, RulePlugin, stored
from alerts.rules.frequency import _human, add_match, alert_id, should_raise
from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch


class SpikeConfig(RuleConfig):
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


def is_spike(current: int, baseline: Sequence[int], *, min_count: int, ratio: float) -> bool:
    mean, _ = baseline_stats(baseline)
    return current >= min_count and current >= ratio * mean


def build_alert(config: SpikeConfig, match: AlertMatch, state: dict[str, Any], window_start: float,
                baseline: Sequence[int]) -> Alert:
    def at(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    where = ", ".join(f"{k} {v}" for k, v in match.group.items())
    count = int(state["count"])
    mean, std = baseline_stats(baseline)
    samples = state.get("samples", [])
    return Alert(
        id=alert_id(config.name, match.group_key, window_start),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=f"{config.name}: {count} items in {_human(config.window)}, expected {mean:.1f} ({where})",
        description=config.description,
        group=match.group, group_key=match.group_key,
        window_start=at(window_start), window_end=at(window_start + config.window),
        count=count, threshold=config.min_count,
        sample_item_ids=[s["id"] for s in samples],
        sample_titles=[s["title"] for s in samples],
        sample_urls=[s["url"] for s in samples],
        first_seen=at(state["first"]), last_seen=at(state["last"]),
        expected=mean, z_score=z_score(count, mean, std),
        details={"baseline_windows": len(baseline), "baseline_std": round(std, 3), "ratio": config.ratio},
    )


class SpikeEvaluator:
    def __init__(self, config: SpikeConfig, app: faust.App) -> None:
        self.config = config
        # Keep the baseline windows and the current one, plus how late items may be.
        expires = config.window * (config.baseline_windows + 1) + config.late
        self.window = faust.TumblingWindow(config.window, expires=expires)
        self.counts = app.Table(f"rule-{config.name}-counts", default=dict).tumbling(
            config.window, expires=expires)
        self.raised = app.Table(f"rule-{config.name}-raised", default=float)

    def observe(self, match: AlertMatch, event: faust.EventT) -> Alert | None:
        config = self.config
        ts = match.event_time.timestamp()
        folded = {"ts": ts, "id": match.item_id, "title": match.title, "url": match.url}
        self.counts[match.group_key].apply(lambda s, m: add_match(s, m, config.samples), folded, event=event)
        table = self.counts.table
        current = self.window.ranges(ts)[0]
        state = stored(table, (match.group_key, current))
        baseline = self._baseline(match.group_key, current[0])
        if not state or not is_spike(state["count"], baseline,
                                     min_count=config.min_count, ratio=config.ratio):
            return None
        last = self.raised[match.group_key] or None
        if not should_raise(state["count"], config.min_count, ts, last, config.realert):
            return None
        self.raised[match.group_key] = ts
        return build_alert(config, match, state, current[0], baseline)

    def _baseline(self, group_key: str, start: float) -> list[int]:
        table = self.counts.table
        counts = []
        for k in range(1, self.config.baseline_windows + 1):
            key = (group_key, self.window.ranges(start - k * self.config.window)[0])
            counts.append(int(stored(table, key).get("count", 0)))
        return counts


class SpikeRule(RulePlugin):
    config_model = SpikeConfig
    evaluator = SpikeEvaluator

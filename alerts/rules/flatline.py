"""``flatline``: a group that used to be active falls silent — a source stops
publishing, a place or a language stops being reported (coverage loss, possibly
a shutdown).

A group is active when it had at least ``min_history`` matching items in the
``history`` before the last ``window``; it is silent when the last ``window``
holds fewer than ``threshold``. Silence is noticed at clock ticks (wall-clock
time; event time in a backtest), since no item arrives to say it; every group
the rule has seen gets ticks. The alert resolves once items flow again.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from alerts.rules.base import Reading, Rule, RuleConfig, RuleEvaluator, register, state_prefix
from alerts.rules.counts import CountBucket, add_match, latest_samples, merge_counts
from alerts.rules.raising import human, raise_alert
from alerts.state import StateStore
from alerts.windows import Buckets
from tocsin.durations import Duration
from tocsin.schema import ItemSignal

# The last window is read as this many buckets.
_STEPS = 6


class FlatlineConfig(RuleConfig):
    state_fields = (*RuleConfig.state_fields, "window", "history")

    type: Literal["flatline"] = "flatline"
    window: Duration = 6 * 3600.0
    # Fewer items than this in the last window is silence.
    threshold: int = Field(default=1, ge=1)
    history: Duration = 7 * 86400.0
    min_history: int = Field(default=10, ge=1)
    samples: int = Field(default=5, ge=1, le=100)

    @model_validator(mode="after")
    def _fits(self) -> FlatlineConfig:
        if self.escalate:
            raise ValueError("escalate: a flatline has no level that grows; use severity")
        if self.history < self.window:
            raise ValueError(f"history ({self.history:g} s) must be at least window ({self.window:g} s)")
        return self


class FlatlineEvaluator(RuleEvaluator):
    config: FlatlineConfig

    def __init__(self, config: RuleConfig) -> None:
        super().__init__(config)
        self.step = self.config.window / _STEPS

    def buckets(self, store: StateStore, group_key: str) -> Buckets[CountBucket]:
        return Buckets(store, state_prefix(self.config, group_key), step=self.step,
                       keep=self.config.history + self.config.window)

    def observe(self, match: ItemSignal, store: StateStore) -> Reading | None:
        buckets = self.buckets(store, match.group_key)
        buckets.fold(match.event_time.timestamp(), lambda state: add_match(state, match, self.config.samples),
                     match.item_id)
        return None  # an item is never silence; ticks read the group

    def read(self, group_key: str, group: dict[str, str | None], now: float,
             store: StateStore) -> Reading | None:
        config = self.config
        buckets = self.buckets(store, group_key)
        last = buckets.start(now)
        recent = [s for _, s in buckets.span(last, _STEPS)]
        past = [s for _, s in buckets.span(last - _STEPS * self.step, round(config.history / self.step))]
        current, before = merge_counts(recent, config.samples), merge_counts(past, config.samples)
        count, active = int(current["count"]), before["count"] >= config.min_history
        firing = active and count < config.threshold
        alert = None
        if firing:
            start = last - (_STEPS - 1) * self.step
            alert = raise_alert(
                config, group_key, group,
                what=f"{count} items in {human(config.window)}, {before['count']} before",
                window=(start, start + config.window), count=count, threshold=config.threshold,
                seen=(before["first"], before["last"]), samples=latest_samples(past, config.samples),
                expected=before["count"] * config.window / config.history,
                details={"history_items": int(before["count"]), "history": human(config.history)})
        return Reading(level=float(count), firing=firing, clear=count >= config.threshold, alert=alert)


@register("flatline")
class FlatlineRule(Rule):
    config_model = FlatlineConfig
    evaluator_class = FlatlineEvaluator
    ticks_every_group = True

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

from typing import Any, Literal

from pydantic import Field, model_validator

from alerts.rules.base import Reading, RuleConfig, RulePlugin, state_prefix
from alerts.rules.frequency import add_match, alert_id, folded, merge_counts
from alerts.rules.windowed import at, human, sample_fields, where
from alerts.state import StateStore
from alerts.windows import Buckets
from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch


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


class FlatlineEvaluator:
    def __init__(self, config: FlatlineConfig) -> None:
        self.config = config
        self.step = config.window / 6

    def buckets(self, store: StateStore, group_key: str) -> Buckets:
        return Buckets(store, state_prefix(self.config, group_key), step=self.step,
                       keep=self.config.history + self.config.window)

    def observe(self, match: AlertMatch, store: StateStore) -> Reading | None:
        buckets = self.buckets(store, match.group_key)
        if not buckets.fold(match.event_time.timestamp(),
                            lambda state: add_match(state, folded(match), self.config.samples),
                            match.item_id):
            return None
        return None  # an item is never silence; ticks read the group

    def read(self, group_key: str, group: dict[str, str | None], now: float,
             store: StateStore) -> Reading | None:
        config = self.config
        buckets = self.buckets(store, group_key)
        last = buckets.start(now)
        recent = [s for _, s in buckets.span(last, 6)]
        past = [s for _, s in buckets.span(last - 6 * self.step, round(config.history / self.step))]
        current, before = merge_counts(recent, config.samples), merge_counts(past, config.samples)
        count, active = int(current["count"]), before["count"] >= config.min_history
        firing = active and count < config.threshold
        alert = None
        if firing:
            start = last - 5 * self.step
            alert = Alert(
                id=alert_id(config.name, group_key, start), rule=config.name, rule_type=config.type,
                severity=config.severity,
                title=f"{config.name}: {count} items in {human(config.window)}, "
                      f"{before['count']} before ({where(group)})",
                description=config.description, group=group, group_key=group_key,
                window_start=at(start), window_end=at(start + config.window),
                count=count, threshold=config.threshold,
                first_seen=at(before["first"]), last_seen=at(before["last"]),
                expected=before["count"] * config.window / config.history,
                details={"history_items": int(before["count"]), "history": human(config.history)},
                **sample_fields(_last(past, config.samples), group),
            )
        return Reading(level=float(count), firing=firing, clear=count >= config.threshold, alert=alert)


def _last(states: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The most recent items before the silence: evidence of what stopped."""
    samples = [s for state in reversed(states) for s in state.get("samples", [])]
    return samples[:limit]


class FlatlineRule(RulePlugin):
    config_model = FlatlineConfig
    evaluator_class = FlatlineEvaluator
    ticks_every_group = True

"""``frequency``: at least ``threshold`` matching items in a window, per group.

A sliding window is approximated by hops of ``step``: an item falls into every
window (``window / step`` of them) that holds its event time, and the rule fires
when the fullest of those reaches the threshold. Items may arrive in any order
within ``late``. ``step == window`` gives tumbling windows.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from alerts.rules.base import Rule, register
from alerts.rules.counts import CountBucket, add_match, merge_counts
from alerts.rules.raising import human, raise_alert
from alerts.rules.windowed import WindowedConfig, WindowedEvaluator
from tocsin.schema import Alert, ItemSignal


class FrequencyConfig(WindowedConfig):
    type: Literal["frequency"] = "frequency"
    threshold: int = Field(ge=1)
    samples: int = Field(default=10, ge=1, le=100)


def build_alert(config: FrequencyConfig, group_key: str, group: dict[str, str | None],
                state: CountBucket, window: tuple[float, float]) -> Alert:
    count = int(state["count"])
    return raise_alert(config, group_key, group, what=f"{count} items in {human(config.window)}",
                       window=window, count=count, threshold=config.threshold,
                       seen=(state["first"], state["last"]), samples=state.get("samples", []))


class FrequencyEvaluator(WindowedEvaluator[CountBucket]):
    config: FrequencyConfig

    def fold(self, state: CountBucket | None, match: ItemSignal) -> CountBucket:
        return add_match(state, match, self.config.samples)

    def merge(self, states: list[CountBucket]) -> CountBucket:
        return merge_counts(states, self.config.samples)

    def level(self, window: CountBucket) -> float:
        return float(window.get("count", 0))

    def raise_level(self) -> float:
        return float(self.config.threshold)

    def build(self, group_key: str, group: dict[str, str | None], window: CountBucket,
              start: float) -> Alert:
        return build_alert(self.config, group_key, group, window, (start, start + self.config.window))


@register("frequency")
class FrequencyRule(Rule):
    config_model = FrequencyConfig
    evaluator_class = FrequencyEvaluator

"""``frequency``: at least ``threshold`` matching items in a window, per group.

A sliding window is approximated by hops of ``step``: an item falls into every
window (``window / step`` of them) that holds its event time, and the rule fires
when the fullest of those reaches the threshold. Items may arrive in any order
within ``late``. ``step == window`` gives tumbling windows.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import Field

from alerts.rules.base import RulePlugin
from alerts.rules.windowed import (
    WindowedConfig,
    WindowedEvaluator,
    at,
    human,
    merge_samples,
    sample_fields,
    where,
)
from tocsin.schema import Alert, AlertMatch


class FrequencyConfig(WindowedConfig):
    type: Literal["frequency"] = "frequency"
    threshold: int = Field(ge=1)
    samples: int = Field(default=10, ge=1, le=100)


def add_match(state: dict[str, Any] | None, match: dict[str, Any], samples: int) -> dict[str, Any]:
    """Fold one match into a bucket's state: count, first/last seen, a few samples."""
    state = dict(state or {})
    ts = match["ts"]
    state["count"] = state.get("count", 0) + 1
    state["first"] = min(state.get("first", ts), ts)
    state["last"] = max(state.get("last", ts), ts)
    kept = list(state.get("samples", []))
    if len(kept) < samples and all(s["id"] != match["id"] for s in kept):
        kept.append({"id": match["id"], "title": match["title"], "url": match["url"],
                     "loc": match.get("loc")})
    state["samples"] = kept
    return state


def merge_counts(states: list[dict[str, Any]], samples: int) -> dict[str, Any]:
    """A window's state from its buckets' states."""
    filled = [s for s in states if s.get("count")]
    if not filled:
        return {"count": 0, "samples": []}
    return {"count": sum(s["count"] for s in filled),
            "first": min(s["first"] for s in filled), "last": max(s["last"] for s in filled),
            "samples": merge_samples(filled, samples)}


def folded(match: AlertMatch) -> dict[str, Any]:
    return {"ts": match.event_time.timestamp(), "id": match.item_id, "title": match.title,
            "url": match.url, "loc": match.location}


def alert_id(rule: str, group_key: str, window_start: float) -> str:
    """Same rule, group and window → same id, so a replay re-raises nothing new."""
    digest = hashlib.sha256(f"{rule}\x1f{group_key}\x1f{window_start:.0f}".encode()).hexdigest()
    return f"a-{digest[:32]}"


def build_alert(config: FrequencyConfig, group_key: str, group: dict[str, str | None],
                state: dict[str, Any], window: tuple[float, float]) -> Alert:
    count = int(state["count"])
    return Alert(
        id=alert_id(config.name, group_key, window[0]),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=f"{config.name}: {count} items in {human(config.window)} ({where(group)})",
        description=config.description,
        group=group, group_key=group_key,
        window_start=at(window[0]), window_end=at(window[1]),
        count=count, threshold=config.threshold,
        first_seen=at(state["first"]), last_seen=at(state["last"]),
        **sample_fields(state.get("samples", []), group),
    )


class FrequencyEvaluator(WindowedEvaluator):
    config: FrequencyConfig

    def fold(self, state: dict[str, Any] | None, match: AlertMatch) -> dict[str, Any]:
        return add_match(state, folded(match), self.config.samples)

    def merge(self, states: list[dict[str, Any]]) -> dict[str, Any]:
        return merge_counts(states, self.config.samples)

    def level(self, window: dict[str, Any]) -> float:
        return float(window.get("count", 0))

    def raise_level(self) -> float:
        return float(self.config.threshold)

    def build(self, group_key: str, group: dict[str, str | None], window: dict[str, Any],
              start: float) -> Alert:
        return build_alert(self.config, group_key, group, window, (start, start + self.config.window))


class FrequencyRule(RulePlugin):
    config_model = FrequencyConfig
    evaluator_class = FrequencyEvaluator

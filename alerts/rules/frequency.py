"""``frequency``: at least ``threshold`` matching items in a window, per group.

Counting happens in a Faust hopping windowed table keyed by rule and group. A
sliding window is approximated by hops of ``step``: an item falls into every
window (``window / step`` of them) that holds its event time, and the rule fires
when the fullest of those reaches the threshold. Items may arrive in any order
within ``late``. ``step == window`` gives tumbling windows.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

import faust
from pydantic import Field, model_validator

from alerts.rules.base import RuleConfig, RulePlugin
from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch


class FrequencyConfig(RuleConfig):
    type: Literal["frequency"] = "frequency"
    threshold: int = Field(ge=1)
    window: Duration = 3600.0
    # Hop between overlapping windows; smaller is closer to a true sliding window
    # but keeps more windows per group. Default: window / 12.
    step: Duration | None = None
    # How late (in event time) an item may arrive and still be counted.
    late: Duration = 6 * 3600.0
    samples: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _step_fits(self) -> FrequencyConfig:
        if self.step is None:
            self.step = max(1.0, self.window / 12)
        if self.step > self.window:
            raise ValueError(f"step ({self.step:g} s) must not exceed window ({self.window:g} s)")
        return self


def add_match(state: dict[str, Any] | None, match: dict[str, Any], samples: int) -> dict[str, Any]:
    """Fold one match into a window's state: count, first/last seen, a few samples."""
    state = dict(state or {})
    ts = match["ts"]
    state["count"] = state.get("count", 0) + 1
    state["first"] = min(state.get("first", ts), ts)
    state["last"] = max(state.get("last", ts), ts)
    kept = list(state.get("samples", []))
    if len(kept) < samples and all(s["id"] != match["id"] for s in kept):
        kept.append({"id": match["id"], "title": match["title"], "url": match["url"]})
    state["samples"] = kept
    return state


def alert_id(rule: str, group_key: str, window_start: float) -> str:
    """Same rule, group and window → same id, so a replay re-raises nothing new."""
    digest = hashlib.sha256(f"{rule}\x1f{group_key}\x1f{window_start:.0f}".encode()).hexdigest()
    return f"a-{digest[:32]}"


def should_raise(count: int, threshold: int, event_ts: float, last_raised: float | None,
                 realert: float) -> bool:
    """Threshold reached, and not already raised for this group within ``realert``."""
    if count < threshold:
        return False
    return last_raised is None or event_ts - last_raised >= realert or event_ts < last_raised - realert


def build_alert(config: FrequencyConfig, match: AlertMatch, state: dict[str, Any],
                window: tuple[float, float]) -> Alert:
    def at(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    where = ", ".join(f"{k} {v}" for k, v in match.group.items())
    count = int(state["count"])
    samples = state.get("samples", [])
    return Alert(
        id=alert_id(config.name, match.group_key, window[0]),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=f"{config.name}: {count} items in {_human(config.window)} ({where})",
        description=config.description,
        group=match.group, group_key=match.group_key,
        window_start=at(window[0]), window_end=at(window[1]),
        count=count, threshold=config.threshold,
        sample_item_ids=[s["id"] for s in samples],
        sample_titles=[s["title"] for s in samples],
        sample_urls=[s["url"] for s in samples],
        first_seen=at(state["first"]), last_seen=at(state["last"]),
    )


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


class FrequencyEvaluator:
    def __init__(self, config: FrequencyConfig, app: faust.App) -> None:
        self.config = config
        assert config.step is not None
        self.window = faust.HoppingWindow(config.window, config.step, expires=config.window + config.late)
        self.counts = app.Table(f"rule-{config.name}-counts", default=dict).hopping(
            config.window, config.step, expires=config.window + config.late)
        self.raised = app.Table(f"rule-{config.name}-raised", default=float)

    def observe(self, match: AlertMatch, event: faust.EventT) -> Alert | None:
        config = self.config
        ts = match.event_time.timestamp()
        folded = {"ts": ts, "id": match.item_id, "title": match.title, "url": match.url}
        self.counts[match.group_key].apply(lambda s, m: add_match(s, m, config.samples), folded, event=event)
        window, state = self._fullest_window(match.group_key, ts)
        last = self.raised[match.group_key] or None
        if not state or not should_raise(state["count"], config.threshold, ts, last, config.realert):
            return None
        self.raised[match.group_key] = ts
        return build_alert(config, match, state, window)

    def _fullest_window(self, group_key: str, ts: float) -> tuple[tuple[float, float], dict[str, Any]]:
        """The fullest of the windows holding this item.

        Items arrive out of event-time order (feeds list newest first, sources
        interleave), so the window that holds the most of them is not always the
        latest or the earliest one: look at every window the item fell into.
        """
        table = self.counts.table
        earliest = self.window.earliest(ts)[0]
        best: tuple[tuple[float, float], dict[str, Any]] = ((earliest, earliest + self.config.window), {})
        for window_range in self.window.ranges(ts):
            key = (group_key, window_range)
            if key in table:
                state = table[key]
                if state and state.get("count", 0) > best[1].get("count", 0):
                    # Faust ends a range 0.1 s before the next; report [start, start + window).
                    best = ((window_range[0], window_range[0] + self.config.window), state)
        return best


class FrequencyRule(RulePlugin):
    config_model = FrequencyConfig
    evaluator = FrequencyEvaluator

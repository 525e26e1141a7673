"""What ``frequency``, ``cardinality`` and ``percentage`` share: items folded into
hopping windows (buckets of ``step``, windows of ``window``), the fullest window
holding an item read when it arrives, the window ending now read at a clock tick."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import model_validator

from alerts.area import area_of
from alerts.rules.base import Reading, RuleConfig, state_prefix
from alerts.state import StateStore
from alerts.windows import Buckets
from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch


class WindowedConfig(RuleConfig):
    state_fields = (*RuleConfig.state_fields, "window", "step")

    window: Duration = 3600.0
    # Hop between overlapping windows; smaller is closer to a true sliding window
    # but keeps more state per group. Default: window / 12. Must divide the window.
    step: Duration | None = None
    # How late (in event time) an item may arrive and still be counted.
    late: Duration = 6 * 3600.0

    @model_validator(mode="after")
    def _step_fits(self) -> WindowedConfig:
        if self.step is None:
            self.step = max(1.0, self.window / 12)
        if self.step > self.window:
            raise ValueError(f"step ({self.step:g} s) must not exceed window ({self.window:g} s)")
        hops = self.window / self.step
        if abs(hops - round(hops)) > 1e-9:
            raise ValueError(f"step ({self.step:g} s) must divide window ({self.window:g} s)")
        return self

    @property
    def hops(self) -> int:
        assert self.step is not None
        return round(self.window / self.step)


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def where(group: dict[str, str | None]) -> str:
    return ", ".join(f"{k} {v}" for k, v in group.items())


def sample_fields(samples: list[dict[str, Any]], group: dict[str, str | None]) -> dict[str, Any]:
    """The contributing items an alert names, and the area they make."""
    return {"sample_item_ids": [s["id"] for s in samples],
            "sample_titles": [s["title"] for s in samples],
            "sample_urls": [s["url"] for s in samples],
            "area": area_of(group, samples)}


def merge_samples(states: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for state in states:
        for sample in state.get("samples", []):
            if sample["id"] not in seen:
                seen.add(sample["id"])
                kept.append(sample)
                if len(kept) == limit:
                    return kept
    return kept


class WindowedEvaluator:
    """Subclasses say how an item folds into a bucket, how buckets merge into a
    window, what level a window is at, when it raises, and what alert it makes."""

    config: WindowedConfig

    def __init__(self, config: WindowedConfig) -> None:
        assert config.step is not None
        self.config = config
        self.step = config.step

    # -- the rule type's own arithmetic ------------------------------------------------
    def fold(self, state: dict[str, Any] | None, match: AlertMatch) -> dict[str, Any]:
        raise NotImplementedError

    def merge(self, states: list[dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError

    def level(self, window: dict[str, Any]) -> float:
        raise NotImplementedError

    def raise_level(self) -> float:
        """The level at which the rule raises (the lower threshold derives from it)."""
        raise NotImplementedError

    def fires(self, window: dict[str, Any]) -> bool:
        return self.level(window) >= self.raise_level()

    def build(self, group_key: str, group: dict[str, str | None], window: dict[str, Any],
              start: float) -> Alert:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------
    def buckets(self, store: StateStore, group_key: str) -> Buckets:
        return Buckets(store, state_prefix(self.config, group_key), step=self.step,
                       keep=self.config.window + self.config.late)

    def observe(self, match: AlertMatch, store: StateStore) -> Reading | None:
        buckets = self.buckets(store, match.group_key)
        ts = match.event_time.timestamp()
        if not buckets.fold(ts, lambda state: self.fold(state, match), match.item_id):
            return None  # later than ``late``
        windows = [(start, self.merge(states)) for start, states in
                   buckets.windows_holding(ts, self.config.hops)]
        start, window = max(windows, key=lambda w: (self.fires(w[1]), self.level(w[1])))
        return self.reading(match.group_key, match.group, window, start)

    def read(self, group_key: str, group: dict[str, str | None], now: float,
             store: StateStore) -> Reading | None:
        buckets = self.buckets(store, group_key)
        last = buckets.start(now)
        spans = buckets.span(last, self.config.hops)
        return self.reading(group_key, group, self.merge([s for _, s in spans]), spans[0][0])

    def reading(self, group_key: str, group: dict[str, str | None], window: dict[str, Any],
                start: float) -> Reading:
        level = self.level(window)
        firing = self.fires(window)
        return Reading(level=level, firing=firing,
                       clear=level < self.config.clear_below(self.raise_level()),
                       alert=self.build(group_key, group, window, start) if firing else None)

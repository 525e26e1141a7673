"""What ``frequency``, ``cardinality`` and ``percentage`` share: items folded into
hopping windows (buckets of ``step``, windows of ``window``), the fullest window
holding an item read when it arrives, the window ending now read at a clock tick."""

from __future__ import annotations

from abc import abstractmethod
from typing import Generic, TypeVar

from pydantic import model_validator

from alerts.rules.base import Reading, RuleConfig, RuleEvaluator, state_prefix
from alerts.state import StateStore
from alerts.windows import Bucket, Buckets
from tocsin.durations import Duration
from tocsin.schema import Alert, ItemSignal

B = TypeVar("B", bound=Bucket)


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


class WindowedEvaluator(RuleEvaluator, Generic[B]):
    """Subclasses say how an item folds into a bucket, how buckets merge into a
    window (a bucket's type ``B`` too), what level a window is at, when it raises,
    and what alert it makes."""

    config: WindowedConfig

    def __init__(self, config: RuleConfig) -> None:
        assert isinstance(config, WindowedConfig) and config.step is not None
        super().__init__(config)
        self.step = config.step

    # -- the rule type's own arithmetic ------------------------------------------------
    @abstractmethod
    def fold(self, state: B | None, match: ItemSignal) -> B: ...

    @abstractmethod
    def merge(self, states: list[B]) -> B: ...

    @abstractmethod
    def level(self, window: B) -> float: ...

    @abstractmethod
    def raise_level(self) -> float:
        """The level at which the rule raises (the lower threshold derives from it)."""

    def fires(self, window: B) -> bool:
        return self.level(window) >= self.raise_level()

    @abstractmethod
    def build(self, group_key: str, group: dict[str, str | None], window: B, start: float) -> Alert: ...

    # -- shared -------------------------------------------------------------------------
    def buckets(self, store: StateStore, group_key: str) -> Buckets[B]:
        return Buckets(store, state_prefix(self.config, group_key), step=self.step,
                       keep=self.config.window + self.config.late)

    def observe(self, match: ItemSignal, store: StateStore) -> Reading | None:
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

    def reading(self, group_key: str, group: dict[str, str | None], window: B, start: float) -> Reading:
        level = self.level(window)
        firing = self.fires(window)
        return Reading(level=level, firing=firing,
                       clear=level < self.config.clear_below(self.raise_level()),
                       alert=self.build(group_key, group, window, start) if firing else None)

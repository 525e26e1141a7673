"""``cardinality``: at least ``threshold`` distinct values of a field among a
group's matching items in a window — e.g. distinct sources (or web domains)
reporting violence about the same place, i.e. corroboration.

Windows hop like ``frequency``'s. Each window keeps at most ``max_values``
distinct values, so a flood of sources cannot grow state without bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from alerts.rules.base import Reading, Rule, field_value, register
from alerts.rules.counts import CountBucket, add_match, merge_counts
from alerts.rules.raising import human, raise_alert
from alerts.rules.windowed import WindowedConfig, WindowedEvaluator
from alerts.state import StateStore
from tocsin.schema import Alert, EnrichedItem, ItemSignal

DOMAIN = "domain"
"""``distinct: domain`` counts the host of the item's URL, without ``www.``."""


class CardinalityConfig(WindowedConfig):
    state_fields = (*WindowedConfig.state_fields, "distinct")

    type: Literal["cardinality"] = "cardinality"
    distinct: str = "source.name"
    threshold: int = Field(ge=2)
    samples: int = Field(default=10, ge=1, le=100)
    # Distinct values kept per window; past it the count stops growing.
    max_values: int = Field(default=1000, ge=1, le=1000)

    @field_validator("distinct")
    @classmethod
    def _known_field(cls, path: str) -> str:
        roots = set(EnrichedItem.model_fields)
        if path != DOMAIN and path.split(".")[0] not in roots:
            known = ", ".join(sorted(roots))
            raise ValueError(f"unknown item field {path!r}; use 'domain' or one of: {known}")
        return path

    @model_validator(mode="after")
    def _fits(self) -> CardinalityConfig:
        if self.threshold > self.max_values:
            raise ValueError(f"threshold ({self.threshold}) must not exceed max_values ({self.max_values})")
        return self

    def match(self, item: EnrichedItem) -> ItemSignal | None:
        found = self.group_match(item)
        if found is None:
            return None
        value = distinct_value(item, self.distinct)
        return None if value is None else found.model_copy(update={"value": value})


class DistinctBucket(CountBucket, total=False):
    """Frequency's count and samples, plus the distinct values seen."""

    values: list[str]


def domain(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")


def distinct_value(item: EnrichedItem, path: str) -> str | None:
    return domain(item.url) if path == DOMAIN else field_value(item, path)


def _distinct(values: Iterable[str], limit: int) -> list[str]:
    kept: list[str] = []
    for value in values:
        if value not in kept and len(kept) < limit:
            kept.append(value)
    return kept


def add_value(state: DistinctBucket | None, match: ItemSignal, samples: int,
              max_values: int) -> DistinctBucket:
    """Fold one match into a bucket: frequency's count and samples, plus its distinct value."""
    folded: DistinctBucket = {**add_match(state, match, samples)}
    new = [match.value] if match.value is not None else []
    folded["values"] = _distinct([*folded.get("values", []), *new], max_values)
    return folded


def merge_values(states: list[DistinctBucket], samples: int, max_values: int) -> DistinctBucket:
    merged: DistinctBucket = {**merge_counts(states, samples)}
    merged["values"] = _distinct((value for state in states for value in state.get("values", [])),
                                 max_values)
    return merged


def build_alert(config: CardinalityConfig, group_key: str, group: dict[str, str | None],
                state: DistinctBucket, window_start: float) -> Alert:
    values = sorted(state["values"])
    return raise_alert(
        config, group_key, group,
        what=f"{len(values)} distinct {config.distinct} in {human(config.window)}",
        window=(window_start, window_start + config.window), count=len(values), threshold=config.threshold,
        seen=(state["first"], state["last"]), samples=state.get("samples", []),
        details={"distinct": config.distinct, "items": int(state["count"]),
                 "values": ", ".join(values[:20])[:1000]})


class CardinalityEvaluator(WindowedEvaluator[DistinctBucket]):
    config: CardinalityConfig

    def fold(self, state: DistinctBucket | None, match: ItemSignal) -> DistinctBucket:
        return add_value(state, match, self.config.samples, self.config.max_values)

    def merge(self, states: list[DistinctBucket]) -> DistinctBucket:
        return merge_values(states, self.config.samples, self.config.max_values)

    def level(self, window: DistinctBucket) -> float:
        return float(len(window.get("values", [])))

    def raise_level(self) -> float:
        return float(self.config.threshold)

    def observe(self, match: ItemSignal, store: StateStore) -> Reading | None:
        return None if match.value is None else super().observe(match, store)

    def build(self, group_key: str, group: dict[str, str | None], window: DistinctBucket,
              start: float) -> Alert:
        return build_alert(self.config, group_key, group, window, start)


@register("cardinality")
class CardinalityRule(Rule):
    config_model = CardinalityConfig
    evaluator_class = CardinalityEvaluator

"""``cardinality``: at least ``threshold`` distinct values of a field among a
group's matching items in a window — e.g. distinct sources (or web domains)
reporting violence about the same place, i.e. corroboration.

Windows hop like ``frequency``'s. Each window keeps at most ``max_values``
distinct values, so a flood of sources cannot grow state without bound.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from alerts.rules.base import RulePlugin, field_value
from alerts.rules.frequency import add_match, alert_id, folded, merge_counts
from alerts.rules.windowed import WindowedConfig, WindowedEvaluator, at, human, sample_fields, where
from tocsin.schema import Alert, AlertMatch, EnrichedItem

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

    def match(self, item: EnrichedItem) -> AlertMatch | None:
        found = self.group_match(item)
        if found is None:
            return None
        value = distinct_value(item, self.distinct)
        return None if value is None else found.model_copy(update={"value": value})


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


def add_value(state: dict[str, Any] | None, match: dict[str, Any], samples: int,
              max_values: int) -> dict[str, Any]:
    """Fold one match into a bucket: frequency's count and samples, plus its distinct value."""
    folded = add_match(state, match, samples)
    values = list(folded.get("values", []))
    if match["value"] not in values and len(values) < max_values:
        values.append(match["value"])
    folded["values"] = values
    return folded


def merge_values(states: list[dict[str, Any]], samples: int, max_values: int) -> dict[str, Any]:
    merged = merge_counts(states, samples)
    values: list[str] = []
    for state in states:
        for value in state.get("values", []):
            if value not in values and len(values) < max_values:
                values.append(value)
    merged["values"] = values
    return merged


def build_alert(config: CardinalityConfig, group_key: str, group: dict[str, str | None],
                state: dict[str, Any], window_start: float) -> Alert:
    values = sorted(state["values"])
    return Alert(
        id=alert_id(config.name, group_key, window_start),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=f"{config.name}: {len(values)} distinct {config.distinct} in {human(config.window)} "
              f"({where(group)})",
        description=config.description,
        group=group, group_key=group_key,
        window_start=at(window_start), window_end=at(window_start + config.window),
        count=len(values), threshold=config.threshold,
        first_seen=at(state["first"]), last_seen=at(state["last"]),
        details={"distinct": config.distinct, "items": int(state["count"]),
                 "values": ", ".join(values[:20])[:1000]},
        **sample_fields(state.get("samples", []), group),
    )


class CardinalityEvaluator(WindowedEvaluator):
    config: CardinalityConfig

    def fold(self, state: dict[str, Any] | None, match: AlertMatch) -> dict[str, Any]:
        return add_value(state, {**folded(match), "value": match.value}, self.config.samples,
                         self.config.max_values)

    def merge(self, states: list[dict[str, Any]]) -> dict[str, Any]:
        return merge_values(states, self.config.samples, self.config.max_values)

    def level(self, window: dict[str, Any]) -> float:
        return float(len(window.get("values", [])))

    def raise_level(self) -> float:
        return float(self.config.threshold)

    def observe(self, match: AlertMatch, store: Any) -> Any:
        return None if match.value is None else super().observe(match, store)

    def build(self, group_key: str, group: dict[str, str | None], window: dict[str, Any],
              start: float) -> Alert:
        return build_alert(self.config, group_key, group, window, start)


class CardinalityRule(RulePlugin):
    config_model = CardinalityConfig
    evaluator_class = CardinalityEvaluator

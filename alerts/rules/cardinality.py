"""``cardinality``: at least ``threshold`` distinct values of a field among a
group's matching items in a window — e.g. distinct sources (or web domains)
reporting violence about the same place, i.e. corroboration.

Windows hop like ``frequency``'s. Each window keeps at most ``max_values``
distinct values, so a flood of sources cannot grow state without bound.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import faust
from pydantic import Field, field_validator, model_validator

from alerts.rules.base import RuleConfig, RulePlugin, field_value, stored
from alerts.rules.frequency import _human, add_match, alert_id, should_raise
from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch, EnrichedItem

DOMAIN = "domain"
"""``distinct: domain`` counts the host of the item's URL, without ``www.``."""


class CardinalityConfig(RuleConfig):
    type: Literal["cardinality"] = "cardinality"
    distinct: str = "source.name"
    threshold: int = Field(ge=2)
    window: Duration = 3600.0
    step: Duration | None = None
    late: Duration = 6 * 3600.0
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
        if self.step is None:
            self.step = max(1.0, self.window / 12)
        if self.step > self.window:
            raise ValueError(f"step ({self.step:g} s) must not exceed window ({self.window:g} s)")
        if self.threshold > self.max_values:
            raise ValueError(f"threshold ({self.threshold}) must not exceed max_values ({self.max_values})")
        return self

    def match(self, item: EnrichedItem) -> AlertMatch | None:
        found = super().match(item)
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
    """Fold one match into a window: frequency's count and samples, plus its distinct value."""
    folded = add_match(state, match, samples)
    values = list(folded.get("values", []))
    if match["value"] not in values and len(values) < max_values:
        values.append(match["value"])
    folded["values"] = values
    return folded


def build_alert(config: CardinalityConfig, match: AlertMatch, state: dict[str, Any],
                window_start: float) -> Alert:
    def at(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    where = ", ".join(f"{k} {v}" for k, v in match.group.items())
    values = sorted(state["values"])
    samples = state.get("samples", [])
    return Alert(
        id=alert_id(config.name, match.group_key, window_start),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=f"{config.name}: {len(values)} distinct {config.distinct} in {_human(config.window)} ({where})",
        description=config.description,
        group=match.group, group_key=match.group_key,
        window_start=at(window_start), window_end=at(window_start + config.window),
        count=len(values), threshold=config.threshold,
        sample_item_ids=[s["id"] for s in samples],
        sample_titles=[s["title"] for s in samples],
        sample_urls=[s["url"] for s in samples],
        first_seen=at(state["first"]), last_seen=at(state["last"]),
        details={"distinct": config.distinct, "items": int(state["count"]),
                 "values": ", ".join(values[:20])[:1000]},
    )


class CardinalityEvaluator:
    def __init__(self, config: CardinalityConfig, app: faust.App) -> None:
        self.config = config
        assert config.step is not None
        self.window = faust.HoppingWindow(config.window, config.step, expires=config.window + config.late)
        self.values = app.Table(f"rule-{config.name}-values", default=dict).hopping(
            config.window, config.step, expires=config.window + config.late)
        self.raised = app.Table(f"rule-{config.name}-raised", default=float)

    def observe(self, match: AlertMatch, event: faust.EventT) -> Alert | None:
        config = self.config
        if match.value is None:
            return None
        ts = match.event_time.timestamp()
        folded = {"ts": ts, "id": match.item_id, "title": match.title, "url": match.url, "value": match.value}
        self.values[match.group_key].apply(
            lambda s, m: add_value(s, m, config.samples, config.max_values), folded, event=event)
        table = self.values.table
        best: tuple[float, dict[str, Any]] = (0.0, {})
        for window_range in self.window.ranges(ts):
            state = stored(table, (match.group_key, window_range))
            if state and len(state["values"]) > len(best[1].get("values", [])):
                best = (window_range[0], state)
        start, state = best
        last = self.raised[match.group_key] or None
        if not state or not should_raise(len(state["values"]), config.threshold, ts, last, config.realert):
            return None
        self.raised[match.group_key] = ts
        return build_alert(config, match, state, start)


class CardinalityRule(RulePlugin):
    config_model = CardinalityConfig
    evaluator = CardinalityEvaluator

"""``first_seen``: a group value never seen before in this rule's items — a place
first reported in a category, a new term, a new source.

Every group value the rule has seen is remembered (for ``forget``, by default a
year). For ``learn`` after the rule first sees items, values are only learnt,
not raised, so that a new rule does not raise one alert per existing place. The
learning clock starts per worker, with the first item the worker counts for the
rule (rules reloaded with other ``group_by`` start learning afresh).

``explode`` names a list field (e.g. ``categories.hate_speech.terms``): each of
its values is a group of its own, so a term never used before raises.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, TypedDict, cast

from pydantic import field_validator

from alerts.rules.base import QUIET, Reading, Rule, RuleConfig, RuleEvaluator, register, state_prefix
from alerts.rules.counts import sample_of
from alerts.rules.raising import raise_alert
from alerts.state import StateStore
from tocsin.durations import Duration
from tocsin.schema import EnrichedItem, ItemSignal


class FirstSeenConfig(RuleConfig):
    state_fields = (*RuleConfig.state_fields, "explode")

    type: Literal["first_seen"] = "first_seen"
    learn: Duration = 7 * 86400.0
    forget: Duration = 365 * 86400.0
    explode: str | None = None

    @field_validator("explode")
    @classmethod
    def _known_field(cls, path: str | None) -> str | None:
        if path is not None and path.split(".")[0] not in EnrichedItem.model_fields:
            raise ValueError(f"unknown item field {path!r}")
        return path

    def match(self, item: EnrichedItem) -> ItemSignal | list[ItemSignal] | None:
        found = self.group_match(item)
        if found is None or self.explode is None:
            return found
        values = _values(item, self.explode)
        return [found.model_copy(update={
            "group": {**found.group, self.explode: value},
            "group_key": f"{found.group_key}|{self.explode}={value}" if found.group_key
            else f"{self.explode}={value}"}) for value in values]


class Learning(TypedDict):
    since: float
    """Event time of the first item this rule counted: values before ``since + learn`` are learnt."""


class Seen(TypedDict):
    first: float
    last: float


def _values(item: EnrichedItem, path: str) -> list[str]:
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value is None:
            return []
    items = value if isinstance(value, list | tuple | set) else [value]
    return sorted({str(v).strip().lower() for v in items if str(v).strip()})[:50]


class FirstSeenEvaluator(RuleEvaluator):
    config: FirstSeenConfig

    def observe(self, match: ItemSignal, store: StateStore) -> Reading | None:
        config = self.config
        ts = match.event_time.timestamp()
        learning_key = f"{config.fingerprint()}|__learning__"
        learning = cast(Learning | None, store.get(learning_key))
        if learning is None:
            learning = Learning(since=ts)
            store.put(learning_key, learning)
        key = f"{state_prefix(config, match.group_key)}|seen"
        seen = cast(Seen | None, store.get(key))
        if seen is not None and ts - seen["last"] < config.forget:
            if ts > seen["last"]:
                store.put(key, Seen(first=seen["first"], last=ts))
            return QUIET
        store.put(key, Seen(first=ts, last=ts))
        if ts < learning["since"] + config.learn:
            return QUIET
        alert = raise_alert(
            config, match.group_key, match.group, what="first seen", window=(ts, ts), count=1, threshold=1,
            seen=(ts, ts), samples=[sample_of(match)],
            details={"learning_since": datetime.fromtimestamp(learning["since"], UTC).isoformat()})
        return Reading(level=1.0, firing=True, clear=False, alert=alert)

    def read(self, group_key: str, group: dict[str, str | None], now: float,
             store: StateStore) -> Reading | None:
        return QUIET  # nothing to measure once raised: the alert resolves after ``resolve.hold``


@register("first_seen")
class FirstSeenRule(Rule):
    config_model = FirstSeenConfig
    evaluator_class = FirstSeenEvaluator

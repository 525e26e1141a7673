"""What every rule type shares: the item filter, grouping and the plug-in protocol."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Literal, Protocol

import faust
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch, EnrichedItem

MISSING = "unknown"
"""Group value for an item that lacks a group field, when such items are kept."""


class RuleConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemFilter(RuleConfigModel):
    """Which items a rule counts. Every given condition must hold; lists mean 'any of'."""

    categories: list[str] = Field(default_factory=list)
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    languages: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    source_types: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    def accepts(self, item: EnrichedItem) -> bool:
        if self.categories:
            if not any(
                (hit := item.categories.get(name)) is not None and hit.score >= self.min_score
                for name in self.categories
            ):
                return False
        elif self.min_score > 0 and not any(h.score >= self.min_score for h in item.categories.values()):
            return False
        if self.languages and item.lang not in self.languages:
            return False
        if self.countries and item.country not in self.countries:
            return False
        if self.source_types and item.source.type not in self.source_types:
            return False
        return not (self.sources and item.source.name not in self.sources)


def field_value(item: EnrichedItem, path: str) -> str | None:
    """A dotted item field as a group value ('country', 'source.name', 'lang')."""
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value is None:
            return None
    if isinstance(value, list | tuple | set):
        return ",".join(sorted(str(v) for v in value)) or None
    return str(value)


class RuleConfig(RuleConfigModel):
    """Fields every rule type has; each type adds its own."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    type: str
    description: str = ""
    severity: Literal["info", "warning", "severe", "extreme"] = "warning"
    enabled: bool = True
    filter: ItemFilter = Field(default_factory=ItemFilter)
    group_by: list[str] = Field(default_factory=lambda: ["country"])
    # Items without a value for a group field are not counted unless this is true
    # (then they count under "unknown").
    keep_missing: bool = False
    realert: Duration = 3600.0

    @field_validator("group_by")
    @classmethod
    def _known_fields(cls, paths: list[str]) -> list[str]:
        roots = set(EnrichedItem.model_fields) | {"event_time"}
        for path in paths:
            if path.split(".")[0] not in roots:
                raise ValueError(f"unknown item field {path!r}; known: {', '.join(sorted(roots))}")
        return paths

    def match(self, item: EnrichedItem) -> AlertMatch | None:
        """The group this item counts towards, if it passes the filter."""
        if not self.filter.accepts(item):
            return None
        group: dict[str, str | None] = {}
        for path in self.group_by:
            value = field_value(item, path)
            if value is None:
                if not self.keep_missing:
                    return None
                value = MISSING
            group[path] = value
        return AlertMatch(
            rule=self.name, group=group, group_key="|".join(f"{k}={v}" for k, v in group.items()),
            item_id=item.id, title=item.title[:300], url=item.url, event_time=item.event_time,
        )


class RuleEvaluator(Protocol):
    """A rule bound to a Faust app; called inside stream iteration (tables need it)."""

    def observe(self, match: AlertMatch, event: faust.EventT) -> Alert | None: ...


class Rule(Protocol):
    """A rule type plug-in: its config model, and how it binds to windowed tables."""

    config_model: ClassVar[type[RuleConfig]]
    config: RuleConfig

    def bind(self, app: faust.App) -> RuleEvaluator: ...


class RulePlugin:
    """A rule type as registered: its config model and the evaluator that binds it
    to a Faust app's windowed tables. Subclasses only name the two."""

    config_model: ClassVar[type[RuleConfig]]
    # The evaluator class, called as evaluator(config, app) -> RuleEvaluator. Typed Any:
    # a Callable class attribute would be taken for a method.
    evaluator: ClassVar[Any]

    def __init__(self, config: RuleConfig) -> None:
        self.config = config

    def bind(self, app: faust.App) -> RuleEvaluator:
        evaluator: RuleEvaluator = type(self).evaluator(self.config, app)
        return evaluator


def match_all(rules: Iterable[Rule], item: EnrichedItem) -> list[AlertMatch]:
    return [m for rule in rules if rule.config.enabled and (m := rule.config.match(item)) is not None]


def stored(table: Any, key: Any) -> dict[str, Any]:
    """A window's state, or {} — without ``table[key]``, which on a Faust table with a
    default would create (and changelog) an empty entry."""
    if key in table:
        state: dict[str, Any] = table[key]
        return state
    return {}

"""What every rule type shares: the item filter, grouping, the evaluator base and the registry."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.state import StateStore
from tocsin.durations import Duration
from tocsin.errors import PluginError
from tocsin.plugins import Plugin, Registry, config_model_of, entry_point_group
from tocsin.schema import SEVERITIES, Alert, EnrichedItem, ItemSignal

Severity = Literal["info", "warning", "severe", "extreme"]

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
    # First-level regions (codes as the archive holds them, e.g. 'SD.55') and places
    # by name: an item passes if any place it mentions is one of them.
    admin1: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    source_types: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    @property
    def _place_names(self) -> set[str]:
        return {name.casefold() for name in self.places}

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
        if self.admin1 and item.admin1 not in self.admin1 and not any(
                place.admin1 in self.admin1 for place in item.places):
            return False
        if self.places and not any(place.name.casefold() in self._place_names for place in item.places):
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


class ResolveConfig(RuleConfigModel):
    """When an open alert resolves: its level must stay past a lower threshold
    (hysteresis) for ``hold`` — so a group hovering at the threshold does not flap."""

    # The level to fall below; unset: ``ratio`` × the level that raises the alert.
    below: float | None = Field(default=None, ge=0.0)
    ratio: float = Field(default=0.5, gt=0.0, le=1.0)
    hold: Duration = 900.0


class EscalateStep(RuleConfigModel):
    """At this level (count, distinct values, share …) the alert takes this severity."""

    at: float = Field(ge=0.0)
    severity: Severity


class RuleConfig(RuleConfigModel):
    """Fields every rule type has; each type adds its own."""

    # Fields whose change makes the stored windows meaningless (window size, grouping …):
    # a rule reloaded with other values starts counting afresh.
    state_fields: ClassVar[tuple[str, ...]] = ("type", "group_by", "keep_missing")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    type: str
    description: str = ""
    severity: Severity = "warning"
    escalate: list[EscalateStep] = Field(default_factory=list)
    resolve: ResolveConfig = Field(default_factory=ResolveConfig)
    enabled: bool = True
    filter: ItemFilter = Field(default_factory=ItemFilter)
    group_by: list[str] = Field(default_factory=lambda: ["country"])
    # Items without a value for a group field are not counted unless this is true
    # (then they count under "unknown").
    keep_missing: bool = False
    # While an alert is open, its count changes are sent as an update at most this
    # often; escalation and resolution are sent at once.
    realert: Duration = 3600.0

    @model_validator(mode="after")
    def _escalation_climbs(self) -> RuleConfig:
        base = SEVERITIES.index(self.severity)
        previous = -1.0
        for step in self.escalate:
            if SEVERITIES.index(step.severity) <= base:
                raise ValueError(f"escalate: {step.severity!r} at {step.at:g} is not above "
                                 f"the rule's severity {self.severity!r}")
            if step.at <= previous:
                raise ValueError("escalate: steps must be in increasing order of 'at'")
            previous = step.at
        return self

    def severity_at(self, level: float) -> str:
        severity = self.severity
        for step in self.escalate:
            if level >= step.at:
                severity = step.severity
        return severity

    def clear_below(self, raise_level: float) -> float:
        return self.resolve.below if self.resolve.below is not None else self.resolve.ratio * raise_level

    def fingerprint(self) -> str:
        """Names this rule's state: same name and state fields → same windows."""
        fields = self.model_dump(mode="json", include=set(self.state_fields))
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.name}#{digest}"

    @field_validator("group_by")
    @classmethod
    def _known_fields(cls, paths: list[str]) -> list[str]:
        roots = set(EnrichedItem.model_fields) | {"event_time"}
        for path in paths:
            if path.split(".")[0] not in roots:
                raise ValueError(f"unknown item field {path!r}; known: {', '.join(sorted(roots))}")
        return paths

    def match(self, item: EnrichedItem) -> ItemSignal | list[ItemSignal] | None:
        """The group(s) this item counts towards, if it passes the filter."""
        return self.group_match(item)

    def group_match(self, item: EnrichedItem) -> ItemSignal | None:
        """The one group this item counts towards by ``group_by``, if it passes the filter."""
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
        return ItemSignal(
            rule=self.name, group=group, group_key="|".join(f"{k}={v}" for k, v in group.items()),
            item_id=item.id, title=item.title[:300], url=item.url, event_time=item.event_time,
            location=item.location,
        )


@dataclass(frozen=True)
class Reading:
    """What a rule measures for one group at one moment."""

    level: float
    firing: bool
    # Past the lower (resolve) threshold: an open alert may resolve once this has held.
    clear: bool
    # The alert's content when firing (the lifecycle gives it id, version and severity).
    alert: Alert | None = None


QUIET = Reading(level=0.0, firing=False, clear=True)
"""Nothing to report: an open alert may resolve after ``resolve.hold``."""


class RuleEvaluator(ABC):
    """A rule type's logic over its state, for one configured rule.

    ``observe`` folds one matching item in and reads the group; ``read`` reads the
    group at a clock tick, when no item came. Both return None when there is nothing
    to read (an item later than the rule keeps state for). State lives in the store,
    never on the evaluator: a worker that takes over a partition has it all.
    """

    def __init__(self, config: RuleConfig) -> None:
        self.config = config

    @abstractmethod
    def observe(self, match: ItemSignal, store: StateStore) -> Reading | None: ...

    @abstractmethod
    def read(self, group_key: str, group: dict[str, str | None], now: float,
             store: StateStore) -> Reading | None: ...


class Rule:
    """A rule type plug-in: its config model and its evaluator. An instance is one rule
    of the rules file; ``register`` makes the class available under its ``type:``."""

    config_model: ClassVar[type[RuleConfig]]
    evaluator_class: ClassVar[type[RuleEvaluator]]
    # True when every group the rule has seen needs clock ticks (``flatline``), not
    # only the groups with an open alert.
    ticks_every_group: ClassVar[bool] = False

    def __init__(self, config: RuleConfig) -> None:
        self.config = config

    def evaluator(self) -> RuleEvaluator:
        return self.evaluator_class(self.config)


def _adopt(name: str, target: Any) -> Plugin[type[Rule]]:
    """A rule type from an entry point or a dotted path: a :class:`Rule` subclass."""
    if not (isinstance(target, type) and issubclass(target, Rule)):
        raise PluginError(f"rule type {name!r}: {target!r} is not a subclass of alerts.rules.base.Rule")
    return Plugin(name, config_model_of(target, "rule", name), target)


RULE_TYPES: Registry[type[Rule]] = Registry(
    "rule", package="alerts.rules", group=entry_point_group("rule_types"), adopt=_adopt)
"""Rule types by their ``type:`` in the rules file; built-ins are the modules of
``alerts.rules`` that use :func:`register`."""

R = TypeVar("R", bound=type[Rule])


def register(type_name: str) -> Callable[[R], R]:
    """Class decorator: make a :class:`Rule` subclass available under ``type: <type_name>``."""

    def add(cls: R) -> R:
        RULE_TYPES.add(_adopt(type_name, cls))
        return cls

    return add


def state_prefix(config: RuleConfig, group_key: str) -> str:
    return f"{config.fingerprint()}|{group_key}"


def match_all(rules: Iterable[Rule], item: EnrichedItem) -> list[ItemSignal]:
    """Every (rule, group) the item counts towards; a rule may give several groups."""
    found: list[ItemSignal] = []
    for rule in rules:
        if not rule.config.enabled:
            continue
        matched = rule.config.match(item)
        if isinstance(matched, list):
            found += matched
        elif matched is not None:
            found.append(matched)
    return found

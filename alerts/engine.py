"""The rules engine: signals in, alert versions out.

One ``Engine`` serves a worker (state in Faust tables) or a backtest (state in
dicts) with the same code: each signal on ``alerts.matches`` — an item matching
a rule, a clock tick, an analyst's action — goes to its rule's evaluator and
then through the lifecycle of the group's alert. Rules can be swapped while it
runs (``replace``): state is keyed by rule name and the fields that shape it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, cast

from alerts import lifecycle
from alerts.lifecycle import LifecycleState
from alerts.rules.base import Rule, RuleEvaluator
from alerts.state import StateStore
from tocsin.schema import ActionSignal, Alert, AlertMatch, ItemSignal, TickSignal

logger = logging.getLogger(__name__)


class WatchEntry(TypedDict):
    """A watched group, as kept in the watch store (under ``rule|group_key``)."""

    rule: str
    group_key: str
    group: dict[str, str | None]


@dataclass(frozen=True)
class Watched:
    """A group that needs clock ticks: its alert is open, or its rule is a flatline."""

    rule: str
    group_key: str
    group: dict[str, str | None]

    def tick(self, at: datetime) -> TickSignal:
        """The clock tick for this group at ``at``."""
        return TickSignal(rule=self.rule, group_key=self.group_key, group=self.group, event_time=at)


class Engine:
    def __init__(self, rules: list[Rule], state: StateStore, watch: StateStore) -> None:
        self.state = state
        self.watch = watch
        self.rules: list[Rule] = []
        self._by_name: dict[str, tuple[Rule, RuleEvaluator]] = {}
        self.replace(rules)

    def replace(self, rules: list[Rule]) -> None:
        """Swap the rule set (a reload). Removed rules' open alerts get no more ticks."""
        self.rules = list(rules)
        self._by_name = {rule.config.name: (rule, rule.evaluator()) for rule in rules}

    def handle(self, signal: AlertMatch, clock: float) -> list[Alert]:
        found = self._by_name.get(signal.rule)
        if found is None:  # a rule removed since the signal was routed
            return []
        rule, evaluator = found
        if isinstance(signal, ItemSignal) and not rule.config.enabled:
            return []
        lifecycle_key = f"L|{signal.rule}|{signal.group_key}"
        state = cast(LifecycleState | None, self.state.get(lifecycle_key))
        version: Alert | None = None
        new_state = state
        if isinstance(signal, ActionSignal):
            new_state, version = lifecycle.act(state, signal.action, clock)
        else:
            reading = (evaluator.observe(signal, self.state) if isinstance(signal, ItemSignal)
                       else evaluator.read(signal.group_key, signal.group, signal.event_time.timestamp(),
                                           self.state))
            if reading is not None:
                new_state, version = lifecycle.advance(state, reading, rule.config, clock)
        if new_state is not state and new_state is not None:
            self.state.put(lifecycle_key, new_state)
        self._watch(rule, signal, new_state)
        return [version] if version is not None else []

    def _watch(self, rule: Rule, signal: AlertMatch, state: LifecycleState | None) -> None:
        key = f"{signal.rule}|{signal.group_key}"
        wanted = rule.ticks_every_group or lifecycle.is_open(state)
        if wanted and self.watch.get(key) is None:
            self.watch.put(key, WatchEntry(rule=signal.rule, group_key=signal.group_key, group=signal.group))
        elif not wanted and self.watch.get(key) is not None:
            self.watch.delete(key)

    def watched(self) -> Iterator[Watched]:
        """Groups to tick (read-only: safe outside the agent, e.g. in a timer)."""
        for key in self.watch.names():
            entry = cast(WatchEntry | None, self.watch.get(key))
            if entry and entry["rule"] in self._by_name:
                yield Watched(entry["rule"], entry["group_key"], entry["group"])

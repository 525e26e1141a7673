"""Which alert versions a channel wants: a severity floor, lifecycle events and rules.

Every notifier config carries these keys; the dispatcher consults them before a
channel is tried, so a channel never sees (or retries) what it did not ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tocsin.schema import SEVERITIES, Alert, AlertEvent

Severity = Literal["info", "warning", "severe", "extreme"]
# What a person must act on: a new incident, a worse one, and its end (resolved, or
# dismissed as a false positive). Updates, acknowledgements, assignments and notes are
# for the dashboard unless asked for.
DEFAULT_EVENTS: tuple[AlertEvent, ...] = ("opened", "escalated", "resolved", "dismissed")


def severity_rank(severity: str) -> int:
    """Position in :data:`SEVERITIES`; an unknown severity ranks highest, so a
    malformed alert is delivered rather than silently filtered out."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return len(SEVERITIES)


@dataclass(frozen=True)
class Routing:
    min_severity: Severity = "info"
    events: frozenset[str] = frozenset(DEFAULT_EVENTS)
    # Rule names; empty means every rule.
    rules: frozenset[str] = frozenset()

    @classmethod
    def of(cls, min_severity: Severity, events: Iterable[str], rules: Iterable[str]) -> Routing:
        return cls(min_severity, frozenset(events), frozenset(rules))

    def accepts(self, alert: Alert) -> bool:
        return (alert.event in self.events
                and (not self.rules or alert.rule in self.rules)
                and severity_rank(alert.severity) >= severity_rank(self.min_severity))

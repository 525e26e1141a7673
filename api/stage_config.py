"""What the API reads of the other stages' config files, handed to it by the entry point.

The rules file is the alerts stage's and the sources file the collectors': each plug-in's
config model belongs to its stage. The API imports no other stage (``tests/test_layers.py``),
so whoever builds the app (``tocsin_launch.api_wiring`` for ``tocsin api``) gives
``create_app`` a :class:`StageConfig` made from the stages' own loaders. Each reader raises
a :class:`~tocsin.errors.ConfigError` naming the file and the mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tocsin.errors import ConfigError


@dataclass(frozen=True)
class RuleView:
    """One rule as the API shows and uses it."""

    name: str
    type: str
    severity: str
    description: str
    filter: dict[str, Any]
    """The item filter's given conditions, by the rules file's names (``categories``,
    ``min_score``, ``languages``, ``countries``, ``admin1``, ``places``, ``sources``,
    ``source_types``): why an item counted, and what ``/baseline`` counts."""
    group_by: list[str] = field(default_factory=list)
    window_s: float | None = None
    """The rule's window, for the rule types that count over one."""

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "severity": self.severity,
                "description": self.description}


RulesReader = Callable[[Path, bool], list[RuleView]]
"""``(path, dotted_paths)`` → the rules of the file; ``dotted_paths=False`` refuses a rule type
by dotted path (it would import code of the sender's choosing) for files sent to the API."""

SourcesReader = Callable[[Path], list[dict[str, Any]]]
"""``path`` → each configured source as JSON (with its ``name``)."""


@dataclass(frozen=True)
class StageConfig:
    read_rules: RulesReader
    read_sources: SourcesReader

    def rule(self, path: Path, name: str) -> RuleView | None:
        """The named rule of the running rules file; None if it is gone or the file is unreadable."""
        try:
            rules = self.read_rules(path, True)
        except ConfigError:
            return None
        return next((rule for rule in rules if rule.name == name), None)

"""What the entry point hands the HTTP API: the stages' own readers of their config files.

``PUT /rules`` validates a new rules file with the alerts stage's loader, ``GET /sources``
reads the sources with the collectors', and an alert's detail and ``/baseline`` read the
rule that raised it. The API imports no other stage (``tests/test_layers.py``), so it
gets them here, as an :class:`api.stage_config.StageConfig`, from whoever builds the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alerts.rules import load_rules
from alerts.rules.base import ItemFilter, RuleConfig
from api.stage_config import RuleView, StageConfig
from collectors.config import load_sources


def stage_config() -> StageConfig:
    return StageConfig(read_rules=read_rules, read_sources=read_sources)


def read_rules(path: Path, dotted_paths: bool) -> list[RuleView]:
    """The rules of ``path`` as the API shows them; ``RuleConfigError`` (a ``ConfigError``)
    if any is wrong."""
    return [rule_view(rule.config) for rule in load_rules(path, dotted_paths=dotted_paths)]


def rule_view(config: RuleConfig) -> RuleView:
    window = getattr(config, "window", None)
    return RuleView(name=config.name, type=config.type, severity=config.severity,
                    description=config.description, filter=given_conditions(config.filter),
                    group_by=list(config.group_by), window_s=None if window is None else float(window))


def given_conditions(item_filter: ItemFilter) -> dict[str, Any]:
    """The filter's given conditions, for a person reading why an item counted."""
    return {name: value for name, value in item_filter.model_dump(mode="json").items()
            if value not in ([], 0.0, None)}


def read_sources(path: Path) -> list[dict[str, Any]]:
    """Each configured source as JSON; ``SourceConfigError`` (a ``ConfigError``) if the file is wrong."""
    return [source.model_dump(mode="json") for source in load_sources(path)]

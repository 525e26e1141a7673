"""Rule types, one module each, found by the ``type:`` of a rule in YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alerts.rules.base import Rule
from alerts.rules.cardinality import CardinalityRule
from alerts.rules.first_seen import FirstSeenRule
from alerts.rules.flatline import FlatlineRule
from alerts.rules.frequency import FrequencyRule
from alerts.rules.percentage import PercentageRule
from alerts.rules.spike import SpikeRule
from tocsin.errors import ConfigError

RULE_TYPES: dict[str, type[Any]] = {
    "frequency": FrequencyRule,
    "spike": SpikeRule,
    "cardinality": CardinalityRule,
    "percentage": PercentageRule,
    "first_seen": FirstSeenRule,
    "flatline": FlatlineRule,
}


class RuleConfigError(ConfigError, ValueError):
    """A rules file is wrong; the message names the file, the rule and the field."""


def load_rules(path: Path) -> list[Rule]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleConfigError(f"{path}: cannot read rules: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise RuleConfigError(f"{path}: expected a mapping with a 'rules:' list")
    unknown = set(document) - {"rules"}
    if unknown:
        raise RuleConfigError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    rules: list[Rule] = []
    names: set[str] = set()
    for index, raw in enumerate(document["rules"]):
        label = f"{path}: rules[{index}]"
        if not isinstance(raw, dict):
            raise RuleConfigError(f"{label}: expected a mapping")
        if raw.get("name"):
            label += f" ({raw['name']})"
        rule_type = raw.get("type")
        if rule_type not in RULE_TYPES:
            raise RuleConfigError(
                f"{label}: type: unknown rule type {rule_type!r}; known: {', '.join(sorted(RULE_TYPES))}")
        cls = RULE_TYPES[rule_type]
        try:
            config = cls.config_model.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(rule)'}: {err['msg']}" for err in exc.errors())
            raise RuleConfigError(f"{label}: {problems}") from exc
        if config.name in names:
            raise RuleConfigError(f"{label}: name: duplicate rule name {config.name!r}")
        names.add(config.name)
        rules.append(cls(config))
    return rules

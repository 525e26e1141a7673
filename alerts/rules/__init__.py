"""Rule types, one module each, found by the ``type:`` of a rule in YAML.

``base.RULE_TYPES`` finds a type among this package's modules (each registers its
class with ``@register``), by entry point (``tocsin.rule_types``) or by dotted path;
nothing is listed here. The kernel the counting types share is ``counts`` (buckets
and samples), ``windowed`` (hopping windows) and ``raising`` (the alert they make).
"""

from __future__ import annotations

from pathlib import Path

from alerts.rules.base import RULE_TYPES, Rule
from tocsin.config_files import parse_plugin_list, read_yaml
from tocsin.errors import ConfigError


class RuleConfigError(ConfigError, ValueError):
    """A rules file is wrong; the message names the file, the rule and the field."""


def load_rules(path: Path, *, dotted_paths: bool = True) -> list[Rule]:
    """The rules of ``path``; :class:`RuleConfigError` on any problem (an empty file is one:
    write ``rules: []`` for none). ``dotted_paths=False`` refuses ``type: module:Class``,
    for files that arrive through the API."""
    document = read_yaml(path, RuleConfigError, none="rules: []")
    entries = parse_plugin_list(document, str(path), key="rules", registry=RULE_TYPES, error=RuleConfigError,
                                dotted_paths=dotted_paths)
    return [entry.plugin.target(entry.config) for entry in entries]

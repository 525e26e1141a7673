"""Rules reloaded without a restart: the worker checks the rules file now and
then, and swaps in the new rules only when the whole file is valid — a broken
edit is logged (naming file, rule and field) and the running rules stay."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from alerts.rules import RuleConfigError, load_rules
from alerts.rules.base import Rule

logger = logging.getLogger(__name__)


class RulesFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = self._digest()

    def _digest(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def changed(self) -> list[Rule] | None:
        """The new rules if the file changed and is valid; None otherwise."""
        digest = self._digest()
        if digest is None or digest == self._seen:
            return None
        self._seen = digest  # a broken file is reported once, not at every check
        try:
            rules = load_rules(self.path)
        except RuleConfigError as exc:
            logger.error("rules not reloaded, keeping the running ones: %s", exc)
            return None
        logger.info("rules reloaded from %s: %s", self.path, ", ".join(r.config.name for r in rules))
        return rules

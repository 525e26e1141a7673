"""Run stock ElastAlert2 and report what it holds: started by ``bench/alert_latency.py``.

This file runs with the ElastAlert2 virtualenv's Python (ElastAlert2 pins an
Elasticsearch client that cannot live beside Tocsin's), so it imports nothing
from Tocsin. It changes nothing in how ElastAlert2 runs; it only wraps
``ElastAlerter.handle_rule_execution`` to note when each rule run started and
how long it took, and appends one JSON line to the status file after every run:
``{"t": wall time, "took": s, "groups": keys the frequency rule holds, "events": events it holds}``.

Usage: ``python elastalert_runner.py STATUS_FILE -- <elastalert arguments>``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any


def main(argv: list[str]) -> int:
    status_path, _, ea_args = argv[0], argv[1], argv[2:]
    from elastalert import elastalert as ea

    lock = threading.Lock()
    original = ea.ElastAlerter.handle_rule_execution

    def timed(self: Any, rule: dict[str, Any]) -> Any:
        started = time.time()
        try:
            return original(self, rule)
        finally:
            took = time.time() - started
            occurrences = getattr(rule.get("type"), "occurrences", {}) or {}
            line = {"t": started, "took": took, "groups": len(occurrences),
                    "events": sum(window.count() for window in list(occurrences.values()))}
            with lock, open(status_path, "a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")

    ea.ElastAlerter.handle_rule_execution = timed
    ea.main(ea_args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

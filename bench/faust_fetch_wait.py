"""``tocsin`` with Faust's consumer fetch wait changed: a profiling aid for the benches only.

Faust builds its Kafka consumer with ``fetch_max_wait_ms=1500`` and offers no
setting for it. Apache Kafka answers a fetch as soon as records arrive, so the
value costs nothing there; Tansu, the local test broker, answers a fetch of
several partitions only when the wait is up, so on Tansu every Faust hop can
wait up to 1.5 s. To measure how much of the alert latency that is, this runs
the ``tocsin`` CLI with ``aiokafka.AIOKafkaConsumer`` given another wait.
Nothing in Tocsin's production path uses it.

Usage: ``python -m bench.faust_fetch_wait MS <tocsin arguments>``.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import aiokafka

FAUST_DEFAULT_MS = 1500


def patch(wait_ms: int) -> None:
    """Every consumer asking for Faust's 1,500 ms wait gets ``wait_ms`` instead."""
    original = aiokafka.AIOKafkaConsumer.__init__

    @functools.wraps(original)
    def init(self: Any, *topics: Any, **kwargs: Any) -> None:
        if kwargs.get("fetch_max_wait_ms") == FAUST_DEFAULT_MS:
            kwargs["fetch_max_wait_ms"] = wait_ms
        original(self, *topics, **kwargs)

    aiokafka.AIOKafkaConsumer.__init__ = init


def main(argv: list[str]) -> int:
    wait_ms = int(argv[0])
    if not 0 <= wait_ms <= 60_000:
        raise SystemExit(f"fetch wait {wait_ms} ms: expected 0–60000")
    patch(wait_ms)
    from tocsin.cli import main as tocsin_main

    return tocsin_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Exceptions a hot path catches so that the stream goes on: counted, and logged where a person sees them.

A catch-all that keeps one bad item from stopping a worker also hides a bug that
hits every item. So each one calls :func:`swallowed`: the labelled Prometheus
counter ``tocsin_swallowed_exceptions_total{where, error}`` goes up (the
processors worker serves it at ``/metrics``), and a warning names the place and
the exception, with its traceback the first time each (place, exception class)
is seen in the process, so a flood of them does not flood the log too.

``where`` is one of a fixed set of names (the module's job and step), never
anything from the input: labels must stay few.
"""

from __future__ import annotations

import logging
from threading import Lock

from prometheus_client import REGISTRY, Counter

SWALLOWED = Counter("tocsin_swallowed_exceptions",
                    "Exceptions caught on a hot path so that the stream goes on, by place and class",
                    ["where", "error"])
METRIC = "tocsin_swallowed_exceptions_total"

_traced: set[tuple[str, str]] = set()
_traced_lock = Lock()


def swallowed(where: str, exc: BaseException, logger: logging.Logger, consequence: str) -> None:
    """Count ``exc``, caught at ``where``, and warn: ``consequence`` says what the stream does instead."""
    error = type(exc).__name__
    SWALLOWED.labels(where=where, error=error).inc()
    with _traced_lock:
        first = (where, error) not in _traced
        _traced.add((where, error))
    logger.warning("%s failed (%s: %s); %s%s", where, error, exc, consequence,
                   "" if first else " (traceback logged the first time)", exc_info=exc if first else None)


def swallowed_count(where: str) -> float:
    """How many exceptions ``where`` has swallowed in this process, of every class."""
    total = 0.0
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            if sample.name == METRIC and sample.labels.get("where") == where:
                total += sample.value
    return total

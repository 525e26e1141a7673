"""When to poll a feed next: pure arithmetic, so the rules are tested without clocks.

Rules:

* A feed starts at its configured interval.
* A poll that brings new entries halves the interval; a poll that brings none
  (304, same body, or only seen entries) stretches it by half.
* Adaptation stays within a factor of ``STRETCH`` of the configured interval and
  within ``[min_interval_s, max_interval_s]``: a busy feed is never hammered, and a
  quiet feed that wakes up is noticed within a few of its configured intervals. A
  configured interval outside those bounds is the operator's explicit choice and
  is kept as the bound on that side.
* A failed poll does not touch the interval. The next attempt waits the interval
  times ``2**(failures - 1)``, capped at ``max_interval_s`` (or the interval, if
  larger), so a broken feed is backed off rather than hammered, and returns to
  its cadence after the first success. A server's ``Retry-After`` is a floor.
* Every delay gets jitter, so feeds configured alike do not poll in lock-step.
"""

from __future__ import annotations

import random

BUSY_FACTOR = 0.5
QUIET_FACTOR = 1.5
STRETCH = 4.0
POLL_JITTER = 0.1
"""±10% on a healthy feed's delay."""
FAILURE_JITTER = 0.2
"""±20% on a failing feed's delay: failures of one host tend to come together."""


def interval_bounds(configured: float, *, min_s: float, max_s: float) -> tuple[float, float]:
    """The ``(shortest, longest)`` interval adaptation may reach for this feed."""
    low = min(configured, max(min_s, configured / STRETCH))
    high = max(configured, min(max_s, configured * STRETCH))
    return low, high


def adapt_interval(current: float | None, configured: float, *, new_entries: bool,
                   min_s: float, max_s: float) -> float:
    """The interval after a successful poll; ``current`` None means the first poll."""
    low, high = interval_bounds(configured, min_s=min_s, max_s=max_s)
    # Clamp first: the configured interval may have changed since the state was written.
    current = min(high, max(low, configured if current is None else current))
    if new_entries:
        return max(low, current * BUSY_FACTOR)
    return min(high, current * QUIET_FACTOR)


def jittered(delay: float, rng: random.Random, spread: float) -> float:
    return delay * (1.0 - spread + 2.0 * spread * rng.random())


def success_delay(interval: float, rng: random.Random) -> float:
    return jittered(interval, rng, POLL_JITTER)


def failure_delay(failures: int, interval: float, *, max_s: float, rng: random.Random,
                  retry_after_s: float | None = None) -> float:
    """Seconds until the next attempt after ``failures`` consecutive failures (≥ 1)."""
    cap = max(max_s, interval)
    exponent = min(max(failures, 1) - 1, 30)  # 2**30 intervals exceeds any cap; avoids overflow
    delay = min(cap, jittered(interval * 2.0 ** exponent, rng, FAILURE_JITTER))
    if retry_after_s is not None:
        delay = max(delay, min(cap, retry_after_s))
    return delay

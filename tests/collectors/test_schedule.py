"""collectors.schedule: the adaptive interval and failure backoff rules."""

from __future__ import annotations

import random

import pytest

from collectors.schedule import adapt_interval, failure_delay, interval_bounds, success_delay

MIN_S, MAX_S = 60.0, 6 * 3600.0


def adapt(current: float | None, configured: float, new: bool) -> float:
    return adapt_interval(current, configured, new_entries=new, min_s=MIN_S, max_s=MAX_S)


def test_first_poll_starts_from_the_configured_interval() -> None:
    assert adapt(None, 900, new=True) == 450
    assert adapt(None, 900, new=False) == 1350


def test_new_entries_halve_the_interval_down_to_a_quarter_of_the_configured() -> None:
    assert adapt(900, 900, new=True) == 450
    assert adapt(300, 900, new=True) == 225
    assert adapt(225, 900, new=True) == 225


def test_new_entries_never_go_below_min_interval() -> None:
    assert adapt(100, 120, new=True) == MIN_S


def test_quiet_polls_stretch_the_interval_up_to_four_times_the_configured() -> None:
    assert adapt(900, 900, new=False) == 1350
    assert adapt(3000, 900, new=False) == 3600
    assert adapt(3600, 900, new=False) == 3600


def test_quiet_polls_never_exceed_max_interval() -> None:
    assert adapt(5 * 3600, 4 * 3600, new=False) == MAX_S


def test_configured_interval_outside_the_bounds_is_kept_as_the_bound() -> None:
    assert interval_bounds(10, min_s=MIN_S, max_s=MAX_S) == (10, 40)
    assert interval_bounds(86400, min_s=MIN_S, max_s=MAX_S) == (MIN_S * 360, 86400)


def test_stored_interval_is_clamped_when_the_configured_interval_changed() -> None:
    assert adapt(20_000, 600, new=True) == 1200  # clamped to 4 × 600, then halved


def test_failure_backoff_doubles_with_each_consecutive_failure() -> None:
    delays = [failure_delay(n, 600, max_s=MAX_S, rng=random.Random(0)) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        assert 0.8 * 600 * 2 ** (n - 1) <= delay <= 1.2 * 600 * 2 ** (n - 1)


def test_failure_backoff_is_capped_at_max_interval() -> None:
    assert failure_delay(40, 600, max_s=MAX_S, rng=random.Random(0)) <= MAX_S
    assert failure_delay(10**6, 600, max_s=MAX_S, rng=random.Random(0)) <= MAX_S


def test_retry_after_is_a_floor_on_the_failure_delay() -> None:
    assert failure_delay(1, 60, max_s=MAX_S, rng=random.Random(0), retry_after_s=1800) == 1800
    assert failure_delay(1, 60, max_s=MAX_S, rng=random.Random(0), retry_after_s=10**9) == MAX_S


@pytest.mark.parametrize("seed", range(20))
def test_success_delay_is_jittered_within_ten_percent(seed: int) -> None:
    assert 900 <= success_delay(1000, random.Random(seed)) <= 1100

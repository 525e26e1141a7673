"""Window arithmetic of the rules engine (``alerts.windows``), by property: every
observation lands in the one bucket that holds its time, every window that holds
it is returned, counts over a window equal a brute-force count, and state stays
bounded however late or early items arrive."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.state import MappingStore
from alerts.windows import Bucket, Buckets

steps = st.sampled_from([1.0, 30.0, 60.0, 300.0, 3600.0])
# Event times at millisecond resolution, as items carry them, over ~30 years of epoch seconds.
times = st.integers(min_value=0, max_value=10**12).map(lambda ms: ms / 1000)


class Tally(Bucket, total=False):
    n: int


def count(state: Tally | None) -> Tally:
    return {"n": (state or {}).get("n", 0) + 1}


@given(times, steps)
@settings(max_examples=500, deadline=None)
def test_a_time_falls_in_exactly_the_bucket_that_starts_at_or_before_it(ts: float, step: float) -> None:
    buckets: Buckets[Tally] = Buckets(MappingStore(), "p", step=step, keep=10 * step)
    start = buckets.start(ts)
    assert start <= ts < start + step
    assert start % step == 0
    assert buckets.start(start) == start


@given(times, steps, st.integers(min_value=1, max_value=24))
@settings(max_examples=300, deadline=None)
def test_every_window_holding_a_time_is_returned_once(ts: float, step: float, width: int) -> None:
    buckets: Buckets[Tally] = Buckets(MappingStore(), "p", step=step, keep=4 * width * step)
    windows = buckets.windows_holding(ts, width)
    starts = [start for start, _ in windows]
    assert len(windows) == width and len(set(starts)) == width
    assert all(len(states) == width for _, states in windows)
    assert starts == sorted(starts) and all(b - a == step for a, b in pairwise(starts))
    for start in starts:
        assert start <= ts < start + width * step  # the window [start, start + width·step) holds ts
    # and no other window does: one step before the first or after the last misses ts
    assert not starts[0] - step <= ts < starts[0] - step + width * step
    assert not starts[-1] + step <= ts


@given(st.lists(st.integers(min_value=0, max_value=36_000), min_size=1, max_size=60), steps,
       st.integers(min_value=1, max_value=12))
@settings(max_examples=200, deadline=None)
def test_window_counts_equal_a_brute_force_count(offsets: list[int], step: float, width: int) -> None:
    base = 1_700_000_000.0
    keep = 10**9  # nothing is dropped here: this test is about placement, not retention
    buckets: Buckets[Tally] = Buckets(MappingStore(), "p", step=step, keep=keep)
    stamps = [base + offset for offset in offsets]
    for ts in stamps:
        assert buckets.fold(ts, count)
    for ts in stamps:
        for start, states in buckets.windows_holding(ts, width):
            expected = sum(1 for other in stamps if start <= other < start + width * step)
            assert sum(state.get("n", 0) for state in states) == expected


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=80), steps,
       st.integers(min_value=0, max_value=20))
@settings(max_examples=200, deadline=None)
def test_state_stays_bounded_and_too_late_items_change_nothing(offsets: list[int], step: float,
                                                                 keep_steps: int) -> None:
    store = MappingStore()
    keep = keep_steps * step
    buckets: Buckets[Tally] = Buckets(store, "p", step=step, keep=keep)
    newest: float | None = None
    for offset in offsets:
        ts = 1_700_000_000.0 + offset
        before = {name: store.get(name) for name in store.names()}
        accepted = buckets.fold(ts, count)
        own = buckets.start(ts)
        if newest is not None and own < newest - keep:
            assert not accepted
            assert {name: store.get(name) for name in store.names()} == before
        else:
            assert accepted
            newest = own if newest is None else max(newest, own)
        bucket_keys = [name for name in store.names() if "|b|" in name]
        assert len(bucket_keys) <= keep_steps + 1
        assert all(buckets.start(float(key.rsplit("|", 1)[1])) >= newest - keep for key in bucket_keys)

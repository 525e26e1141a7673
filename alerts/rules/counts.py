"""The kernel the counting rule types share: an item as a sample, a count bucket, and a
window merged from buckets.

A bucket is the state of one group over one step of event time (see
:mod:`alerts.windows`); it is a small JSON object in the state store, typed here so
that every rule type folds and merges the same fields the same way. The layout is
the one stored since the first release: a worker's changelogged table reads as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypedDict

from alerts.windows import Bucket
from tocsin.schema import ItemSignal


class Sample(TypedDict):
    """A contributing item, as an alert names it."""

    id: str
    title: str
    url: str | None
    loc: dict[str, float] | None


class CountBucket(Bucket, total=False):
    """Matching items in a bucket (or a window): how many, when, and the first few."""

    count: int
    first: float
    last: float
    samples: list[Sample]


def sample_of(signal: ItemSignal) -> Sample:
    return {"id": signal.item_id, "title": signal.title, "url": signal.url, "loc": signal.location}


def with_sample(samples: Sequence[Sample], sample: Sample, limit: int) -> list[Sample]:
    """``samples`` and ``sample``, unless it is there already or ``limit`` is reached."""
    kept = list(samples)
    if len(kept) < limit and all(s["id"] != sample["id"] for s in kept):
        kept.append(sample)
    return kept


def add_match(state: CountBucket | None, signal: ItemSignal, limit: int) -> CountBucket:
    """Fold one matching item into a bucket: count, first/last seen, up to ``limit`` samples."""
    folded: CountBucket = {**(state or {})}
    ts = signal.event_time.timestamp()
    folded["count"] = folded.get("count", 0) + 1
    folded["first"] = min(folded.get("first", ts), ts)
    folded["last"] = max(folded.get("last", ts), ts)
    folded["samples"] = with_sample(folded.get("samples", []), sample_of(signal), limit)
    return folded


def merge_samples(states: Iterable[CountBucket], limit: int) -> list[Sample]:
    """The first ``limit`` distinct samples of the buckets, in order."""
    kept: list[Sample] = []
    seen: set[str] = set()
    for state in states:
        for sample in state.get("samples", []):
            if sample["id"] not in seen:
                seen.add(sample["id"])
                kept.append(sample)
                if len(kept) == limit:
                    return kept
    return kept


def latest_samples(states: Sequence[CountBucket], limit: int) -> list[Sample]:
    """The most recent samples, newest bucket first: what came last before a silence."""
    return [sample for state in reversed(states) for sample in state.get("samples", [])][:limit]


def merge_counts(states: Sequence[CountBucket], limit: int) -> CountBucket:
    """A window's state from its buckets' states."""
    filled = [s for s in states if s.get("count")]
    if not filled:
        return {"count": 0, "samples": []}
    return {"count": sum(s["count"] for s in filled),
            "first": min(s["first"] for s in filled), "last": max(s["last"] for s in filled),
            "samples": merge_samples(filled, limit)}

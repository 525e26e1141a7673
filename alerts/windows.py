"""Sliding windows over fixed buckets, kept in a ``StateStore``.

A group's history is cut into buckets of ``step`` seconds of event time, each
its own small state entry; a window of ``window`` seconds is the ``window /
step`` buckets that end at some bucket. An item may arrive late (up to
``keep`` seconds behind the newest bucket) and still lands in its own bucket.
Buckets older than ``keep`` are deleted as new ones open, so state stays bounded.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Generic, TypedDict, TypeVar, cast

from alerts.state import StateStore

MAX_IDS = 2000
"""Item ids remembered per bucket, to fold a redelivered item only once."""


class Bucket(TypedDict, total=False):
    """What every bucket holds; a rule type's bucket (``alerts.rules.counts``) adds its own fields."""

    _ids: list[str]
    """Short hashes of the items folded in."""


B = TypeVar("B", bound=Bucket)


class BucketIndex(TypedDict):
    starts: list[float]
    """The start of every bucket kept, oldest first."""


class Buckets(Generic[B]):
    def __init__(self, store: StateStore, prefix: str, *, step: float, keep: float) -> None:
        self.store = store
        self.prefix = prefix
        self.step = step
        self.keep = keep

    def start(self, ts: float) -> float:
        return math.floor(ts / self.step) * self.step

    def _key(self, start: float) -> str:
        return f"{self.prefix}|b|{start:.0f}"

    def _index_key(self) -> str:
        return f"{self.prefix}|idx"

    def _index(self) -> BucketIndex:
        return cast(BucketIndex, self.store.get(self._index_key()) or {"starts": []})

    def fold(self, ts: float, fold: Callable[[B | None], B], item_id: str | None = None) -> bool:
        """Fold one observation into its bucket. False when it is older than ``keep``.

        With ``item_id``, an item already folded into the bucket is not folded
        again: delivery is at-least-once, and a worker that crashed after
        publishing a batch publishes it again. Up to ``MAX_IDS`` ids are kept per
        bucket (as short hashes); past that, a replayed item may count twice.
        """
        start = self.start(ts)
        starts = self._index()["starts"]
        newest = max(starts, default=start)
        if start < newest - self.keep:
            return False
        current = cast(B | None, self.store.get(self._key(start)))
        ids = list(current["_ids"]) if current and "_ids" in current else []
        folded = fold(current)
        if item_id:
            digest = hashlib.blake2b(item_id.encode(), digest_size=6).hexdigest()
            if digest in ids:
                return True
            if len(ids) < MAX_IDS:
                ids.append(digest)
            folded["_ids"] = ids
        self.store.put(self._key(start), folded)
        if start not in starts:
            horizon = max(newest, start) - self.keep
            kept = sorted(s for s in [*starts, start] if s >= horizon)
            for gone in set(starts) - set(kept):
                self.store.delete(self._key(gone))
            self.store.put(self._index_key(), BucketIndex(starts=kept))
        return True

    def earliest(self) -> float | None:
        """The start of the oldest bucket kept (None: nothing yet): where the group's history starts."""
        return min(self._index()["starts"], default=None)

    def get(self, start: float) -> B:
        """The bucket starting at ``start``; an empty one (``{}``) if nothing fell in it."""
        return cast(B, self.store.get(self._key(start)) or {})

    def span(self, last_start: float, count: int) -> list[tuple[float, B]]:
        """``count`` consecutive buckets ending with the one starting at ``last_start``."""
        first = last_start - (count - 1) * self.step
        return [(first + i * self.step, self.get(first + i * self.step)) for i in range(count)]

    def windows_holding(self, ts: float, width: int) -> list[tuple[float, list[B]]]:
        """Every window of ``width`` buckets that holds ``ts``: (window start, its buckets)."""
        own = self.start(ts)
        spans = self.span(own + (width - 1) * self.step, 2 * width - 1)
        return [(spans[i][0], [state for _, state in spans[i:i + width]]) for i in range(width)]

    def clear(self) -> None:
        for start in self._index()["starts"]:
            self.store.delete(self._key(start))
        self.store.delete(self._index_key())

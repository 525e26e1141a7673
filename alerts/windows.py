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
from typing import Any

from alerts.state import StateStore

Fold = Callable[[dict[str, Any] | None], dict[str, Any]]

IDS = "_ids"
"""Bucket key holding the (hashed) ids of the items folded in."""
MAX_IDS = 2000


class Buckets:
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

    def fold(self, ts: float, fold: Fold, item_id: str | None = None) -> bool:
        """Fold one observation into its bucket. False when it is older than ``keep``.

        With ``item_id``, an item already folded into the bucket is not folded
        again: delivery is at-least-once, and a worker that crashed after
        publishing a batch publishes it again. Up to ``MAX_IDS`` ids are kept per
        bucket (as short hashes); past that, a replayed item may count twice.
        """
        start = self.start(ts)
        index = self.store.get(self._index_key()) or {"starts": []}
        starts: list[float] = index["starts"]
        newest = max(starts, default=start)
        if start < newest - self.keep:
            return False
        current = self.store.get(self._key(start))
        ids: list[str] = list((current or {}).get(IDS, []))
        folded = fold(current)
        if item_id:
            digest = hashlib.blake2b(item_id.encode(), digest_size=6).hexdigest()
            if digest in ids:
                return True
            if len(ids) < MAX_IDS:
                ids.append(digest)
            folded[IDS] = ids
        self.store.put(self._key(start), folded)
        if start not in starts:
            horizon = max(newest, start) - self.keep
            kept = sorted(s for s in [*starts, start] if s >= horizon)
            for gone in set(starts) - set(kept):
                self.store.delete(self._key(gone))
            self.store.put(self._index_key(), {"starts": kept})
        return True

    def get(self, start: float) -> dict[str, Any]:
        return self.store.get(self._key(start)) or {}

    def span(self, last_start: float, count: int) -> list[tuple[float, dict[str, Any]]]:
        """``count`` consecutive buckets ending with the one starting at ``last_start``."""
        first = last_start - (count - 1) * self.step
        return [(first + i * self.step, self.get(first + i * self.step)) for i in range(count)]

    def windows_holding(self, ts: float, width: int) -> list[tuple[float, list[dict[str, Any]]]]:
        """Every window of ``width`` buckets that holds ``ts``: (window start, its buckets)."""
        own = self.start(ts)
        spans = self.span(own + (width - 1) * self.step, 2 * width - 1)
        return [(spans[i][0], [state for _, state in spans[i:i + width]]) for i in range(width)]

    def clear(self) -> None:
        index = self.store.get(self._index_key()) or {"starts": []}
        for start in index["starts"]:
            self.store.delete(self._key(start))
        self.store.delete(self._index_key())

"""Where a processors worker's batches spent their time, read from its INFO log.

Per batch the worker logs (elastic-transport) the dedupe ``_mget`` and the
``_bulk`` with their durations, then ``batch: N in, ...``. With those time stamps
one batch splits into: waiting for records (take), the dedupe lookup, enrich +
publish to ``items.enriched`` (everything between the lookup and the bulk), and
the archive bulk. No code of the worker is changed to get this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_LINE = re.compile(r"^\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] \[\d+\] \[\w+\] (?P<msg>.*)$")
_REQUEST = re.compile(r"/(?P<api>_mget|_bulk)\?.*duration:(?P<s>\d+(?:\.\d+)?)s")
_BATCH = re.compile(r"^batch: (?P<n>\d+) in")


@dataclass
class BatchTimes:
    batches: int = 0
    items: int = 0
    take_s: float = 0.0
    mget_s: float = 0.0
    enrich_publish_s: float = 0.0
    bulk_s: float = 0.0

    def summary(self) -> str:
        busy = self.take_s + self.mget_s + self.enrich_publish_s + self.bulk_s
        if not self.batches or busy <= 0:
            return "no batches"

        def part(name: str, seconds: float) -> str:
            return f"{name} {seconds:.1f} s ({100 * seconds / busy:.0f}%)"

        return (f"{self.batches} batches, {self.items:,} items, {self.items / self.batches:.0f}/batch: "
                + ", ".join([part("waiting for records", self.take_s), part("dedupe mget", self.mget_s),
                             part("decode+enrich+publish", self.enrich_publish_s),
                             part("archive bulk", self.bulk_s)]))


def _ts(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def batch_times(log: Path, offset: int = 0) -> BatchTimes:
    """Batch timings from ``offset`` (bytes) of a worker's log to its end."""
    times = BatchTimes()
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", errors="replace")
    previous: float | None = None
    mget: tuple[float, float] | None = None
    bulk: tuple[float, float] | None = None
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        at, message = _ts(match["ts"]), match["msg"]
        if request := _REQUEST.search(message):
            if request["api"] == "_mget":
                mget = (at, float(request["s"]))
            else:
                bulk = (at, float(request["s"]))
        elif batch := _BATCH.match(message):
            if mget is not None and bulk is not None:
                times.batches += 1
                times.items += int(batch["n"])
                if previous is not None:
                    times.take_s += max(0.0, mget[0] - mget[1] - previous)
                times.mget_s += mget[1]
                times.enrich_publish_s += max(0.0, bulk[0] - bulk[1] - mget[0])
                times.bulk_s += bulk[1]
            previous, mget, bulk = at, None, None
    return times

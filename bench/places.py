"""Speed and memory of the geoparser; run ``taskset -c 0 python -m bench.places``.

Pinned to one core, it gives per-core figures. Inputs: the GeoVirus WikiNews
articles (about 1,700 characters: full news text; an evaluation set, only
timed here), the same cut to RSS size (title + the first 300 characters),
the MLMA Arabic training tweets, and geotagged posts. Each rate is the best of
five rounds of this process's CPU time (not wall time: on a shared machine
other jobs would otherwise count against us), so a busy machine — whose jobs
still share caches and hyper-threads — shows less than an idle one, not more.

Memory: RSS before and after ``build_compact()`` (what ``shared_gazetteer``
does: the disk cache, or a build in a child, unpickled here), with the heap
trimmed around it. Build: a fresh build with the cache off in processes of
its own, up to a first ``locate`` (the name automaton is built from its keys
when the gazetteer is loaded), wall and CPU seconds (the issue's budget: 15 s,
250 MB of RSS).

The per-mention path runs compiled (mypyc, built by ``make install``) unless
``TOCSIN_PURE_PYTHON=1`` or the build could not compile it
(:mod:`processors.geo.native`); the first line says which. Run both to compare.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import os
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import Any

from processors.folding import fold
from processors.geo import native
from processors.geo.gazetteer import LocateRequest
from processors.geo.shared import build_compact
from tests.processors.conftest import shared_data

TARGET = 3_000      # items/s on one core, news-length text (issue 13)
RSS_TARGET = 10_000  # items/s on one core, RSS-sized items


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def trim() -> None:
    """Give freed heap back to the OS so RSS shows what is really kept."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def best_rate(function: Callable[[Any], object], inputs: Sequence[Any], rounds: int = 5,
              seconds: float = 0.6) -> float:
    """Items per CPU second: the best of ``rounds`` rounds of at least ``seconds`` each."""
    best = 0.0
    for _ in range(rounds):
        done, start = 0, time.process_time()
        while time.process_time() - start < seconds:
            for value in inputs:
                function(value)
            done += len(inputs)
        best = max(best, done / (time.process_time() - start))
    return best


def inputs() -> dict[str, list[str]]:
    data = shared_data()
    if data is None:
        raise SystemExit("shared/data not found (set TOCSIN_SHARED_DATA)")
    articles = [a.findtext("text") or "" for a in ET.parse(data / "places" / "GeoVirus.xml").getroot()]
    with (data / "hate" / "mlma2019_ar.csv").open(encoding="utf-8", newline="") as handle:
        tweets = [row["tweet"] for row in csv.DictReader(handle)][:1000]
    return {"article": articles, "rss": [text[:380] for text in articles], "arabic": tweets}


def main() -> None:
    texts = inputs()
    trim()
    before, start = rss_mb(), time.perf_counter()
    gazetteer = build_compact()     # from the cache, or built (and cached) if there is none
    loaded = time.perf_counter() - start
    trim()
    grown = rss_mb() - before
    # a fresh build, cache off, in a process of its own (so this one's heap stays as measured)
    start, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "from processors.geo.shared import build_compact; "
                    "build_compact(cache=False).locate('Paris')"], check=True)  # ready to use
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    built = time.perf_counter() - start
    built_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    cpu = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    print(f"gazetteer: {gazetteer.keys:,} names; a fresh build {built:.1f} s ({built_cpu:.1f} s CPU, build "
          f"and load), loaded in {loaded:.1f} s; RSS +{grown:.0f} MB")
    print(f"pinned to CPU(s) {sorted(cpu)}; best of 5 rounds; per-mention path: "
          + ("compiled (mypyc)" if native.compiled() else f"pure Python ({native.why_pure()})") + "\n")

    article_folded = [fold(text) for text in texts["article"]]
    geotagged = [(text, {"lat": -1.68 + i * 0.01, "lon": 29.22}) for i, text in enumerate(texts["rss"])]
    batch = [LocateRequest(folded, 0, None, "en", None) for folded in article_folded]
    rows: list[tuple[str, float]] = [
        ("news article, from text", best_rate(gazetteer.locate, texts["article"])),
        ("news article, pre-folded", best_rate(gazetteer.locate, article_folded)),
        ("news article, locate_many", best_rate(lambda _: gazetteer.locate_many(batch), [0]) * len(batch)),
        ("RSS item (380 chars)", best_rate(gazetteer.locate, texts["rss"])),
        ("Arabic tweet (MLMA)", best_rate(gazetteer.locate, texts["arabic"])),
        ("geotagged RSS item", best_rate(lambda pair: gazetteer.locate(pair[0], geotag=pair[1]), geotagged)),
    ]
    print(f"{'input':28s} {'items/s':>9s} {'µs/item':>9s}")
    for name, rate in rows:
        print(f"{name:28s} {rate:9,.0f} {1e6 / rate:9.0f}")
    print()
    for rate, target, what in ((rows[0][1], TARGET, "news article from text"),
                               (rows[3][1], RSS_TARGET, "RSS item")):
        verdict = "meets" if rate >= target else "MISSES"
        print(f"{what}: {rate:,.0f} items/s {verdict} the target of {target:,}/s on one core")
    mentions = sum(len(gazetteer.locate(t, all_mentions=True).places) for t in texts["article"])
    print(f"({mentions / len(texts['article']):.1f} mentions per article; "
          f"{sum(map(len, texts['article'])) / len(texts['article']):,.0f} characters)")


if __name__ == "__main__":
    main()

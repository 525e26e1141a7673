"""What both classification harnesses share: rows through the stream's own enrichment, timed.

Each row becomes an item with no language hint, so the language is detected
as in the stream, and goes through the enrichment ``tocsin process`` runs
(``Enricher.from_settings``: the cascade of the classifiers file). Nothing is
downloaded. The encoder runs on every core here (``TOCSIN_ENCODER_THREADS``,
unless set): an evaluation is a batch job, not a worker sharing its host.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tocsin.schema import CategoryHit
from tocsin.settings import Settings

BATCH = 500
THREADS_VARIABLE = "TOCSIN_ENCODER_THREADS"


@dataclass(frozen=True)
class Scored:
    hits: list[dict[str, CategoryHit]]
    langs: list[str]
    seconds: float
    classifiers: str

    def rate_line(self) -> str:
        rate = len(self.hits) / self.seconds if self.seconds > 0 else 0.0
        return f"speed: {rate:,.1f} rows/s ({len(self.hits):,} rows in {self.seconds:.1f} s, models loaded)"


def score_texts(texts: Sequence[str], settings: Settings, source_name: str) -> Scored:
    """Enrich every text as an item; the categories and detected language of each, and the time taken."""
    os.environ.setdefault(THREADS_VARIABLE, str(os.cpu_count() or 1))
    from processors.enrich import Enricher
    from tocsin.schema import Item, SourceRef

    enricher = Enricher.from_settings(settings.processing)
    names = ", ".join(describe(classifier) for classifier in enricher.classifiers)
    now = datetime.now(UTC)
    source = SourceRef(type="eval", name=source_name)
    hits: list[dict[str, CategoryHit]] = []
    langs: list[str] = []
    started = time.perf_counter()
    for begin in range(0, len(texts), BATCH):
        items = []
        for offset, text in enumerate(texts[begin : begin + BATCH]):
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            items.append(
                Item(
                    id=f"{source_name}:{begin + offset}",
                    source=source,
                    text=text,
                    collected=now,
                    raw_sha256=digest,
                    content_sha256=digest,
                )
            )
        for enriched in enricher.enrich_many(items, now):
            hits.append(enriched.categories)
            langs.append(enriched.lang)
    return Scored(hits, langs, time.perf_counter() - started, names)


def describe(classifier: object) -> str:
    """``name/version``; a cascade as its stages, e.g. ``cascade/1 [keywords/1, gate/1 → encoder/1]``."""
    label = f"{getattr(classifier, 'name', type(classifier).__name__)}/{getattr(classifier, 'version', '?')}"
    first, second = getattr(classifier, "first", None), getattr(classifier, "second", None)
    if isinstance(first, list) and isinstance(second, list):
        stages = [", ".join(describe(c) for c in stage) or "–" for stage in (first, second)]
        label += f" [{stages[0]} → {stages[1]}]"
    return label

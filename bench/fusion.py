"""Speed of incident fusion; run ``taskset -c 0 python -m bench.fusion``.

A synthetic stream of hits: ``--items`` items over ``--hours`` of event time,
spread over ``--places`` (country, region) pairs, each place with a few
incidents at a time, texts that are rewrites, near-copies (a tenth) and bursts
from many accounts (a fiftieth), and 384-dimension unit vectors clustered by
incident, as multilingual-e5 gives them. Embeddings are precomputed: the
encoder has read every hit already when fusion asks (its cache), so this times
what fusion adds — MinHash sketches, the candidate search, the incident
updates — in batches of 500, as the processors run it. Best of three rounds.

Target: 1,000 items/s on one core (issue 17).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from processors.incidents.fusion import Fuser
from tocsin.schema import CategoryHit, EnrichedItem, Place, SourceRef
from tocsin.settings import IncidentSettings

TARGET = 1_000
SYLLABLES = ("ka", "ma", "ni", "to", "ru", "sa", "le", "bo", "di", "gu", "ne", "pa", "zi", "ho", "te", "wa")


def vocabulary(size: int = 3000, seed: int = 3) -> list[str]:
    """Made-up words (news-like spread: a few common, most rare)."""
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5)))) for _ in range(size)]


def stream(n: int, places: int, hours: float, seed: int = 5) -> tuple[list[EnrichedItem], np.ndarray]:
    rng = np.random.default_rng(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    incidents_per_place = max(2, round(n / places / 25))
    centers = rng.normal(size=(places, incidents_per_place, 384))
    items: list[EnrichedItem] = []
    vectors: list[np.ndarray] = []
    bursts: dict[int, str] = {}
    words_of = vocabulary()
    weights = 1.0 / np.arange(1, len(words_of) + 1)
    weights /= weights.sum()
    for i in range(n):
        place, incident = int(rng.integers(places)), int(rng.integers(incidents_per_place))
        minutes = float(rng.uniform(0, hours * 60))
        words = rng.choice(words_of, size=25, p=weights)
        text = f"Report {place}-{incident}: " + " ".join(words)
        author = f"acct{rng.integers(10**6)}"
        if rng.random() < 0.1 and i:  # a near-copy of an earlier text
            text = items[int(rng.integers(len(items)))].text + " (via wire)"
        if rng.random() < 0.02:  # a burst: one text, many accounts
            key = int(rng.integers(20))
            text = bursts.setdefault(key, text)
        country = f"C{place % 50:02d}"
        when = t0 + timedelta(minutes=minutes)
        items.append(
            EnrichedItem(
                id=f"b-{i}",
                source=SourceRef(type="bench", name=f"src{rng.integers(200)}"),
                title="",
                text=text,
                authors=[author],
                published=when,
                collected=when,
                raw_sha256="0" * 64,
                content_sha256="0" * 64,
                lang="en",
                lang_confidence=1.0,
                categories={"violence_report": CategoryHit(score=0.9, classifier="bench")},
                places=[
                    Place(
                        name=f"p{place}",
                        matched="",
                        kind="city",
                        country=country,
                        admin1=f"{country}.{place}",
                        lat=0.1 * place,
                        lon=0.1 * place,
                    )
                ],
                country=country,
                admin1=f"{country}.{place}",
                location={"lat": 0.1 * place, "lon": 0.1 * place},
                processed=when,
            )
        )
        vector = centers[place, incident] + 0.8 * rng.normal(size=384)
        vectors.append(vector / np.linalg.norm(vector))
    order = sorted(range(n), key=lambda k: items[k].event_time)
    return [items[k] for k in order], np.asarray(vectors, dtype=np.float32)[order]


def run(items: list[EnrichedItem], vectors: np.ndarray, batch: int) -> tuple[float, Fuser]:
    by_text: dict[str, np.ndarray] = {}
    for item, vector in zip(items, vectors, strict=True):
        by_text.setdefault(item.text, vector)

    def embed(texts: Sequence[str]) -> np.ndarray:  # the encoder's cache, in effect
        return np.stack([by_text[t] for t in texts])

    fuser = Fuser(IncidentSettings(), embed)
    started = time.perf_counter()
    for begin in range(0, len(items), batch):
        fuser.fuse(items[begin : begin + batch])
    return time.perf_counter() - started, fuser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--places", type=int, default=200)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    items, vectors = stream(args.items, args.places, args.hours)
    best, fuser = min((run(items, vectors, args.batch) for _ in range(3)), key=lambda r: r[0])
    flagged = sum(1 for i in fuser.incidents.values() if i.amplification is not None)
    print(
        f"fusion: {len(items) / best:,.0f} items/s on one core ({len(items):,} items in {best:.2f} s; "
        f"{len(fuser.incidents):,} incidents open, {flagged} with an amplification burst) "
        f"— target {TARGET:,}: {'met' if len(items) / best >= TARGET else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

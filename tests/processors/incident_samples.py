"""Enriched items for the incident tests, and a deterministic embedder that knows their stories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from tocsin.schema import CategoryHit, EnrichedItem, Place, SourceRef

T0 = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)

DARFUR: dict[str, Any] = {"country": "SD", "admin1": "SD.55", "location": {"lat": 13.63, "lon": 25.35}}
NORTH_DARFUR: dict[str, Any] = {"country": "SD", "admin1": "SD.49", "location": {"lat": 13.63, "lon": 25.36}}
KHARTOUM: dict[str, Any] = {"country": "SD", "admin1": "SD.29", "location": {"lat": 15.5, "lon": 32.56}}


def enriched(
    item_id: str,
    text: str,
    *,
    source: str = "wire",
    lang: str = "en",
    minutes: float = 0,
    category: str = "violence_report",
    score: float = 0.9,
    author: str | None = None,
    labels: dict[str, float] | None = None,
    place: dict[str, Any] | None = None,
    **fields: Any,
) -> EnrichedItem:
    where = DARFUR if place is None else place
    places = (
        [
            Place(
                name=f"place-{where.get('admin1')}",
                matched="x",
                kind="city",
                country=where["country"],
                admin1=where.get("admin1"),
                lat=where["location"]["lat"],
                lon=where["location"]["lon"],
            )
        ]
        if where.get("country")
        else []
    )
    when = T0 + timedelta(minutes=minutes)
    return EnrichedItem(
        id=item_id,
        source=SourceRef(type="rss", name=source),
        title=text.split(".")[0],
        text=text,
        authors=[author] if author else [],
        published=when,
        collected=when,
        raw_sha256="0" * 64,
        content_sha256=item_id,
        lang=lang,
        lang_confidence=0.9,
        categories={category: CategoryHit(score=score, classifier="test", labels=labels or {})}
        if category
        else {},
        places=places,
        country=where.get("country"),
        admin1=where.get("admin1"),
        location=where.get("location"),
        processed=when,
        **fields,
    )


class StoryEmbedder:
    """Vectors by keyword: texts naming one story point one way, whatever their language."""

    def __init__(self, stories: Mapping[str, Sequence[str]], dim: int = 16) -> None:
        self.stories = stories
        rng = np.random.default_rng(7)
        self.axes = {name: rng.normal(size=dim) for name in stories}
        self.noise = np.random.default_rng(11)
        self.dim = dim
        self.calls = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim))
        for row, text in enumerate(texts):
            lowered = text.lower()
            for name, words in self.stories.items():
                if any(word in lowered for word in words):
                    out[row] += self.axes[name]
            out[row] += 0.05 * self.noise.normal(size=self.dim)
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)

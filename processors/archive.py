"""The item archive: one Elasticsearch document per item, id = item id.

Indexing by item id makes the archive idempotent: a batch replayed after a crash
overwrites the same documents instead of adding copies. The archive is also the
dedupe memory of the processors (see ``known_hashes``), so it survives restarts
and is shared by every worker without a table of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch

from tocsin.schema import CategoryHit, EnrichedItem, Place
from tocsin.search import Rejected, bulk_index, install_index, sources_by_id

TEMPLATE_FILE = Path(__file__).with_name("templates") / "items.json"


def to_document(item: EnrichedItem) -> dict[str, Any]:
    """The archived form: flat fields an analyst can filter and aggregate on."""
    doc = item.model_dump(mode="json", exclude={"categories", "places"})
    doc["event_time"] = item.event_time.isoformat()
    doc["categories"] = sorted(item.categories)
    doc["scores"] = {name: hit.score for name, hit in item.categories.items()}
    doc["matched_terms"] = {name: hit.terms for name, hit in item.categories.items()}
    doc["classifiers"] = sorted({hit.classifier for hit in item.categories.values()})
    # Which model (name/version) scored each category: what an analyst's verdict is about.
    doc["models"] = {name: hit.classifier for name, hit in item.categories.items()}
    doc["labels"] = {name: hit.labels for name, hit in item.categories.items() if hit.labels}
    doc["flags"] = sorted({flag for hit in item.categories.values() for flag in hit.flags})
    doc["places"] = [
        {
            **place.model_dump(mode="json", exclude={"lat", "lon"}),
            "location": {"lat": place.lat, "lon": place.lon} if place.lat is not None else None,
        }
        for place in item.places
    ]
    return doc


def from_document(doc: dict[str, Any]) -> EnrichedItem:
    """The item back from its archived form (``to_document``'s inverse, as far as it
    goes: flags are kept on every category; documents from before ``models`` name every
    classifier on each) — what a backtest replays through the rules."""
    scores: dict[str, float] = doc.get("scores") or {}
    terms: dict[str, list[str]] = doc.get("matched_terms") or {}
    labels: dict[str, dict[str, float]] = doc.get("labels") or {}
    classifier = ",".join(doc.get("classifiers") or []) or "archive"
    models: dict[str, str] = doc.get("models") or {}
    categories = {name: CategoryHit(score=score, terms=terms.get(name, []),
                                    classifier=models.get(name, classifier),
                                    labels=labels.get(name, {}), flags=doc.get("flags") or [])
                  for name, score in scores.items()}
    places = []
    for place in doc.get("places") or []:
        location = place.get("location") or {}
        fields = {k: v for k, v in place.items() if k != "location" and k in Place.model_fields}
        places.append(Place(**fields, lat=location.get("lat"), lon=location.get("lon")))
    kept = {k: v for k, v in doc.items()
            if k in EnrichedItem.model_fields and k not in ("categories", "places")}
    return EnrichedItem.model_validate({**kept, "categories": categories, "places": places})


class Archive:
    def __init__(self, es: AsyncElasticsearch, index: str) -> None:
        self.es = es
        self.index = index

    async def install(self) -> None:
        await install_index(self.es, self.index, TEMPLATE_FILE)

    async def known_hashes(self, ids: list[str]) -> dict[str, str]:
        """Content hashes of those ids already archived (absent ids are left out).

        By id (``sources_by_id``): real-time, so it sees the previous batch before
        a refresh, and it copes with an alias over several backing indices.
        """
        found = await sources_by_id(self.es, self.index, ids, source_includes=["content_sha256"])
        return {item_id: source.get("content_sha256", "") for item_id, source in found.items()}

    async def store(self, items: list[EnrichedItem]) -> list[Rejected]:
        """Index items by id; a deletion marks the archived post instead of replacing it.

        A removed post is evidence too: its archived text stays, flagged
        ``deleted`` with the time the deletion was seen.
        """
        kept = [(item.id, to_document(item)) for item in items if not item.deleted]
        deletions = [(item.id, {"deleted": True, "deleted_seen": item.collected.isoformat()},
                      {**to_document(item), "deleted_seen": item.collected.isoformat()})
                     for item in items if item.deleted]
        return await bulk_index(self.es, self.index, kept, merges=deletions)

"""The archived form of an item: one flat Elasticsearch document per item.

The processors write it (``processors.archive``); the alerts backtest reads it
back, and so do exports and tests. Both directions live here, in the core, so
that no stage imports another's internals to agree on it.
"""

from __future__ import annotations

from typing import Any

from tocsin.schema import CategoryHit, EnrichedItem, Place


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

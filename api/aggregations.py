"""``/aggregations``: the aggregation request of each kind, and its buckets in one shape.

Every kind answers ``{"kind", "buckets": [{"key", "count", ...}]}`` over the same
filters as ``/search``. The search server (Elasticsearch 9, and osmem-server in the
demo and tests) computes all of them itself: ``geohash_grid`` with a ``geo_centroid``
per cell for maps (each key checked against its centroid: ``api.geohash``), and
``significant_terms`` (keyword fields) / ``significant_text`` (title and text, under
a ``sampler``) for what stands out in the selection against the whole archive.
"""

from __future__ import annotations

from typing import Any, Literal

from api import geohash
from api.stopwords import stop_words
from tocsin.queries import ITEM_TIME_FIELD, QueryError

Kind = Literal["timeline", "countries", "admin1", "geohash", "sources", "significant_terms"]
KINDS: tuple[Kind, ...] = ("timeline", "countries", "admin1", "geohash", "sources", "significant_terms")
Interval = Literal["hour", "day"]

MAX_BUCKETS = 500
# A map wants every cell of the selection, not the top few: Elasticsearch's own default.
MAX_CELLS = 10_000
# The fields significant_terms may look at: API name → (field, text?). Text fields go
# through significant_text; keyword fields through significant_terms.
SIGNIFICANT_FIELDS: dict[str, tuple[str, bool]] = {
    "title": ("title", True),
    "text": ("text", True),
    "tags": ("tags", False),
    "country": ("country", False),
    "admin1": ("admin1", False),
    "lang": ("lang", False),
    "source": ("source.name", False),
    "categories": ("categories", False),
    "flags": ("flags", False),
}
# Documents per shard that significant_text reads: it re-analyses their text, so keep it bounded.
SAMPLE_SIZE = 500
STOP_WORD_ROOM = 50


def aggregation(kind: str, *, interval: str = "day", precision: int = 4, size: int = 50,
                field: str = "title") -> dict[str, Any]:
    """The ``aggs`` of the request for ``kind`` (named ``result``)."""
    if not 1 <= size <= MAX_BUCKETS:
        raise QueryError(f"size must be between 1 and {MAX_BUCKETS}, got {size}")
    if kind == "timeline":
        if interval not in ("hour", "day"):
            raise QueryError(f"interval must be hour or day, got {interval!r}")
        return {"result": {"date_histogram": {"field": ITEM_TIME_FIELD, "calendar_interval": interval,
                                              "min_doc_count": 1}}}
    if kind in ("countries", "admin1"):
        return {"result": {"terms": {"field": "country" if kind == "countries" else "admin1", "size": size}}}
    if kind == "geohash":
        if not 1 <= precision <= 8:
            raise QueryError(f"precision must be between 1 and 8 (geohash length), got {precision}")
        return {"result": {"geohash_grid": {"field": "location", "precision": precision, "size": MAX_CELLS},
                           "aggs": {"centre": {"geo_centroid": {"field": "location"}}}}}
    if kind == "sources":
        return {"result": {"terms": {"field": "source.name", "size": size},
                           "aggs": {"type": {"terms": {"field": "source.type", "size": 1}}}}}
    if kind == "significant_terms":
        if field not in SIGNIFICANT_FIELDS:
            raise QueryError(f"field must be one of {', '.join(SIGNIFICANT_FIELDS)}, got {field!r}")
        name, is_text = SIGNIFICANT_FIELDS[field]
        if is_text:
            # More than asked for: the stop words among them are dropped (api.stopwords).
            return {"result": {"sampler": {"shard_size": SAMPLE_SIZE}, "aggs": {"terms": {
                "significant_text": {"field": name, "size": min(MAX_BUCKETS, size * 2 + STOP_WORD_ROOM),
                                     "filter_duplicate_text": True}}}},
                    "languages": {"terms": {"field": "lang", "size": 20}}}
        return {"result": {"sampler": {"shard_size": SAMPLE_SIZE * 20}, "aggs": {"terms": {
            "significant_terms": {"field": name, "size": size}}}}}
    raise QueryError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def buckets(kind: str, aggregations: dict[str, Any], *, size: int | None = None,
            keep: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The buckets of a response in the API's shape (at most ``size``). Significant words of
    title and text leave out the stop words of the selection's languages, but never ``keep``."""
    result = aggregations.get("result", {})
    dropped: frozenset[str] = frozenset()
    if kind == "significant_terms":
        result = result.get("terms", {})
        if "languages" in aggregations:
            dropped = stop_words({str(b["key"]): int(b["doc_count"])
                                  for b in aggregations["languages"].get("buckets", [])}, keep)
    out: list[dict[str, Any]] = []
    for bucket in result.get("buckets", []):
        if str(bucket["key"]).casefold() in dropped:
            continue
        entry: dict[str, Any] = {"key": bucket["key"], "count": bucket["doc_count"]}
        if kind == "timeline":
            entry["key"] = bucket.get("key_as_string") or bucket["key"]
            entry["ts"] = bucket["key"]
        elif kind == "geohash":
            centre = bucket.get("centre", {}).get("location")
            if centre:
                entry["lat"], entry["lon"] = centre["lat"], centre["lon"]
                entry["key"] = geohash.standard_key(str(bucket["key"]), centre["lat"], centre["lon"])
        elif kind == "sources":
            types = bucket.get("type", {}).get("buckets", [])
            entry["type"] = types[0]["key"] if types else None
        elif kind == "significant_terms":
            entry["bg_count"] = bucket.get("bg_count")
            entry["score"] = bucket.get("score")
        out.append(entry)
    if kind == "geohash":
        out.sort(key=lambda b: (-b["count"], b["key"]))
    return out[:size] if size is not None else out

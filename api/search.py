"""``/search`` and the filters ``/aggregations`` shares, as pure functions over ``tocsin.queries``.

The text is returned raw (JSON is not HTML): the client escapes it. Highlights mark
their terms with the private-use characters ``MARK_START`` / ``MARK_END`` rather than
HTML tags, so a client escapes the whole fragment first and only then turns those two
characters into markup; a scraped ``<script>`` stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tocsin.queries import (
    ItemFilters,
    ItemSort,
    Near,
    QueryError,
    decode_after,
    encode_after,
    item_query,
    item_sort,
    parse_time,
)

MARK_START = "\ue000"
MARK_END = "\ue001"
MAX_SIZE = 100
# Elasticsearch refuses a terms query over 65,536 values (index.max_terms_count).
MAX_RULE_ITEMS = 65_536
# An id no item has (ids are printable): the filter for "a rule whose alerts name no items".
NO_ITEM = "\x00"


@dataclass(frozen=True)
class SearchParams:
    """The query string of ``/search`` and ``/aggregations``, as a person typed it."""

    q: str | None = None
    start: str | None = None
    end: str | None = None
    lang: str | None = None
    country: str | None = None
    admin1: str | None = None
    near: str | None = None
    category: str | None = None
    min_score: float | None = None
    source: str | None = None
    source_type: str | None = None
    rule: str | None = None


def _many(value: str | None) -> tuple[str, ...]:
    """``a,b`` means either; blanks are ignored."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def to_filters(params: SearchParams, rule_item_ids: Sequence[str] | None = None) -> ItemFilters:
    """The filters; ``rule_item_ids``: the items that contributed to the rule's alerts, if one was named."""
    ids: Sequence[str] = ()
    if params.rule is not None:
        # No alert of the rule yet: nothing contributed, so nothing may match.
        ids = tuple(rule_item_ids or ()) or (NO_ITEM,)
    return ItemFilters(
        text=params.q,
        start=parse_time(params.start) if params.start else None,
        end=parse_time(params.end) if params.end else None,
        langs=_many(params.lang), countries=tuple(c.upper() for c in _many(params.country)),
        admin1=_many(params.admin1), categories=_many(params.category), min_score=params.min_score,
        sources=_many(params.source), source_types=_many(params.source_type),
        near=Near.parse(params.near) if params.near else None, ids=ids,
    )


def search_body(filters: ItemFilters, *, sort: ItemSort, size: int, after: str | None) -> dict[str, Any]:
    """The request body of one page of ``/search``."""
    if not 1 <= size <= MAX_SIZE:
        raise QueryError(f"size must be between 1 and {MAX_SIZE}, got {size}")
    order = item_sort(sort)
    body: dict[str, Any] = {"query": item_query(filters), "sort": order, "size": size,
                            "track_total_hits": True}
    if after:
        values = decode_after(after)
        if len(values) != len(order):
            raise QueryError("this page token belongs to another sort order")
        if any(value is None for value in values) or not isinstance(values[-1], str):
            # Every item has an event time and an id: [null, null] was forged (the server answered 500).
            raise QueryError("not a page token from this server")
        body["search_after"] = values
    if filters.text and filters.text.strip():
        body["highlight"] = {"pre_tags": [MARK_START], "post_tags": [MARK_END], "encoder": "default",
                             "fields": {"title": {"number_of_fragments": 0},
                                        "text": {"fragment_size": 200, "number_of_fragments": 3}}}
    return body


def search_page(response: dict[str, Any], size: int) -> dict[str, Any]:
    """``{"total", "items", "next"}`` from a search response; ``next`` is None on the last page."""
    hits = response["hits"]["hits"]
    items = []
    for hit in hits:
        item = {**hit.get("_source", {}), "id": hit["_id"]}
        if hit.get("highlight"):
            item["highlight"] = hit["highlight"]
        items.append(item)
    total = response["hits"]["total"]
    next_token = encode_after(hits[-1]["sort"]) if len(hits) == size and hits[-1].get("sort") else None
    return {"total": total["value"] if isinstance(total, dict) else int(total), "items": items,
            "next": next_token}


def rule_items_query(rule: str) -> dict[str, Any]:
    """Alerts of ``rule``, whose ``sample_item_ids`` are the items that contributed."""
    return {"bool": {"filter": [{"term": {"rule": rule}}]}}

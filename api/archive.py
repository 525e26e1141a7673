"""Archive routes: ``/search`` (pages of items) and ``/aggregations`` (buckets), same filters."""

from __future__ import annotations

from typing import Annotated, Any

from elasticsearch import BadRequestError, NotFoundError
from fastapi import APIRouter, Depends, HTTPException, Query

from api import aggregations as aggs
from api.auth import analyst
from api.context import ApiContext, context
from api.keys import Principal
from api.search import (
    MAX_RULE_ITEMS,
    MAX_SIZE,
    SearchParams,
    rule_items_query,
    search_body,
    search_page,
    to_filters,
)
from api.stopwords import watched_words
from tocsin.queries import ItemFilters, ItemSort, QueryError

router = APIRouter(tags=["archive"])
Ctx = Annotated[ApiContext, Depends(context)]


def params(
        q: Annotated[str | None, Query(description="full text over title and text, any language "
                                                   "(\"quoted phrase\", -exclude, a | b)")] = None,
        start: Annotated[str | None, Query(
            alias="from", description="event time from (ISO, 'now', or 24h/7d back)")] = None,
        end: Annotated[str | None, Query(alias="to", description="event time before (same forms)")] = None,
        lang: Annotated[str | None, Query(description="ISO 639-1; comma-separated: any of")] = None,
        country: Annotated[str | None, Query(description="ISO 3166 alpha-2, e.g. SD")] = None,
        admin1: Annotated[str | None, Query(description="first-level region code, e.g. SD.55")] = None,
        near: Annotated[str | None, Query(description="lat,lon,km: within km of a point")] = None,
        category: Annotated[str | None, Query(description="e.g. hate_speech, violence_report")] = None,
        min_score: Annotated[float | None, Query(ge=0, le=1, description="with category: its score ≥ this")]
        = None,
        source: Annotated[str | None, Query(description="configured source name")] = None,
        source_type: Annotated[str | None, Query(description="collector type, e.g. rss, mastodon")] = None,
        rule: Annotated[str | None, Query(
            description="items that contributed to alerts of this rule")] = None,
) -> SearchParams:
    return SearchParams(q=q, start=start, end=end, lang=lang, country=country, admin1=admin1, near=near,
                        category=category, min_score=min_score, source=source, source_type=source_type,
                        rule=rule)


Params = Annotated[SearchParams, Depends(params)]


async def filters_of(ctx: ApiContext, given: SearchParams) -> ItemFilters:
    """The filters, with a rule resolved to the items its alerts name."""
    ids: list[str] | None = None
    if given.rule is not None:
        ids = await rule_item_ids(ctx, given.rule)
    try:
        filters = to_filters(given, ids)
        await ctx.categories.check(ctx.es, filters.categories)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return filters


async def rule_item_ids(ctx: ApiContext, rule: str) -> list[str]:
    try:
        response = await ctx.es.search(index=ctx.settings.search.alerts_index, query=rule_items_query(rule),
                                       source_includes=["sample_item_ids"], size=1000)
    except NotFoundError:
        return []
    seen: dict[str, None] = {}
    for hit in response["hits"]["hits"]:
        for item_id in hit["_source"].get("sample_item_ids") or []:
            seen[item_id] = None
            if len(seen) >= MAX_RULE_ITEMS:
                return list(seen)
    return list(seen)


@router.get("/search", summary="Search the archive; page with `next`")
async def search(ctx: Ctx, _: Annotated[Principal, Depends(analyst)], given: Params,
                 sort: Annotated[ItemSort, Query()] = "newest",
                 size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 20,
                 after: Annotated[str | None, Query(description="the `next` token of the previous page")]
                 = None) -> dict[str, Any]:
    filters = await filters_of(ctx, given)
    try:
        body = search_body(filters, sort=sort, size=size, after=after)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    try:
        response = await ctx.es.search(index=ctx.settings.search.items_index, **body)
    except NotFoundError:
        return {"total": 0, "items": [], "next": None}
    except BadRequestError as exc:
        raise HTTPException(400, f"the search server refused the query: {exc.message}") from None
    return search_page(response.body, size)


@router.get("/aggregations", summary="Counts over the archive: timeline, places, map cells, sources, terms")
async def aggregations(
        ctx: Ctx, _: Annotated[Principal, Depends(analyst)], given: Params,
        kind: Annotated[str, Query(description=", ".join(aggs.KINDS))],
        interval: Annotated[str, Query(description="timeline: hour or day")] = "day",
        precision: Annotated[int, Query(description="geohash: cell length 1-8")] = 4,
        size: Annotated[int, Query(description="most buckets (not for timeline or geohash)")] = 50,
        field: Annotated[str, Query(description="significant_terms: " + ", ".join(aggs.SIGNIFICANT_FIELDS))]
        = "title") -> dict[str, Any]:
    filters = await filters_of(ctx, given)
    try:
        request = aggs.aggregation(kind, interval=interval, precision=precision, size=size, field=field)
        query = search_body(filters, sort="newest", size=1, after=None)["query"]
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    try:
        response = await ctx.es.search(index=ctx.settings.search.items_index, query=query, aggs=request,
                                       size=0)
    except NotFoundError:
        return {"kind": kind, "buckets": []}
    except BadRequestError as exc:
        raise HTTPException(400, f"the search server refused the aggregation: {exc.message}") from None
    keep = watched_words(ctx.settings.processing.categories_file)
    return {"kind": kind, "buckets": aggs.buckets(kind, response.body.get("aggregations", {}),
                                                   size=None if kind in ("timeline", "geohash") else size,
                                                   keep=keep)}

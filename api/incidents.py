"""Incident routes: the list, and one incident with its items grouped by source and language.

Incidents are read from the incidents index the processors write
(``processors.incidents``); their items from the archive, by ``incident.id``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from elasticsearch import NotFoundError
from fastapi import APIRouter, Depends, HTTPException, Query

from api.auth import viewer
from api.context import ApiContext, context
from api.keys import Principal
from api.records import item_from_hit
from tocsin.incidents import Incident, IncidentFilters, search_incidents
from tocsin.queries import QueryError, parse_time

router = APIRouter(tags=["incidents"])
Ctx = Annotated[ApiContext, Depends(context)]
MAX_INCIDENTS = 500
MAX_ITEMS = 1000
ITEM_FIELDS = [
    "id",
    "title",
    "text",     # the incident page's snippets (the dashboard cuts them to 400 characters)
    "url",
    "source",
    "lang",
    "event_time",
    "country",
    "admin1",
    "incident",
    "amplification",
    "scores",
    "labels",
    "authors",
]


@router.get("/incidents", summary="Incidents, most recently seen first")
async def incidents_list(
    ctx: Ctx,
    _: Annotated[Principal, Depends(viewer)],
    country: Annotated[str | None, Query(description="ISO 3166 alpha-2, e.g. SD")] = None,
    category: Annotated[str | None, Query(description="violence_report, hate_speech …")] = None,
    since: Annotated[
        str | None, Query(description="last seen since: ISO time or a duration (24h, 7d)")
    ] = None,
    min_sources: Annotated[int | None, Query(ge=1, description="independent sources at least")] = None,
    min_languages: Annotated[int | None, Query(ge=1, description="languages at least")] = None,
    amplified: Annotated[bool | None, Query(description="only (true) or no (false) amplified ones")] = None,
    q: Annotated[str | None, Query(max_length=500, description="words of the title")] = None,
    size: Annotated[int, Query(ge=1, le=MAX_INCIDENTS)] = 50,
) -> dict[str, Any]:
    try:
        when = parse_time(since) if since else None
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    filters = IncidentFilters(
        country=country,
        category=category,
        since=when,
        min_sources=min_sources,
        min_languages=min_languages,
        amplified=amplified,
        text=q,
    )
    found = await search_incidents(ctx.es, ctx.settings.search.incidents_index, filters, size)
    return {"incidents": [incident.public() for incident in found]}


@router.get("/incidents/{incident_id}", summary="One incident, with its items grouped by source and language")
async def incident_detail(
    ctx: Ctx,
    _: Annotated[Principal, Depends(viewer)],
    incident_id: str,
    size: Annotated[int, Query(ge=1, le=MAX_ITEMS)] = 200,
) -> dict[str, Any]:
    try:
        doc = await ctx.es.get(index=ctx.settings.search.incidents_index, id=incident_id)
    except NotFoundError:
        raise HTTPException(404, "no such incident") from None
    incident = Incident.from_document(doc["_source"])
    try:
        response = await ctx.es.search(
            index=ctx.settings.search.items_index,
            query={"term": {"incident.id": incident.id}},
            sort=[{"event_time": "asc"}],
            size=size,
            source_includes=ITEM_FIELDS,
        )
        items = [item_from_hit(hit) for hit in response["hits"]["hits"]]
    except NotFoundError:
        items = []
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_language: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_source[(item.get("source") or {}).get("name") or "unknown"].append(item)
        by_language[item.get("lang") or "unknown"].append(item["id"])
    return {
        "incident": incident.public(),
        "items": items,
        "by_source": [
            {"source": name, "items": grouped}
            for name, grouped in sorted(by_source.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ],
        "by_language": {lang: ids for lang, ids in sorted(by_language.items(), key=lambda kv: -len(kv[1]))},
    }

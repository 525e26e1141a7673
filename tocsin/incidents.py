"""Incidents: reports of one event fused across sources, languages and platforms.

The processors assign each item with a violence or hate-speech hit to an incident
(``processors.incidents``) and archive the incident here described in its own
index; the API, the command line and the alert rules read it. The record lives in
the core because all of them agree on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import NotFoundError
from pydantic import Field

from tocsin.schema import Amplification, Record, utcnow


class TimelinePoint(Record):
    """Items of the incident in one hour of event time."""

    at: datetime
    items: int


class Incident(Record):
    """One incident as the index holds it and the API serves it."""

    id: str = Field(description="deterministic: from the first item's id, so a replay makes the same one")
    category: str = Field(description="the category its items share: violence_report, hate_speech …")
    title: str = Field(description="the title of its most central item")
    title_item_id: str
    country: str | None = None
    admin1: str | None = None
    admin1_name: str | None = None
    place: str | None = Field(default=None, description="the most named place of its items")
    location: dict[str, float] | None = Field(
        default=None, description="{'lat':..,'lon':..} of its first placed item"
    )
    first_seen: datetime
    last_seen: datetime
    languages: list[str] = Field(default_factory=list, description="languages of its items, most items first")
    sources: list[str] = Field(default_factory=list, description="sources of its items, most items first")
    origins: list[str] = Field(
        default_factory=list,
        description="independent sources: a syndicated copy or near-duplicate counts for the source that "
        "published the text first",
    )
    independent_sources: int = 0
    language_count: int = 0
    item_count: int = 0
    amplified_items: int = Field(default=0, description="items that belong to a burst of near-identical text")
    subtypes: dict[str, int] = Field(default_factory=dict, description="sub-labels of its items, with counts")
    timeline: list[TimelinePoint] = Field(default_factory=list)
    amplification: Amplification | None = Field(
        default=None,
        description="the largest burst of near-identical text from many accounts among its items",
    )
    item_ids: list[str] = Field(default_factory=list, description="its items (the first 5,000)")
    centroid: list[float] = Field(
        default_factory=list, description="mean embedding, for fusion after a restart"
    )
    updated_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def from_document(cls, source: dict[str, Any]) -> Incident:
        """An incident from its index document (fields the schema does not know are left out)."""
        return cls.model_validate({k: v for k, v in source.items() if k in cls.model_fields})

    def public(self) -> dict[str, Any]:
        """What the API and exports show: everything but the centroid and the member list."""
        return self.model_dump(mode="json", exclude={"centroid", "item_ids"})


class IncidentFilters(Record):
    """What the API and ``tocsin incidents`` filter incidents by; every given condition must hold."""

    country: str | None = None
    category: str | None = None
    since: datetime | None = Field(default=None, description="last seen at or after")
    min_sources: int | None = Field(default=None, ge=1, description="independent sources")
    min_languages: int | None = Field(default=None, ge=1)
    amplified: bool | None = Field(default=None, description="true: only those with a burst; false: none")
    text: str | None = Field(default=None, max_length=500, description="words of the title")


def incident_query(filters: IncidentFilters) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    if filters.country:
        clauses.append({"term": {"country": filters.country.upper()}})
    if filters.category:
        clauses.append({"term": {"category": filters.category}})
    if filters.since:
        clauses.append({"range": {"last_seen": {"gte": filters.since.isoformat()}}})
    if filters.min_sources:
        clauses.append({"range": {"independent_sources": {"gte": filters.min_sources}}})
    if filters.min_languages:
        clauses.append({"range": {"language_count": {"gte": filters.min_languages}}})
    if filters.amplified is not None:
        clauses.append({"range": {"amplified_items": {"gte": 1} if filters.amplified else {"lte": 0}}})
    if filters.text:
        clauses.append({"match": {"title": filters.text}})
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


async def search_incidents(es: Any, index: str, filters: IncidentFilters, size: int = 50) -> list[Incident]:
    """Incidents matching ``filters``, most recently seen first (none when the index does not exist yet)."""
    try:
        response = await es.search(
            index=index, query=incident_query(filters), sort=[{"last_seen": "desc"}, {"id": "asc"}], size=size
        )
    except NotFoundError:
        return []
    return [Incident.from_document(hit["_source"]) for hit in response["hits"]["hits"]]

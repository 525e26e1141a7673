"""The incidents index: one document per incident, id = incident id, written whole.

A document is the incident's whole state, so writing it again (a batch replayed
after a crash) leaves the index as it was. The processors write an incident
before they archive its new items: an item the archive holds has its incident
written, and a replay of one it does not hold finds itself among the incident's
``item_ids`` (restored at start) and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch.exceptions import ApiError, TransportError

from tocsin.documents import from_document
from tocsin.incidents import Incident
from tocsin.schema import EnrichedItem
from tocsin.search import Rejected, SearchUnavailable, bulk_index, install_index, search_hits

TEMPLATE_FILE = Path(__file__).parents[1] / "templates" / "incidents.json"
RESTORE_LIMIT = 10_000


class IncidentStore:
    def __init__(self, es: AsyncElasticsearch, index: str) -> None:
        self.es = es
        self.index = index

    async def install(self) -> None:
        await install_index(self.es, self.index, TEMPLATE_FILE)

    async def store(self, incidents: list[Incident]) -> list[Rejected]:
        return await bulk_index(
            self.es, self.index, [(incident.id, incident.model_dump(mode="json")) for incident in incidents]
        )

    async def make_visible(self, index: str | None = None) -> None:
        """Make every write so far to the incidents (or ``index``) searchable: an index refreshes
        on its own only every second."""
        index = index or self.index
        try:
            await self.es.indices.refresh(index=index)
        except NotFoundError:
            return
        except (TransportError, ApiError) as exc:
            raise SearchUnavailable(f"refreshing {index!r} failed: {exc}") from exc

    async def recent(self, since: datetime, limit: int = RESTORE_LIMIT) -> list[Incident]:
        """Incidents last seen at or after ``since`` (event time), newest first: what fusion restores."""
        hits = await search_hits(self.es, self.index, what="incidents",
                                 query={"range": {"last_seen": {"gte": since.isoformat()}}},
                                 sort=[{"last_seen": "desc"}], size=limit)
        return [Incident.from_document(hit["_source"]) for hit in hits]


async def fused_items(es: AsyncElasticsearch, index: str, since: datetime,
                      limit: int = RESTORE_LIMIT) -> list[EnrichedItem]:
    """Archived items with an incident, from ``since`` (event time), newest first: the texts
    fusion's near-duplicate memory takes back at start (``Fuser.remember_texts``)."""
    hits = await search_hits(
        es, index, what="fused items",
        query={"bool": {"filter": [{"exists": {"field": "incident.id"}},
                                   {"range": {"event_time": {"gte": since.isoformat()}}}]}},
        sort=[{"event_time": "desc"}], size=limit,
    )
    return [from_document({**hit["_source"], "id": hit["_id"]}) for hit in hits]

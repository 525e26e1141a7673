"""The item archive: one Elasticsearch document per item, id = item id.

Indexing by item id makes the archive idempotent: a batch replayed after a crash
overwrites the same documents instead of adding copies. The archive is also the
dedupe memory of the processors (see ``known_hashes``), so it survives restarts
and is shared by every worker without a table of its own.
"""

from __future__ import annotations

from pathlib import Path

from elasticsearch import AsyncElasticsearch

from tocsin.documents import to_document
from tocsin.schema import EnrichedItem
from tocsin.search import Rejected, bulk_index, install_index, sources_by_id

TEMPLATE_FILE = Path(__file__).with_name("templates") / "items.json"


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
        ``deleted`` with the time the deletion was seen, unless the source's terms
        require removing it (``erase``): then the deletion replaces the document.
        """
        kept = [(item.id, to_document(item)) for item in items if not item.deleted]
        kept += [(item.id, {**to_document(item), "deleted_seen": item.collected.isoformat()})
                 for item in items if item.deleted and item.erase]
        deletions = [(item.id, {"deleted": True, "deleted_seen": item.collected.isoformat()},
                      {**to_document(item), "deleted_seen": item.collected.isoformat()})
                     for item in items if item.deleted and not item.erase]
        return await bulk_index(self.es, self.index, kept, merges=deletions)

"""One batch of ``items.raw`` through the processors, independent of Faust.

Order matters for at-least-once delivery with nothing lost:

1. decode (bad records become dead letters with the reason);
2. drop exact duplicates (same id and content hash, in the batch or already archived);
3. enrich off the event loop;
4. fuse items with a hit into incidents (when on);
5. publish to ``items.enriched`` and wait for the broker;
6. index the incidents the batch changed, then the items into the archive, waiting for
   each (retrying while the server is down);
7. publish dead letters;

and only then does the caller ack the batch's offsets. A crash anywhere before
the ack replays the batch: the archive write is idempotent and an item that
reached the archive is recognised as a duplicate. Incidents are written before
their items are archived, and fusion knows the items it has fused (restored from
the incidents index after a restart), so a replayed item changes no incident.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from processors.archive import Archive
from processors.enrich import BadItem, Enricher, decode_item
from processors.incidents.stage import IncidentStage
from tocsin import topics
from tocsin.event_time import bound_event_time, record_timestamp
from tocsin.incidents import Incident
from tocsin.rejections import rejected_letters
from tocsin.schema import DeadLetter, EnrichedItem, Item, utcnow
from tocsin.search import with_retries
from tocsin.settings import EventTimeSettings
from tocsin.swallowed import swallowed
from tocsin.topics import Consumed

logger = logging.getLogger(__name__)

STAGE = "processors"


@dataclass(frozen=True)
class RawMessage(Consumed):
    """A record consumed from ``items.raw``."""

    topic: str | None = topics.ITEMS_RAW


Send = Callable[[str, bytes, bytes, float | None], Awaitable[None]]
"""Publish (topic, key, value, timestamp) and return once the broker acknowledged it."""


@dataclass
class BatchOutcome:
    enriched: list[EnrichedItem] = field(default_factory=list)
    duplicates: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)


class BatchProcessor:
    def __init__(self, enricher: Enricher, archive: Archive, send: Send, *, max_item_bytes: int,
                 stop: asyncio.Event | None = None, event_time: EventTimeSettings | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 incidents: IncidentStage | None = None) -> None:
        self.enricher = enricher
        self.incidents = incidents
        self.archive = archive
        self.send = send
        self.max_item_bytes = max_item_bytes
        self.stop = stop
        self.event_time = event_time or EventTimeSettings()
        self.clock = clock

    async def process(self, batch: Sequence[RawMessage]) -> BatchOutcome:
        outcome = BatchOutcome()
        items = self._decode(batch, outcome)
        fresh = await self._drop_duplicates(items, outcome)
        enriched, incidents = await self._fuse(await self._enrich(fresh, outcome))
        await asyncio.gather(*(
            self.send(topics.ITEMS_ENRICHED, item.id.encode(), item.to_bytes(),
                      record_timestamp(item.event_time))
            for item in enriched
        ))
        await self._store_incidents(incidents, outcome)
        rejected = await with_retries(lambda: self.archive.store(enriched), what="archive", stop=self.stop)
        outcome.dead_letters += rejected_letters(rejected, {item.id: item.to_bytes() for item in enriched},
                                                 stage=STAGE, store="archive")
        outcome.enriched = [item for item in enriched if item.id not in {r.doc_id for r in rejected}]
        await asyncio.gather(*(
            self.send(topics.ITEMS_DLQ, (letter.key or "").encode(), letter.to_bytes(), None)
            for letter in outcome.dead_letters
        ))
        return outcome

    def _decode(self, batch: Sequence[RawMessage], outcome: BatchOutcome) -> list[Item]:
        """The batch's items, their event times bounded again (``items.raw`` may have other producers)."""
        items: list[Item] = []
        now = self.clock()
        for message in batch:
            try:
                items.append(bound_event_time(decode_item(message.value, self.max_item_bytes), now,
                                              self.event_time))
            except BadItem as exc:
                outcome.dead_letters.append(DeadLetter.of(
                    stage=STAGE, reason=exc.reason, error=str(exc), payload=message.value,
                    topic=message.topic, partition=message.partition, offset=message.offset,
                    key=message.key.decode("utf-8", "replace") if message.key else None))
        return items

    async def _drop_duplicates(self, items: list[Item], outcome: BatchOutcome) -> list[Item]:
        unique: dict[str, Item] = {}
        for item in items:
            previous = unique.get(item.id)
            if previous is not None and previous.content_sha256 == item.content_sha256:
                outcome.duplicates += 1
                continue
            unique[item.id] = item  # a later edit of the same item wins
        known = await with_retries(lambda: self.archive.known_hashes(list(unique)),
                                   what="archive dedupe lookup", stop=self.stop)
        fresh = [item for item in unique.values() if known.get(item.id) != item.content_sha256]
        outcome.duplicates += len(unique) - len(fresh)
        return fresh

    async def _fuse(self, items: list[EnrichedItem]) -> tuple[list[EnrichedItem], list[Incident]]:
        """Items with their incidents, and the incidents they changed.

        Fusion that fails (an encoder error) costs the batch its incidents, never its items.
        """
        stage = self.incidents
        if stage is None or not items:
            return items, []
        try:
            fused = await asyncio.get_running_loop().run_in_executor(None, stage.fuse, items)
        except Exception as exc:
            swallowed("incidents.fuse", exc, logger, "items go on without incidents")
            return items, []
        return fused.items, fused.incidents

    async def _store_incidents(self, incidents: list[Incident], outcome: BatchOutcome) -> None:
        """Index the changed incidents (before the archive takes their items: see the module's docstring)."""
        stage = self.incidents
        if stage is None or not incidents:
            return
        rejected = await with_retries(lambda: stage.store.store(incidents), what="incidents", stop=self.stop)
        by_id = {incident.id: incident for incident in incidents}
        for reject in rejected:
            outcome.dead_letters.append(DeadLetter.of(
                stage=STAGE, reason="incident-rejected", error=f"{reject.status}: {reject.error}",
                payload=by_id[reject.doc_id].to_bytes(), key=reject.doc_id))

    async def _enrich(self, items: list[Item], outcome: BatchOutcome) -> list[EnrichedItem]:
        if not items:
            return []
        loop = asyncio.get_running_loop()
        now = datetime.now(UTC)
        try:
            return await loop.run_in_executor(None, self.enricher.enrich_many, items, now)
        except Exception as exc:
            swallowed("enrich.batch", exc, logger, "enriching one by one to isolate the bad item")
        enriched: list[EnrichedItem] = []
        for item in items:
            try:
                enriched.append(await loop.run_in_executor(None, self.enricher.enrich, item, now))
            except Exception as exc:
                outcome.dead_letters.append(DeadLetter.of(
                    stage=STAGE, reason="enrich-failed",
                    error="".join(traceback.format_exception(exc))[-2000:],
                    payload=item.to_bytes(), key=item.id))
        return enriched

"""One batch of ``items.raw`` through the processors, independent of Faust.

Order matters for at-least-once delivery with nothing lost:

1. decode (bad records become dead letters with the reason);
2. drop exact duplicates (same id and content hash, in the batch or already archived);
3. enrich off the event loop;
4. items fusion considers (a hit, when incidents are on) are handed to ``items.fusion``,
   keyed by their country, and the broker's acknowledgement awaited (see below);
5. publish the others to ``items.enriched`` and wait for the broker;
6. archive them, waiting (retrying while the server is down);
7. publish dead letters;

and only then does the caller ack the batch's offsets. A crash anywhere before
the ack replays the batch: the archive write is idempotent and an item that
reached the archive is recognised as a duplicate.

The second hop (:meth:`BatchProcessor.fuse_batch`, on ``items.fusion``) takes the
same steps with fusion in the middle: drop duplicates, fuse, publish, index the
incidents the batch changed, archive, dead letters. ``items.fusion`` is keyed by
country, so all reports from one country reach one worker and its incidents live
in that worker's memory alone. Incidents are written before their items are
archived and before the offsets are acked, so the worker that takes a partition
over after a rebalance refreshes its incidents from the index first
(:class:`FusionPartitions`) and finds every item the previous owner fused: a
replayed item changes no incident.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import ValidationError

from processors.archive import Archive
from processors.enrich import UNPARSEABLE, BadItem, Enricher, decode_item
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


ItemT = TypeVar("ItemT", bound=Item)

Send = Callable[[str, bytes, bytes, float | None], Awaitable[None]]
"""Publish (topic, key, value, timestamp) and return once the broker acknowledged it."""


@dataclass
class BatchOutcome:
    enriched: list[EnrichedItem] = field(default_factory=list)
    duplicates: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)
    handed_to_fusion: int = 0


class FusionPartitions:
    """Which ``items.fusion`` partitions this worker has fused since it last got them.

    A partition it did not have (at start, or taken over from a worker that died or
    left) may hold countries whose incidents another worker changed: the stage
    refreshes them from the index before it fuses such a batch. Revoked partitions
    are forgotten, so getting one back refreshes again.
    """

    def __init__(self) -> None:
        self.owned: set[int] = set()

    def new_in(self, batch: Sequence[Consumed]) -> set[int]:
        """The batch's partitions this worker did not have."""
        return {m.partition for m in batch if m.partition is not None} - self.owned

    def take(self, partitions: Iterable[int]) -> None:
        """Note partitions as had (once their incidents are refreshed)."""
        self.owned.update(partitions)

    def revoke(self, partitions: Iterable[int]) -> None:
        self.owned.difference_update(partitions)


NO_COUNTRY = b"-"
"""``items.fusion``'s key for items with no country (an empty key would spread them at random)."""


def fusion_key(item: EnrichedItem) -> bytes:
    """``items.fusion``'s key: the item's country, so one worker holds each country's incidents."""
    return item.country.encode() if item.country else NO_COUNTRY


class BatchProcessor:
    def __init__(self, enricher: Enricher, archive: Archive, send: Send, *, max_item_bytes: int,
                 stop: asyncio.Event | None = None, event_time: EventTimeSettings | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 incidents: IncidentStage | None = None, fusion_hop: bool = False) -> None:
        """``fusion_hop``: hand items fusion considers to ``items.fusion`` (any number of workers)
        rather than fusing them in this batch (right for one worker only)."""
        self.enricher = enricher
        self.incidents = incidents
        self.fusion_hop = fusion_hop
        self.fusion_partitions = FusionPartitions()
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
        enriched = await self._enrich(fresh, outcome)
        if self.fusion_hop and self.incidents is not None:
            enriched = await self._hand_to_fusion(enriched, outcome)
            await self._deliver(enriched, [], outcome)
        else:
            await self._deliver(*await self._fuse(enriched), outcome)
        return outcome

    async def fuse_batch(self, batch: Sequence[Consumed]) -> BatchOutcome:
        """One batch of ``items.fusion``: fuse, then publish and archive as :meth:`process` does."""
        outcome = BatchOutcome()
        items = self._decode_enriched(batch, outcome)
        await self._refresh_moved_partitions(batch, items)
        fresh = await self._drop_duplicates(items, outcome)
        await self._deliver(*await self._fuse(fresh), outcome)
        return outcome

    async def _refresh_moved_partitions(self, batch: Sequence[Consumed], items: list[EnrichedItem]) -> None:
        """Take in the incidents other workers stored when the batch has a partition new here.

        Back to twice the window before the batch's earliest item (or now), as at start: the
        incidents its items may join, even when the stream replays older reports.
        """
        stage = self.incidents
        moved = self.fusion_partitions.new_in(batch)
        if stage is not None and moved:
            now = min([self.clock(), *(item.event_time for item in items)])
            changed = await with_retries(lambda: stage.refresh(now), what="incidents refresh", stop=self.stop)
            logger.info("fusion partitions %s are new here: %d incidents taken from the index",
                        sorted(moved), changed)
        self.fusion_partitions.take(moved)

    async def _hand_to_fusion(self, items: list[EnrichedItem], outcome: BatchOutcome) -> list[EnrichedItem]:
        """Send the items fusion considers to ``items.fusion`` keyed by country; the others, to go on."""
        stage = self.incidents
        hits = [item for item in items if stage is not None and stage.considers(item)]
        await asyncio.gather(*(
            self.send(topics.ITEMS_FUSION, fusion_key(item), item.to_bytes(),
                      record_timestamp(item.event_time))
            for item in hits
        ))
        outcome.handed_to_fusion = len(hits)
        handed = {id(item) for item in hits}
        return [item for item in items if id(item) not in handed]

    async def _deliver(self, enriched: list[EnrichedItem], incidents: list[Incident],
                       outcome: BatchOutcome) -> None:
        """Publish, index the incidents, archive, dead-letter: what the caller acks after."""
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

    def _decode_enriched(self, batch: Sequence[Consumed], outcome: BatchOutcome) -> list[EnrichedItem]:
        """``items.fusion``'s items (this stage wrote them; a record that is not one is dead-lettered)."""
        items: list[EnrichedItem] = []
        for message in batch:
            try:
                items.append(EnrichedItem.model_validate_json(message.value))
            except ValidationError as exc:
                outcome.dead_letters.append(DeadLetter.of(
                    stage=STAGE, reason=UNPARSEABLE, error=str(exc)[:2000], payload=message.value,
                    topic=message.topic, partition=message.partition, offset=message.offset,
                    key=message.key.decode("utf-8", "replace") if message.key else None))
        return items

    async def _drop_duplicates(self, items: list[ItemT], outcome: BatchOutcome) -> list[ItemT]:
        unique: dict[str, ItemT] = {}
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

"""Incident fusion with several processors workers: the ``items.fusion`` hop, keyed by country.

Two workers each enrich one report of an attack (from different ``items.raw``
partitions); both reports must reach the one worker that owns their country's
``items.fusion`` partition and end in one incident. A worker that takes a
partition over (or gets one back) must first take in what the other worker
stored, or the two would open two incidents or overwrite each other's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from processors.archive import Archive
from processors.enrich import Enricher
from processors.incidents.stage import IncidentStage
from processors.pipeline import NO_COUNTRY, BatchProcessor, RawMessage, Send
from tests.e2e.ledger import read_records
from tests.processors.test_incident_pipeline import NOW, REPORTS, incidents_in, raw
from tests.processors.test_pipeline import Recorder, RecordingArchive
from tocsin import topics
from tocsin.kafka import ensure_topics
from tocsin.schema import EnrichedItem
from tocsin.search import SearchUnavailable, search_client
from tocsin.settings import IncidentSettings, KafkaSettings, ProcessingSettings, SearchSettings
from tocsin.topics import Consumed
from tocsin_embedded.broker import LocalBroker

pytestmark = pytest.mark.peers

PARTITIONS = 4
CALM = ("c-1", "ministry", "Farmers began harvesting sorghum near Nyala, Sudan, this week, officials said.")


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.from_settings(ProcessingSettings())


@dataclass
class Indices:
    es: Any
    items: str
    incidents: str


@pytest.fixture
async def indices(search_settings: SearchSettings) -> AsyncIterator[Indices]:
    es = search_client(search_settings)
    run = uuid.uuid4().hex[:8]
    try:
        yield Indices(es, f"test-items-{run}", f"test-incidents-{run}")
    finally:
        await es.close()


async def worker(indices: Indices, enricher: Enricher, send: Send, archive: Archive | None = None
                 ) -> BatchProcessor:
    """One processors worker's pipeline as the app builds it (its own fuser; shared indices)."""
    archive = archive or Archive(indices.es, indices.items)
    await archive.install()
    stage = await IncidentStage.start(IncidentSettings(similarity=0.8), enricher.classifiers, indices.es,
                                      indices.incidents, now=NOW)
    return BatchProcessor(enricher, archive, send, max_item_bytes=64 * 1024, incidents=stage, fusion_hop=True)


def fusion_message(item: EnrichedItem, partition: int, offset: int = 0) -> Consumed:
    return Consumed(item.to_bytes(), key=b"SD", topic=topics.ITEMS_FUSION, partition=partition, offset=offset)


def enriched_reports(enricher: Enricher, reports: Sequence[tuple[str, str, str]]) -> list[EnrichedItem]:
    return enricher.enrich_many([raw(*report) for report in reports], NOW)


async def test_reports_enriched_by_two_workers_meet_on_one_fusion_partition_and_make_one_incident(
    own_broker: LocalBroker, indices: Indices, enricher: Enricher
) -> None:
    kafka = KafkaSettings(bootstrap_servers=own_broker.bootstrap_servers, topic_partitions=PARTITIONS)
    await ensure_topics(kafka, (topics.ITEMS_FUSION, topics.ITEMS_ENRICHED, topics.ITEMS_DLQ))
    producer = AIOKafkaProducer(bootstrap_servers=own_broker.bootstrap_servers, acks="all")
    await producer.start()

    async def send(topic: str, key: bytes, value: bytes, timestamp: float | None) -> None:
        await producer.send_and_wait(topic, value, key=key or None,
                                     timestamp_ms=None if timestamp is None else int(timestamp * 1000))

    try:
        workers = [await worker(indices, enricher, send) for _ in range(2)]
        # each worker enriches one report, read from its own items.raw partition
        for n, (processor, report) in enumerate(zip(workers, REPORTS[:2], strict=True)):
            outcome = await processor.process([RawMessage(raw(*report).to_bytes(), partition=n, offset=0)])
            assert outcome.handed_to_fusion == 1 and outcome.enriched == []
        assert await read_records(own_broker.bootstrap_servers, topics.ITEMS_ENRICHED) == []
        handed = await read_records(own_broker.bootstrap_servers, topics.ITEMS_FUSION)
        assert [record.key for record in handed] == [b"SD", b"SD"]
        assert len({record.partition for record in handed}) == 1, "one country, one fusion partition"
        # each fusion partition is fused by the worker the group gave it to
        for record in handed:
            owner = workers[record.partition % 2]
            await owner.fuse_batch([Consumed(record.value, key=record.key, topic=topics.ITEMS_FUSION,
                                             partition=record.partition, offset=record.offset)])
        (incident,) = await incidents_in(indices.es, indices.incidents)
        assert incident.item_count == 2 and sorted(incident.item_ids) == ["r-1", "r-2"]
        published = [EnrichedItem.from_bytes(record.value)
                     for record in await read_records(own_broker.bootstrap_servers, topics.ITEMS_ENRICHED)]
        assert sorted(item.id for item in published) == ["r-1", "r-2"]
        assert {item.incident.id for item in published if item.incident} == {incident.id}
        await indices.es.indices.refresh(index=indices.items)
        archived = await indices.es.get(index=indices.items, id="r-1")
        assert archived["_source"]["incident"]["id"] == incident.id
    finally:
        await producer.stop()


async def test_a_worker_given_a_fusion_partition_first_takes_in_the_other_workers_incident(
    indices: Indices, enricher: Enricher
) -> None:
    recorder = Recorder()
    first, second = [await worker(indices, enricher, recorder.send) for _ in range(2)]  # both start empty
    r1, r2 = enriched_reports(enricher, REPORTS[:2])
    await first.fuse_batch([fusion_message(r1, partition=3)])
    # the partition moves: the second worker has never fused it
    await second.fuse_batch([fusion_message(r2, partition=3, offset=1)])
    (incident,) = await incidents_in(indices.es, indices.incidents)
    assert incident.item_count == 2 and sorted(incident.item_ids) == ["r-1", "r-2"]


async def test_a_fusion_partition_given_back_is_refreshed_again_so_no_worker_overwrites_the_other(
    indices: Indices, enricher: Enricher
) -> None:
    recorder = Recorder()
    first, second = [await worker(indices, enricher, recorder.send) for _ in range(2)]
    r1, r2, r3 = enriched_reports(enricher, REPORTS)
    await first.fuse_batch([fusion_message(r1, partition=3)])
    first.fusion_partitions.revoke([3])  # a rebalance: partition 3 goes to the second worker …
    await second.fuse_batch([fusion_message(r2, partition=3, offset=1)])
    await first.fuse_batch([fusion_message(r3, partition=3, offset=2)])  # … and back
    (incident,) = await incidents_in(indices.es, indices.incidents)
    assert incident.item_count == 3 and sorted(incident.item_ids) == ["r-1", "r-2", "r-3"]


async def test_a_fusion_batch_replayed_on_another_worker_after_a_crash_changes_no_incident(
    indices: Indices, enricher: Enricher
) -> None:
    recorder = Recorder()
    failing = RecordingArchive(indices.es, indices.items, recorder=recorder, failures=1)
    first = await worker(indices, enricher, recorder.send, failing)
    second = await worker(indices, enricher, recorder.send)
    r1, r2 = enriched_reports(enricher, REPORTS[:2])
    batch = [fusion_message(r1, partition=1), fusion_message(r2, partition=1, offset=1)]
    first.stop = asyncio.Event()
    first.stop.set()  # the incident is stored, the archive fails, the worker dies before its ack
    with pytest.raises(SearchUnavailable):
        await first.fuse_batch(batch)
    (before,) = await incidents_in(indices.es, indices.incidents)
    outcome = await second.fuse_batch(batch)  # the partition's new owner replays the batch
    (after,) = await incidents_in(indices.es, indices.incidents)
    assert before.item_count == 2
    assert after.model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"})
    assert [item.id for item in outcome.enriched] == ["r-1", "r-2"]
    assert {item.incident.id for item in outcome.enriched if item.incident} == {before.id}


async def test_the_first_hop_hands_only_hits_to_fusion_keyed_by_country_and_archives_the_rest(
    indices: Indices, enricher: Enricher
) -> None:
    recorder = Recorder()
    processor = await worker(indices, enricher, recorder.send)
    unplaced = raw("u-1", "wire", "Gunmen killed 12 villagers in an attack on a village, witnesses said.")
    unplaced = unplaced.model_copy(update={"country_hint": None})
    batch = [RawMessage(item.to_bytes()) for item in (raw(*REPORTS[0]), raw(*CALM), unplaced)]
    outcome = await processor.process(batch)
    handed = {EnrichedItem.from_bytes(value).id: key for topic, key, value in recorder.records
              if topic == topics.ITEMS_FUSION}
    assert handed == {"r-1": b"SD", "u-1": NO_COUNTRY}
    assert [item.id for item in outcome.enriched] == ["c-1"]
    assert [EnrichedItem.from_bytes(v).id for v in recorder.sent(topics.ITEMS_ENRICHED)] == ["c-1"]
    await indices.es.indices.refresh(index=indices.items)
    assert (await indices.es.count(index=indices.items))["count"] == 1


async def without_incidents(indices: Indices, enricher: Enricher) -> tuple[BatchProcessor, Recorder]:
    """A worker's pipeline with incidents off, recording what it sends."""
    recorder = Recorder()
    archive = Archive(indices.es, indices.items)
    await archive.install()
    processor = BatchProcessor(enricher, archive, recorder.send, max_item_bytes=64 * 1024, incidents=None,
                               fusion_hop=True)
    return processor, recorder


async def test_with_incidents_off_every_item_goes_straight_to_enriched(
    indices: Indices, enricher: Enricher
) -> None:
    processor, recorder = await without_incidents(indices, enricher)
    outcome = await processor.process([RawMessage(raw(*report).to_bytes()) for report in (REPORTS[0], CALM)])
    assert sorted(item.id for item in outcome.enriched) == ["c-1", "r-1"]
    assert recorder.sent(topics.ITEMS_FUSION) == []
    assert all(item.incident is None for item in outcome.enriched)


async def test_with_incidents_off_items_left_on_the_fusion_topic_are_still_archived_and_published(
    indices: Indices, enricher: Enricher
) -> None:
    processor, recorder = await without_incidents(indices, enricher)
    (r1,) = enriched_reports(enricher, REPORTS[:1])
    outcome = await processor.fuse_batch([fusion_message(r1, partition=0)])
    assert [item.id for item in outcome.enriched] == ["r-1"] and outcome.enriched[0].incident is None
    assert [EnrichedItem.from_bytes(v).id for v in recorder.sent(topics.ITEMS_ENRICHED)] == ["r-1"]
    await indices.es.indices.refresh(index=indices.items)
    assert (await indices.es.count(index=indices.items))["count"] == 1

"""What was published against what arrived: the bookkeeping of the scale-out and fault tests.

Every check here is exact: ids are read back from the topic or the archive and
compared as sets *and* counted, so a loss and a duplicate are told apart.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tocsin.schema import Item
from tocsin.search import search_client
from tocsin.settings import Settings


async def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]]) -> int:
    """Publish (key, value) records and wait for every acknowledgement."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=50,
                                max_batch_size=1024 * 1024, max_request_size=8 * 1024 * 1024)
    await producer.start()
    sent = 0
    try:
        pending = []
        for key, value in records:
            pending.append(await producer.send(topic, value, key=key))
            sent += 1
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


def produce_items(bootstrap: str, topic: str, items: Sequence[Item]) -> int:
    return asyncio.run(produce(bootstrap, topic, ((item.id.encode(), item.to_bytes()) for item in items)))


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes
    partition: int
    offset: int


def read_topic(bootstrap: str, topic: str) -> list[Record]:
    """Every record now on ``topic``, from the start of each partition to its end."""
    return asyncio.run(read_records(bootstrap, topic))


async def read_records(bootstrap: str, topic: str) -> list[Record]:
    """:func:`read_topic` for a caller already on an event loop."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=100,
                                max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    try:
        numbers = sorted(consumer.partitions_for_topic(topic) or ())
        partitions = [TopicPartition(topic, p) for p in numbers]
        if not partitions:
            return []
        ends = await end_offsets(consumer, partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Record] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for messages in batches.values():
                records.extend(Record(m.key, m.value or b"", m.partition, m.offset) for m in messages)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


def duplicates(ids: Iterable[str]) -> dict[str, int]:
    """Ids seen more than once, with how often."""
    return {key: n for key, n in Counter(ids).items() if n > 1}


def archive_count(settings: Settings) -> int:
    async def run() -> int:
        es = search_client(settings.search)
        try:
            index = settings.search.items_index
            if not await es.indices.exists(index=index):
                return 0
            await es.indices.refresh(index=index)
            return int((await es.count(index=index))["count"])
        finally:
            await es.close()

    return asyncio.run(run())


def archive_ids(settings: Settings, *, page: int = 10_000) -> list[str]:
    """Every document id in the items index, read page by page (sorted by id, search_after)."""

    async def run() -> list[str]:
        es = search_client(settings.search)
        try:
            index = settings.search.items_index
            await es.indices.refresh(index=index)
            ids: list[str] = []
            after: list[str] | None = None
            while True:
                hits = (await es.search(index=index, size=page, source=False, sort=[{"id": "asc"}],
                                        query={"match_all": {}}, track_total_hits=False,
                                        search_after=after))["hits"]["hits"]
                ids.extend(hit["_id"] for hit in hits)
                if len(hits) < page:
                    return ids
                after = hits[-1]["sort"]
        finally:
            await es.close()

    return asyncio.run(run())


def assert_archived_exactly(settings: Settings, expected: Iterable[str]) -> int:
    """The archive holds exactly the ``expected`` ids, each once; returns the count."""
    wanted = set(expected)
    count = archive_count(settings)
    ids = archive_ids(settings)
    copies = duplicates(ids)
    assert not copies, f"{len(copies)} ids archived more than once, e.g. {sorted(copies)[:5]}"
    missing, extra = wanted - set(ids), set(ids) - wanted
    assert not missing, f"{len(missing)} items lost, e.g. {sorted(missing)[:5]}"
    assert not extra, f"{len(extra)} unexpected documents, e.g. {sorted(extra)[:5]}"
    assert count == len(ids) == len(wanted), (count, len(ids), len(wanted))
    return count


async def end_offsets(consumer: AIOKafkaConsumer,
                      partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
    """The offset after the last record of each partition.

    Asked for the latest offset, Tansu answers the base offset of the last record
    batch plus one, not the end of that batch; so the last batch is read to find
    its real end.
    """
    reported = await consumer.end_offsets(list(partitions))
    ends: dict[TopicPartition, int] = {}
    for tp in partitions:
        ends[tp] = reported[tp]
        if reported[tp] == 0:
            continue
        consumer.assign([tp])
        consumer.seek(tp, reported[tp] - 1)
        batch = await consumer.getmany(tp, timeout_ms=2000)
        ends[tp] = max([reported[tp], *(m.offset + 1 for m in batch.get(tp, []))])
    return ends


def group_lag(bootstrap: str, group: str, topics: Sequence[str]) -> int | None:
    """Records on ``topics`` that consumer ``group`` has not committed yet (None: no commits yet)."""

    async def run() -> int | None:
        # Joins nothing: a consumer with a group id only to read the group's commits.
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                    fetch_max_wait_ms=100)
        await consumer.start()
        try:
            partitions = [TopicPartition(t, p) for t in topics
                          for p in sorted(consumer.partitions_for_topic(t) or ())]
            committed = {tp: await consumer.committed(tp) for tp in partitions}
            ends = await end_offsets(consumer, partitions)
            if all(offset is None for offset in committed.values()) and any(ends.values()):
                return None
            return sum(max(0, ends[tp] - max(committed[tp] or 0, 0)) for tp in partitions)
        finally:
            await consumer.stop()

    return asyncio.run(run())

"""Items to ``items.raw`` and dead letters to ``items.dlq``, acknowledged before returning.

The runner records a poll as done only after :meth:`KafkaPublisher.publish` returns,
so every record it reports has been acknowledged by all in-sync replicas. For a
crash between the acknowledgement and that record, the publisher also tells where
``items.raw`` ended before a send and which items arrived since, so the runner
can settle a journaled publish without sending its items twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol, runtime_checkable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from tocsin import topics
from tocsin.errors import PeerError
from tocsin.kafka import client_kwargs
from tocsin.schema import DeadLetter, Item
from tocsin.settings import KafkaSettings

log = logging.getLogger(__name__)

MAX_RECORD_BYTES = 1_000_000
"""Kafka's default ``message.max.bytes`` is 1 MiB including batch overhead; a larger
item is dead-lettered (truncated) rather than failing the whole poll forever."""


class PublishError(PeerError, RuntimeError):
    """The broker did not acknowledge every record; nothing of the poll counts as done."""


class Sink(Protocol):
    """Where the runner sends a poll's records; returns only once they are durable."""

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None: ...


@runtime_checkable
class JournaledSink(Sink, Protocol):
    """A sink that can say what reached ``items.raw``, so a crash mid-publish repeats nothing."""

    async def end_offsets(self) -> dict[int, int]:
        """Partition → the offset the next record will get (a lower bound will do)."""
        ...

    async def published_since(self, offsets: Mapping[int, int]) -> set[tuple[str, str, bool]]:
        """(id, content hash, deleted) of every item on ``items.raw`` from ``offsets`` to the end."""
        ...


def oversize_letter(item: Item, value: bytes) -> DeadLetter:
    return DeadLetter.of(
        stage="collector", reason="oversize_item", topic=topics.ITEMS_RAW, key=item.id, payload=value,
        error=f"item {item.id} from {item.source.name!r} encodes to {len(value)} bytes, "
              f"over the {MAX_RECORD_BYTES}-byte record limit",
    )


class KafkaPublisher:
    """An ``AIOKafkaProducer`` with ``acks="all"``. Use as an async context manager.

    ``idempotent`` defaults to off: the embedded Tansu broker (memory engine) answers
    ``InitProducerId`` with UNKNOWN_SERVER_ERROR, so an idempotent producer cannot
    start there. Against a real Kafka cluster pass ``idempotent=True`` to avoid
    duplicates from producer retries; without it, retries may duplicate a record,
    which the item id makes harmless downstream.
    """

    def __init__(self, settings: KafkaSettings, *, idempotent: bool = False) -> None:
        self.settings = settings
        self.idempotent = idempotent
        self._producer: AIOKafkaProducer | None = None
        self._reader: AIOKafkaConsumer | None = None
        # Feeds journal their polls concurrently: one reader for all, started once, and
        # read back by one feed at a time (each assigns it and moves its positions).
        self._reader_lock = asyncio.Lock()
        self._reading = asyncio.Lock()

    async def start(self) -> None:
        producer = AIOKafkaProducer(**client_kwargs(self.settings), acks="all",
                                    enable_idempotence=self.idempotent, linger_ms=5)
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        self._producer = producer

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> KafkaPublisher:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        """Send everything, then wait for every acknowledgement; raise :class:`PublishError`
        if any record was not acknowledged."""
        if self._producer is None:
            raise PublishError("the publisher is not started")
        letters = list(dead_letters)
        pending = []
        try:
            for item in items:
                value = item.to_bytes()
                if len(value) > MAX_RECORD_BYTES:
                    letters.append(oversize_letter(item, value))
                    continue
                pending.append(await self._producer.send(topics.ITEMS_RAW, value, key=item.id.encode()))
            for letter in letters:
                key = letter.key.encode() if letter.key else None
                pending.append(await self._producer.send(topics.ITEMS_DLQ, letter.to_bytes(), key=key))
            await asyncio.gather(*pending)
        except KafkaError as exc:
            for future in pending:
                future.cancel()
            raise PublishError(f"the broker did not acknowledge the records: {type(exc).__name__}: "
                               f"{exc}") from exc

    async def _partitions(self) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
        async with self._reader_lock:
            if self._reader is None:
                reader = AIOKafkaConsumer(**client_kwargs(self.settings), enable_auto_commit=False,
                                          fetch_max_wait_ms=100)
                try:
                    await reader.start()
                except BaseException:
                    await reader.stop()  # else aiokafka reports an "Unclosed AIOKafkaConsumer" later
                    raise
                self._reader = reader
        numbers = self._reader.partitions_for_topic(topics.ITEMS_RAW)
        if not numbers:
            await self._reader.topics()  # fetches the cluster's metadata
            numbers = self._reader.partitions_for_topic(topics.ITEMS_RAW)
        return self._reader, [TopicPartition(topics.ITEMS_RAW, p) for p in sorted(numbers or ())]

    async def end_offsets(self) -> dict[int, int]:
        try:
            reader, partitions = await self._partitions()
            ends = await reader.end_offsets(partitions)
        except KafkaError as exc:
            raise PublishError(f"could not read the end of {topics.ITEMS_RAW}: {exc}") from exc
        return {tp.partition: offset for tp, offset in ends.items()}

    async def published_since(self, offsets: Mapping[int, int]) -> set[tuple[str, str, bool]]:
        async with self._reading:
            return await self._read_since(offsets)

    async def _read_since(self, offsets: Mapping[int, int]) -> set[tuple[str, str, bool]]:
        try:
            reader, partitions = await self._partitions()
            ends = await reader.end_offsets(partitions)
            todo = [tp for tp in partitions if ends[tp] > offsets.get(tp.partition, 0)]
            reader.assign(todo)
            for tp in todo:
                reader.seek(tp, offsets.get(tp.partition, 0))
            found: set[tuple[str, str, bool]] = set()
            idle = 0
            # Five empty fetches in a row end the search early: an item not found is
            # published again (a duplicate at worst), never taken as sent.
            while todo and idle < 5:
                batches = await reader.getmany(*todo, timeout_ms=1000)
                idle = 0 if any(batches.values()) else idle + 1
                for messages in batches.values():
                    for message in messages:
                        found.update(_version(message.value))
                todo = [tp for tp in todo if await reader.position(tp) < ends[tp]]
            return found
        except KafkaError as exc:
            raise PublishError(f"could not read back {topics.ITEMS_RAW}: {exc}") from exc


def _version(value: bytes | None) -> list[tuple[str, str, bool]]:
    """(id, content hash, deleted) of a record on ``items.raw``; nothing for one that is not an item."""
    try:
        data = json.loads(value or b"")
        return [(str(data["id"]), str(data.get("content_sha256", "")), bool(data.get("deleted", False)))]
    except (ValueError, TypeError, KeyError):
        return []

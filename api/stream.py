"""``/alerts/stream``: alert versions as server-sent events, live from the ``alerts`` topic.

One consumer per API process reads ``alerts`` from its end (no consumer group: each
process sees every version) and fans each version out to the connected clients
through bounded queues. A client whose queue is full is dropped (its stream ends;
it reconnects with ``Last-Event-ID``) so that one slow reader never holds up the
others. ``Last-Event-ID`` replays the versions stored after that one from the
versions index before the live ones, without repeating any.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from elasticsearch import AsyncElasticsearch, NotFoundError
from pydantic import ValidationError

from tocsin import topics
from tocsin.kafka import client_kwargs
from tocsin.schema import Alert
from tocsin.settings import KafkaSettings

logger = logging.getLogger(__name__)

QUEUE_SIZE = 256
REPLAY_LIMIT = 1000
# Versions in the order they were made; (id, version) makes the order total for search_after.
VERSION_SORT: list[dict[str, Any]] = [
    {"updated_at": {"order": "asc", "unmapped_type": "date"}},
    {"id": {"order": "asc"}},
    {"version": {"order": "asc", "unmapped_type": "long"}},
]


def sse_frame(alert: Alert) -> bytes:
    """``event: alert``, ``id: <version id>``, ``data: <Alert JSON>``.

    The JSON is ASCII (``\\uXXXX`` escapes): raw U+2028, U+0085 and friends are
    legal in JSON but some clients split lines on them, which would cut an event.
    """
    event_id = "".join(c for c in alert.version_id if c.isprintable())
    data = json.dumps(alert.model_dump(mode="json"), ensure_ascii=True, separators=(",", ":"))
    return f"event: alert\nid: {event_id}\ndata: {data}\n\n".encode()


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[tuple[str, bytes] | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False


class AlertHub:
    """The one consumer of ``alerts`` in this process and the clients it feeds."""

    def __init__(self, settings: KafkaSettings, *, retry_s: float = 2.0) -> None:
        self.settings = settings
        self.retry_s = retry_s
        self.ready = asyncio.Event()
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0
        self.dropped = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alert-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subscriber in list(self._subscribers):
            self._drop(subscriber)

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def fan_out(self, version_id: str, frame: bytes) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber.queue.put_nowait((version_id, frame))
                self.delivered += 1
            except asyncio.QueueFull:
                logger.warning("dropping a slow alert stream client (%d versions unread)", QUEUE_SIZE)
                self._drop(subscriber)

    def _drop(self, subscriber: Subscriber) -> None:
        self.dropped += 1
        subscriber.dropped = True
        self._subscribers.discard(subscriber)
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(None)

    async def _run(self) -> None:
        """Read ``alerts`` from its end; after a failure, resume where it stopped."""
        positions: dict[TopicPartition, int] = {}
        while True:
            consumer = AIOKafkaConsumer(**client_kwargs(self.settings), group_id=None,
                                        enable_auto_commit=False, auto_offset_reset="latest")
            try:
                await consumer.start()
                partitions = await self._partitions(consumer)
                consumer.assign(partitions)
                for tp in partitions:
                    if tp in positions:
                        consumer.seek(tp, positions[tp])
                    else:
                        await consumer.seek_to_end(tp)
                    positions[tp] = await consumer.position(tp)
                self.ready.set()
                async for message in consumer:
                    positions[TopicPartition(message.topic, message.partition)] = message.offset + 1
                    try:
                        alert = Alert.from_bytes(message.value or b"")
                    except ValidationError as exc:
                        logger.warning("skipping an invalid alert at %s/%d@%d: %s", message.topic,
                                       message.partition, message.offset, exc)
                        continue
                    self.fan_out(alert.version_id, sse_frame(alert))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("alert stream consumer failed (%s: %s); retrying in %.0f s",
                               type(exc).__name__, exc, self.retry_s)
                await asyncio.sleep(self.retry_s)
            finally:
                await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        """All partitions of ``alerts``, once the topic exists (``tocsin init`` or a worker makes it)."""
        while True:
            await consumer.topics()  # fetches fresh metadata
            found = consumer.partitions_for_topic(topics.ALERTS)
            if found:
                return [TopicPartition(topics.ALERTS, p) for p in sorted(found)]
            await asyncio.sleep(self.retry_s)


async def replay_after(es: AsyncElasticsearch, index: str, last_event_id: str,
                       limit: int = REPLAY_LIMIT) -> AsyncIterator[Alert]:
    """The versions stored after ``last_event_id`` (a version id), oldest first, at most ``limit``."""
    try:
        anchor = await es.search(index=index, query={"ids": {"values": [last_event_id]}}, sort=VERSION_SORT,
                                 size=1)
    except NotFoundError:
        return
    hits = anchor["hits"]["hits"]
    if not hits:
        logger.info("Last-Event-ID %r is not in %s; nothing to replay", last_event_id, index)
        return
    after = hits[0]["sort"]
    sent = 0
    while sent < limit:
        page = await es.search(index=index, sort=VERSION_SORT, search_after=after,
                               size=min(100, limit - sent))
        hits = page["hits"]["hits"]
        if not hits:
            return
        for hit in hits:
            try:
                yield Alert.from_document(hit["_source"])
            except ValidationError as exc:
                logger.warning("skipping an invalid stored version %s: %s", hit["_id"], exc)
            sent += 1
        after = hits[-1]["sort"]

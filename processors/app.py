"""The processors stage as a Faust app: ``items.raw`` → enrich → ``items.enriched`` + archive.

Run with ``tocsin process``. Any number of workers share the load through the
consumer group; ``items.raw`` is keyed by item id, so each id stays with one worker.
With incidents on, items fusion considers take a second hop, ``items.fusion``, keyed by
country: one worker fuses all of a country's reports, whichever worker enriched them.
With ``processing.web_port`` set, the worker serves its health at ``/`` and its
Prometheus metrics at ``/metrics`` (``tocsin_swallowed_exceptions_total``: see
``tocsin.swallowed``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from elasticsearch import AsyncElasticsearch
from faust.types import TP
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from processors.archive import Archive
from processors.enrich import Enricher
from processors.incidents.stage import IncidentStage
from processors.pipeline import BatchOutcome, BatchProcessor, FusionPartitions, RawMessage
from tocsin import topics
from tocsin.search import search_client, with_retries
from tocsin.settings import Settings
from tocsin.streams import deliver, make_app, topic, until_done

logger = logging.getLogger(__name__)


class SharedProcessor:
    """The one :class:`BatchProcessor` both agents use (one enricher, one fuser per worker).

    Built by the first agent that enters; the search client is closed when the last leaves.
    """

    def __init__(self, app: faust.App, settings: Settings, enricher: Enricher | None) -> None:
        self.app = app
        self.settings = settings
        self.enricher = enricher
        self.fusion_partitions = FusionPartitions()
        self._lock = asyncio.Lock()
        self._users = 0
        self._es: AsyncElasticsearch | None = None
        self._processor: BatchProcessor | None = None

    async def __aenter__(self) -> BatchProcessor:
        async with self._lock:
            if self._processor is None:
                self._processor = await self._build()
            self._users += 1
            return self._processor

    async def __aexit__(self, *exc: object) -> None:
        async with self._lock:
            self._users -= 1
            if self._users == 0 and self._es is not None:
                await self._es.close()
                self._es, self._processor = None, None

    async def _build(self) -> BatchProcessor:
        settings = self.settings
        es = self._es = search_client(settings.search)
        archive = Archive(es, settings.search.items_index)
        await with_retries(archive.install, what="archive template")
        loop = asyncio.get_running_loop()
        built = self.enricher if self.enricher is not None else await loop.run_in_executor(
            None, Enricher.from_settings, settings.processing)
        incidents = await IncidentStage.start(
            settings.incidents, built.classifiers, es, settings.search.incidents_index,
            max_chars=settings.processing.max_analysed_chars,
            items_index=settings.search.items_index) if settings.incidents.enabled else None
        processor = BatchProcessor(built, archive, functools.partial(deliver, self.app),
                                   max_item_bytes=settings.processing.max_item_bytes,
                                   event_time=settings.event_time, incidents=incidents, fusion_hop=True)
        processor.fusion_partitions = self.fusion_partitions
        return processor


def create_app(settings: Settings, enricher: Enricher | None = None) -> faust.App:
    app = make_app(settings, "processors", web_port=settings.processing.web_port)
    shared = SharedProcessor(app, settings, enricher)

    @app.agent(topic(app, topics.ITEMS_RAW))
    async def process(stream: faust.StreamT) -> None:
        async with shared as processor:
            await _consume(stream, processor.process, "batch")

    # Read even with incidents off: items handed over before a restart with them off still get
    # archived and published (without an incident).
    @app.agent(topic(app, topics.ITEMS_FUSION))
    async def fuse(stream: faust.StreamT) -> None:
        async with shared as processor:
            await _consume(stream, processor.fuse_batch, "fusion batch")

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # mode's stub wants a sync signature
    async def forget_fusion_partitions(sender: faust.App, revoked: set[TP], **_: Any) -> None:
        """A partition given back may come back changed by another worker: refresh it then."""
        shared.fusion_partitions.revoke(tp.partition for tp in revoked if tp.topic == topics.ITEMS_FUSION)

    async def _consume(stream: faust.StreamT, step: Callable[[list[RawMessage]], Awaitable[BatchOutcome]],
                       what: str) -> None:
        batches = stream.noack_take(  # type: ignore[attr-defined]
            settings.processing.batch_size, within=settings.processing.batch_within_s)
        async for events in batches:
            batch = [
                RawMessage(value=event.value or b"", key=event.key, topic=event.message.topic,
                           partition=event.message.partition, offset=event.message.offset)
                for event in events
            ]
            outcome = await until_done(functools.partial(step, batch), what=what)
            for event in events:
                await stream.ack(event)
            logger.info("%s: %d in, %d enriched, %d to fusion, %d duplicates, %d dead letters", what,
                        len(batch), len(outcome.enriched), outcome.handed_to_fusion, outcome.duplicates,
                        len(outcome.dead_letters))

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return app

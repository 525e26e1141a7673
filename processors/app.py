"""The processors stage as a Faust app: ``items.raw`` → enrich → ``items.enriched`` + archive.

Run with ``tocsin process``. Any number of workers share the load through the
consumer group; ``items.raw`` is keyed by item id, so each id stays with one worker.
With ``processing.web_port`` set, the worker serves its health at ``/`` and its
Prometheus metrics at ``/metrics`` (``tocsin_swallowed_exceptions_total``: see
``tocsin.swallowed``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from processors.archive import Archive
from processors.enrich import Enricher
from processors.incidents.stage import IncidentStage
from processors.pipeline import BatchProcessor, RawMessage
from tocsin import topics
from tocsin.search import search_client, with_retries
from tocsin.settings import Settings
from tocsin.streams import deliver, make_app, topic, until_done

logger = logging.getLogger(__name__)


def create_app(settings: Settings, enricher: Enricher | None = None) -> faust.App:
    app = make_app(settings, "processors", web_port=settings.processing.web_port)
    raw_topic = topic(app, topics.ITEMS_RAW)

    @app.agent(raw_topic)
    async def process(stream: faust.StreamT) -> None:
        es = search_client(settings.search)
        try:
            archive = Archive(es, settings.search.items_index)
            await with_retries(archive.install, what="archive template")
            loop = asyncio.get_running_loop()
            built = enricher if enricher is not None else await loop.run_in_executor(
                None, Enricher.from_settings, settings.processing)
            incidents = await IncidentStage.start(
                settings.incidents, built.classifiers, es, settings.search.incidents_index,
                max_chars=settings.processing.max_analysed_chars) if settings.incidents.enabled else None
            processor = BatchProcessor(built, archive, lambda *args: deliver(app, *args),
                                       max_item_bytes=settings.processing.max_item_bytes,
                                       event_time=settings.event_time, incidents=incidents)
            await _consume(stream, processor)
        finally:
            await es.close()

    async def _consume(stream: faust.StreamT, processor: BatchProcessor) -> None:
        batches = stream.noack_take(  # type: ignore[attr-defined]
            settings.processing.batch_size, within=settings.processing.batch_within_s)
        async for events in batches:
            batch = [
                RawMessage(value=event.value or b"", key=event.key, topic=event.message.topic,
                           partition=event.message.partition, offset=event.message.offset)
                for event in events
            ]
            outcome = await until_done(functools.partial(processor.process, batch), what="batch")
            for event in events:
                await stream.ack(event)
            logger.info("batch: %d in, %d enriched, %d duplicates, %d dead letters", len(batch),
                        len(outcome.enriched), outcome.duplicates, len(outcome.dead_letters))

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return app

"""``/metrics``: Prometheus text for the pipeline and this API.

Throughput is exported as counters (records per topic, items in the archive) so
Prometheus' ``rate()`` gives items/s per stage; ``tocsin_stage_items_per_second``
is the same rate measured between the last two scrapes, for a glance without
PromQL. Consumer lag per group comes from the committed offsets. Each part that
cannot be measured (broker or search server down) is reported in
``tocsin_metrics_part_up`` instead of failing the scrape.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from elasticsearch import NotFoundError
from fastapi import APIRouter, Depends, Response
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import ApiContext, context
from api.health import feed_notes
from tocsin import topics
from tocsin.kafka import client_kwargs
from tocsin.schema import SEVERITIES
from tocsin.settings import KafkaSettings

logger = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
TIMEOUT_S = 5.0
# Which topic's growth is which stage's output.
STAGE_TOPICS = {"collect": topics.ITEMS_RAW, "process": topics.ITEMS_ENRICHED, "alert": topics.ALERTS}


class ApiMetrics:
    """This process's own counters, kept in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("tocsin_api_requests", "HTTP requests served, by route template and status",
                                ["method", "route", "status"], registry=self.registry)
        self.actions = Counter("tocsin_api_actions", "analysts' actions published", ["type"],
                               registry=self.registry)
        self._previous: dict[str, tuple[float, float]] = {}
        self._offsets: AIOKafkaConsumer | None = None
        self.offsets_lock = asyncio.Lock()

    def rates(self, totals: dict[str, float], now: float) -> dict[str, float]:
        """Per-second growth of each total since the previous scrape (none on the first)."""
        out = {}
        for name, value in totals.items():
            before = self._previous.get(name)
            if before is not None and now > before[1] and value >= before[0]:
                out[name] = (value - before[0]) / (now - before[1])
            self._previous[name] = (value, now)
        return out

    async def offsets_client(self, settings: KafkaSettings) -> AIOKafkaConsumer:
        if self._offsets is None:
            consumer = AIOKafkaConsumer(**client_kwargs(settings), group_id=None, enable_auto_commit=False,
                                        request_timeout_ms=int(TIMEOUT_S * 1000))
            try:
                await asyncio.wait_for(consumer.start(), TIMEOUT_S)
            except BaseException:
                await consumer.stop()
                raise
            self._offsets = consumer
        return self._offsets

    async def close(self) -> None:
        if self._offsets is not None:
            await self._offsets.stop()
            self._offsets = None


class RequestCounter:
    """ASGI middleware counting requests by route template (not raw path: ids would explode the labels)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], route, str(status["code"])).inc()


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def topic_totals(consumer: AIOKafkaConsumer, *, verify: bool = False,
                       ) -> tuple[dict[str, float], dict[TopicPartition, int]]:
    """Records ever written per pipeline topic (sum of end offsets) and each partition's end.

    ``verify`` (``kafka.verify_end_offsets``, the embedded broker): the reported ends
    are checked by reading each partition's last batch (``verified_ends``).
    """
    await asyncio.wait_for(consumer.topics(), TIMEOUT_S)
    partitions = [TopicPartition(name, p) for name in topics.ALL
                  for p in sorted(consumer.partitions_for_topic(name) or ())]
    ends = await asyncio.wait_for(consumer.end_offsets(partitions), TIMEOUT_S) if partitions else {}
    if verify:
        ends = await verified_ends(consumer, ends)
    totals = {name: 0.0 for name in topics.ALL}
    for tp, end in ends.items():
        totals[tp.topic] += end
    return totals, ends


async def verified_ends(consumer: AIOKafkaConsumer,
                        ends: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
    """Each partition's true end: one past the last record of the batch that holds ``end - 1``.

    The embedded broker (Tansu) reports a partition's end as the start of its last batch
    plus one, so the collector's batched writes to ``items.raw`` looked like fewer records
    than the archive holds. A fetch from ``end - 1`` returns that whole batch.
    """
    wanted = [tp for tp, end in ends.items() if end > 0]
    if not wanted:
        return dict(ends)
    exact = dict(ends)
    consumer.assign(wanted)
    for tp in wanted:
        consumer.seek(tp, ends[tp] - 1)
    pending = set(wanted)
    deadline = asyncio.get_running_loop().time() + TIMEOUT_S
    while pending and asyncio.get_running_loop().time() < deadline:
        fetched = await consumer.getmany(*pending, timeout_ms=500)
        for tp, records in fetched.items():
            if records:
                exact[tp] = max(exact[tp], max(record.offset for record in records) + 1)
                pending.discard(tp)
    consumer.assign([])
    return exact


async def consumer_lag(settings: KafkaSettings,
                       ends: dict[TopicPartition, int]) -> dict[tuple[str, str], int]:
    """(group, topic) → records not yet consumed, from the groups' committed offsets.

    Committed offsets are read through a consumer of each group that joins nothing
    (OffsetFetch only): the admin client's call for it fails against the embedded broker.
    """
    admin = AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=int(TIMEOUT_S * 1000))
    try:
        await asyncio.wait_for(admin.start(), TIMEOUT_S)
        groups = sorted(group[0] for group in await asyncio.wait_for(admin.list_consumer_groups(), TIMEOUT_S))
    finally:
        await admin.close()
    lag: dict[tuple[str, str], int] = {}
    for group_id in groups:
        reader = AIOKafkaConsumer(**client_kwargs(settings), group_id=group_id, enable_auto_commit=False,
                                  request_timeout_ms=int(TIMEOUT_S * 1000))
        try:
            await asyncio.wait_for(reader.start(), TIMEOUT_S)
            for tp, end in ends.items():
                committed = await asyncio.wait_for(reader.committed(tp), TIMEOUT_S)
                if committed is None or committed < 0:
                    continue
                key = (group_id, tp.topic)
                lag[key] = lag.get(key, 0) + max(0, end - committed)
        finally:
            await reader.stop()
    return lag


async def alert_counts(ctx: ApiContext) -> dict[tuple[str, str], int]:
    """(status, severity) → alerts (latest versions) in the alerts index."""
    try:
        response = await asyncio.wait_for(ctx.es.search(
            index=ctx.settings.search.alerts_index, size=0,
            aggs={"status": {
                "filters": {"filters": {s: {"term": {"status": s}} for s in ("open", "resolved")}},
                "aggs": {"severity": {"terms": {"field": "severity", "size": len(SEVERITIES) + 5}}}}}),
            TIMEOUT_S)
    except NotFoundError:
        return {}
    counts: dict[tuple[str, str], int] = {}
    for status, bucket in response["aggregations"]["status"]["buckets"].items():
        for severity in bucket["severity"]["buckets"]:
            counts[(status, str(severity["key"]))] = int(severity["doc_count"])
    return counts


async def archive_count(ctx: ApiContext) -> int:
    try:
        response = await asyncio.wait_for(ctx.es.count(index=ctx.settings.search.items_index), TIMEOUT_S)
    except NotFoundError:
        return 0
    return int(response["count"])


async def pipeline_families(ctx: ApiContext) -> list[Metric]:
    up = GaugeMetricFamily("tocsin_metrics_part_up", "1 when that part could be measured in this scrape",
                           labels=["part"])
    families: list[Metric] = [up]
    now = time.time()
    totals: dict[str, float] = {}

    async def measured(part: str, coroutine: Any) -> Any:
        try:
            result = await coroutine
        except Exception as exc:
            logger.warning("metrics: %s not measured: %s: %s", part, type(exc).__name__, exc)
            up.add_metric([part], 0)
            return None
        up.add_metric([part], 1)
        return result

    async def topics_part() -> tuple[dict[str, float], dict[TopicPartition, int]]:
        async with ctx.metrics.offsets_lock:  # verifying ends moves the shared client's positions
            return await topic_totals(await ctx.metrics.offsets_client(ctx.settings.kafka),
                                      verify=ctx.settings.kafka.verify_end_offsets)

    topic_result, archived, alerts = await asyncio.gather(
        measured("topics", topics_part()), measured("archive", archive_count(ctx)),
        measured("alerts", alert_counts(ctx)))
    if topic_result is not None:
        topic_total, ends = topic_result
        records = CounterMetricFamily("tocsin_topic_records",
                                      "records ever written to each topic (end offsets); items.enriched "
                                      "and the archive hold fewer than items.raw when the processors "
                                      "drop copies or dead-letter items", labels=["topic"])
        for name, value in topic_total.items():
            records.add_metric([name], value)
        families.append(records)
        dlq = CounterMetricFamily("tocsin_dlq_records", "items no stage could handle (items.dlq)")
        dlq.add_metric([], topic_total.get(topics.ITEMS_DLQ, 0.0))
        families.append(dlq)
        for stage, name in STAGE_TOPICS.items():
            totals[stage] = topic_total.get(name, 0.0)
        lag = await measured("consumer_lag", consumer_lag(ctx.settings.kafka, ends))
        if lag is not None:
            lag_family = GaugeMetricFamily("tocsin_consumer_lag",
                                           "records not yet consumed, per group and topic",
                                           labels=["group", "topic"])
            for (group, topic), value in sorted(lag.items()):
                lag_family.add_metric([group, topic], value)
            families.append(lag_family)
    if archived is not None:
        archive = GaugeMetricFamily("tocsin_archive_items", "items in the archive index")
        archive.add_metric([], archived)
        families.append(archive)
        totals["archive"] = float(archived)
    if alerts is not None:
        alert_family = GaugeMetricFamily("tocsin_alerts", "alerts by status and severity (latest versions)",
                                         labels=["status", "severity"])
        for (status, severity), value in sorted(alerts.items()):
            alert_family.add_metric([status, severity], value)
        families.append(alert_family)
    rates = GaugeMetricFamily("tocsin_stage_items_per_second",
                              "growth of each stage's output since the previous scrape", labels=["stage"])
    for stage, value in sorted(ctx.metrics.rates(totals, now).items()):
        rates.add_metric([stage], value)
    families.append(rates)
    notes = await measured("collectors", asyncio.to_thread(feed_notes, ctx.settings.collector.state_path))
    if notes is not None:
        reports = CounterMetricFamily("tocsin_collector_reports",
                                      "what sources reported besides their polls (refused streams, "
                                      "stream history lost), per source and kind", labels=["source", "kind"])
        for (feed, kind), count in sorted(notes.items()):
            reports.add_metric([feed, kind], count)
        families.append(reports)
    stream = GaugeMetricFamily("tocsin_api_stream_clients", "clients on /alerts/stream")
    stream.add_metric([], ctx.hub.subscribers)
    dropped = CounterMetricFamily("tocsin_api_stream_dropped",
                                  "stream clients dropped for reading too slowly")
    dropped.add_metric([], ctx.hub.dropped)
    families.extend([stream, dropped])
    return families


@router.get("/metrics", summary="Prometheus metrics (text format)", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
async def metrics(ctx: Annotated[ApiContext, Depends(context)]) -> Response:
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Families(await pipeline_families(ctx)))
    body = generate_latest(ctx.metrics.registry) + generate_latest(scrape)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

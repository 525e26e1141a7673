"""Tocsin benchmark: throughput of each stage and of the whole stream, and alert latency.

Run from a checkout: ``python bench/run.py`` (about 4 minutes on 2 cores),
``python bench/run.py --quick`` (under a minute), ``--only e2e,alerts`` for some
stages, ``--profile`` to sample the collector and workers with py-spy (``--py-spy
PATH`` if it is not on PATH), ``--env KEY=VALUE`` to try a setting in the children.

It starts its own peers on free loopback ports (a Tansu broker per stage, so no
stage sees another's records; one osmem search server; a local feed server on a
temporary directory) and stops them, and every child, before it exits.

Input: ``--items`` feed entries (default 20,000) that re-use the real text of the
demo corpus (``demo/corpus``), each with its own guid and a publication date in
the past six hours, written as RSS files of ``--per-feed`` entries (see
``bench/corpus.py``). Stages:

collect   fetch + parse + normalise every feed (``Collector.run_once``) into memory
publish   the same, publishing to the broker with ``KafkaPublisher``
enrich    ``Enricher.enrich_many`` in batches of 500, one core, keyword classifiers
archive   ``Archive.store`` into osmem in batches of 500
process   ``items.raw`` pre-loaded with every item, then ``tocsin process`` worker(s)
          started; until the archive holds them all. The row gives the steady rate
          from the first archived batch on; the notes give start-up and the rate
          including it.
e2e       warm ``tocsin process`` worker(s), then ``tocsin collect --once``: from its
          start until the archive holds every item
alerts    a ``tocsin alert`` worker with a rule that raises one alert per item;
          enriched items produced at a steady rate; produce → alert latency

After the table: CPU seconds of every process while a stage ran (where the time
goes across processes), each worker's batch time split read from its log, peak
RSS per process, and with ``--profile`` py-spy's hot spots.

What the embedded peers add, so the figures are read right:

- osmem indexes about 1,500-2,000 documents/s and stalls 2.5-4 s every 5,000
  documents; it, not Tocsin, bounds the archive and the stages after it.
- Tansu answers a fetch of several partitions only when ``fetch_max_wait_ms`` is
  up, and Faust asks for 1,500 ms, so every Faust hop may wait up to that long.
- The Kafka session and rebalance timeouts (``TOCSIN_KAFKA__SESSION_TIMEOUT_S``,
  ``TOCSIN_KAFKA__REBALANCE_TIMEOUT_S``) are set to 10 s for the workers: Tansu
  holds a new consumer group's first join for half of that (30 s with Faust's
  defaults of 60 s), which would be measured as start-up, not processing.
  Nothing else is tuned.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from elasticsearch import AsyncElasticsearch, NotFoundError

from collectors.config import load_sources
from collectors.publisher import KafkaPublisher
from collectors.runner import Collector, RunSummary
from processors.archive import Archive
from processors.enrich import Enricher
from tocsin import topics
from tocsin.documents import to_document
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.processes import spawn
from tocsin.schema import Alert, DeadLetter, EnrichedItem, Item
from tocsin.search import search_client
from tocsin.settings import CollectorSettings, KafkaSettings, ProcessingSettings, SearchSettings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.feedserver import FeedServer
from tocsin_embedded.ports import free_port
from tocsin_embedded.search import start_search_server

if __package__ in (None, ""):  # run as a script: make the 'bench' package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import hotspots
from bench.children import (
    Child,
    PeakMemory,
    cpu_seconds,
    own_peak_rss_kib,
    stop_all,
    workdir,
)
from bench.corpus import SyntheticFeeds, parse_written, write_feeds
from bench.worklog import batch_times

STAGES = ("collect", "publish", "enrich", "archive", "process", "e2e", "alerts")
COMPAT_NODE = "tocsin_embedded.compat:PlainJsonNode"
PARTITIONS = 2  # as the embedded demo: one partition per worker on a 2-core machine
BATCH = 500  # the processors' default batch size, used for enrich and archive too
TARGET_E2E_PER_S = 5000.0
TARGET_ALERT_P95_S = 2.0
POLL_S = 0.2

ALERT_RULES = """\
# Benchmark rule: every item is its own group and raises exactly one alert.
rules:
  - name: bench-every-item
    type: frequency
    description: One alert per item, to time produce-to-alert latency.
    severity: info
    group_by: [id]
    window: 10m
    step: 10m
    threshold: 1
    realert: 1d
"""


# --- results --------------------------------------------------------------------------


@dataclass
class Row:
    stage: str
    items: int
    seconds: float
    notes: str = ""

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    cpu: list[str] = field(default_factory=list)
    batches: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  → {row.stage}: {row.items} items in {row.seconds:.2f} s = {row.rate:,.0f} items/s"
              + (f"  ({row.notes})" if row.notes else ""), flush=True)

    def table(self) -> str:
        lines = ["| stage | items | seconds | items/s | notes |", "|---|---:|---:|---:|---|"]
        lines += [f"| {r.stage} | {r.items:,} | {r.seconds:.2f} | {r.rate:,.0f} | {r.notes} |"
                  for r in self.rows]
        return "\n".join(lines)


class MemorySink:
    """A collector sink that keeps what it is given (the 'collect' stage: no Kafka)."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.dead_letters: list[DeadLetter] = []

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        self.items.extend(items)
        self.dead_letters.extend(dead_letters)


@dataclass
class Progress:
    """Archive count over time while a stage drains."""

    start: float
    first_at: float | None = None
    first_count: int = 0
    done_at: float | None = None
    count: int = 0

    def drain_rate(self, target: int) -> tuple[float, int]:
        """(seconds, items) from the first archived batch seen to the last item."""
        if self.first_at is None or self.done_at is None or self.done_at <= self.first_at:
            return (self.done_at or time.monotonic()) - self.start, target
        return self.done_at - self.first_at, target - self.first_count


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


# --- the benchmark --------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex[:6]
        self.results = Results()
        self.peaks = PeakMemory()
        self.stack = contextlib.ExitStack()
        self.search: Any = None
        self.es: AsyncElasticsearch | None = None
        self.feeds: SyntheticFeeds | None = None
        self.feeds_file = workdir / "feeds.yaml"
        self.items: list[Item] | None = None
        self.enriched: list[EnrichedItem] | None = None
        self.enricher: Enricher | None = None
        self.pyspy = shutil.which("py-spy") or args.py_spy
        self.profiles: list[Path] = []

    # peers ------------------------------------------------------------------------------

    def start_peers(self) -> None:
        print(f"writing {self.args.items:,} feed entries …", flush=True)
        self.feeds = write_feeds(self.workdir / "feeds", entries=self.args.items, per_feed=self.args.per_feed,
                                 run=self.run_id)
        print(f"  {len(self.feeds.names)} RSS files, {self.feeds.bytes / 1e6:.1f} MB", flush=True)
        self.search = start_search_server()
        self.stack.callback(self.close_search)
        server = self.stack.enter_context(FeedServer.start(self.feeds.directory))
        self.feeds.feeds_yaml(server.url, self.feeds_file)
        self.es = search_client(self.search_settings())

    def close_search(self) -> None:
        self.peaks.sample("search server (osmem)", self.search.pid)
        self.search.close()

    def search_settings(self) -> SearchSettings:
        return SearchSettings(url=self.search.url, node_class=COMPAT_NODE)

    @contextlib.asynccontextmanager
    async def broker(self) -> AsyncIterator[LocalBroker]:
        """A fresh broker (memory storage): each stage starts with empty topics."""
        broker = LocalBroker.start()
        try:
            yield broker
        finally:
            self.peaks.sample("broker (Tansu)", broker.process.pid)
            broker.close()

    def kafka_settings(self, broker: LocalBroker) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_partitions=PARTITIONS)

    def env(self, stage: str, broker: LocalBroker) -> dict[str, str]:
        """The TOCSIN_* settings of a stage's child processes (as tests/e2e does)."""
        name = f"bench-{self.run_id}-{stage}"
        data = self.workdir / name
        data.mkdir(parents=True, exist_ok=True)
        rules = self.workdir / "rules.yaml"
        rules.write_text(ALERT_RULES, encoding="utf-8")
        return {
            "TOCSIN_APP_ID_PREFIX": name,
            "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "TOCSIN_KAFKA__TOPIC_PARTITIONS": str(PARTITIONS),
            "TOCSIN_SEARCH__URL": self.search.url,
            "TOCSIN_SEARCH__NODE_CLASS": COMPAT_NODE,
            "TOCSIN_SEARCH__ITEMS_INDEX": f"{name}-items",
            "TOCSIN_SEARCH__ALERTS_INDEX": f"{name}-alerts",
            "TOCSIN_COLLECTOR__FEEDS_FILE": str(self.feeds_file),
            "TOCSIN_COLLECTOR__STATE_PATH": str(data / "collector-state.sqlite3"),
            "TOCSIN_COLLECTOR__ALLOW_PRIVATE_TARGETS": "true",  # the feeds are served on 127.0.0.1
            "TOCSIN_ALERTS__RULES_FILE": str(rules),
            "TOCSIN_ALERTS__WEB_PORT": str(free_port()),
            "TOCSIN_DATA_DIR": str(data),
            # see the module docstring
            "TOCSIN_KAFKA__SESSION_TIMEOUT_S": "10",
            "TOCSIN_KAFKA__REBALANCE_TIMEOUT_S": "10",
            "PYTHONUNBUFFERED": "1",  # the warm-up and the batch split read the logs as they grow
            **self.args.env,
        }

    def child(self, label: str, args: list[str], env: dict[str, str]) -> Child:
        log = self.workdir / f"{label.replace(' ', '-').replace('/', '-')}.log"
        return Child.start(label, args, env, log, self.peaks)

    # shared inputs ----------------------------------------------------------------------

    def raw_items(self) -> list[Item]:
        if self.items is None:
            assert self.feeds is not None
            self.items = parse_written(self.feeds, self.feeds_file)
        return self.items

    def get_enricher(self) -> Enricher:
        if self.enricher is None:
            self.enricher = Enricher.from_settings(ProcessingSettings())
        return self.enricher

    def enriched_items(self) -> list[EnrichedItem]:
        if self.enriched is None:
            items = self.raw_items()
            enricher = self.get_enricher()
            self.enriched = [enriched for i in range(0, len(items), BATCH)
                             for enriched in enricher.enrich_many(items[i:i + BATCH])]
        return self.enriched

    # archive helpers --------------------------------------------------------------------

    async def count(self, index: str) -> int:
        assert self.es is not None
        try:  # osmem counts in real time: no refresh, which would cost it CPU on every poll
            return int((await self.es.count(index=index))["count"])
        except NotFoundError:
            return 0

    async def drop_index(self, index: str) -> None:
        """Free the search server's memory for the next stage."""
        assert self.es is not None
        with contextlib.suppress(Exception):
            await self.es.indices.delete(index=index, ignore_unavailable=True)

    async def wait_archived(self, index: str, target: int, workers: Sequence[Child], *,
                            timeout: float, start: float | None = None) -> Progress:
        progress = Progress(start=start or time.monotonic())
        deadline = time.monotonic() + timeout
        while True:
            for worker in workers:
                worker.check(f"{target} items in {index}")
            progress.count = await self.count(index)
            now = time.monotonic()
            if progress.count > 0 and progress.first_at is None:
                progress.first_at, progress.first_count = now, progress.count
            if progress.count >= target:
                progress.done_at = now
                return progress
            if now > deadline:
                raise TimeoutError(f"{index}: {progress.count} of {target} items archived "
                                   f"after {timeout:.0f} s")
            await asyncio.sleep(POLL_S)

    def drain_timeout(self, items: int) -> float:
        return 120.0 + items / 100.0  # far beyond any plausible run; only a hang reaches it

    # CPU accounting ---------------------------------------------------------------------

    def cpu_snapshot(self, broker: LocalBroker, children: Sequence[Child]) -> dict[str, float]:
        pids = {"bench (+ feed server)": os.getpid(), "broker": broker.process.pid,
                "osmem": self.search.pid}
        snapshot = {label: cpu_seconds(pid) or 0.0 for label, pid in pids.items()}
        for child in children:
            snapshot[child.label] = child.cpu_s() or 0.0
        return snapshot

    def cpu_line(self, stage: str, wall: float, before: dict[str, float], after: dict[str, float]) -> None:
        parts = [f"{label} {after[label] - before.get(label, 0.0):.1f}" for label in after]
        total = sum(after[label] - before.get(label, 0.0) for label in after)
        line = (f"{stage}: {wall:.1f} s wall, {total:.1f} CPU-s used of {wall * (os.cpu_count() or 1):.1f} "
                f"available — " + ", ".join(parts))
        self.results.cpu.append(line)
        print(f"  CPU {line}", flush=True)

    def batch_lines(self, stage: str, workers: Sequence[Child], offsets: dict[str, int]) -> None:
        for worker in workers:
            line = f"{stage} {worker.label.split(' [')[0]}: " + batch_times(
                worker.log, offsets.get(worker.label, 0)).summary()
            self.results.batches.append(line)
            print(f"  {line}", flush=True)

    # profiling --------------------------------------------------------------------------

    def profile(self, child: Child, stage: str) -> subprocess.Popen[bytes] | None:
        """Sample a child with py-spy until it exits or is interrupted (``--profile``)."""
        if not self.args.profile:
            return None
        if not self.pyspy:
            print("  (--profile: py-spy not found on PATH; pass --py-spy PATH)", flush=True)
            return None
        out = self.workdir / f"profile-{stage}-{child.label.replace(' ', '-')}.txt"
        self.profiles.append(out)
        return spawn([self.pyspy, "record", "--pid", str(child.pid), "--format", "raw", "--rate", "100",
                      "--nonblocking", "--output", str(out)],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @staticmethod
    def stop_profilers(profilers: Sequence[subprocess.Popen[bytes] | None]) -> None:
        for proc in profilers:
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for proc in profilers:
            if proc is None:
                continue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # stages -----------------------------------------------------------------------------

    async def collect(self, sink: MemorySink | KafkaPublisher, name: str) -> tuple[RunSummary, float]:
        settings = CollectorSettings(allow_private_targets=True, feeds_file=self.feeds_file,
                                     state_path=self.workdir / f"state-{name}.sqlite3")
        feeds = load_sources(self.feeds_file)
        started = time.perf_counter()
        async with Collector(feeds, settings, sink) as collector:
            summary = await asyncio.wait_for(collector.run_once(),
                                             timeout=self.drain_timeout(self.args.items))
        elapsed = time.perf_counter() - started
        if summary.count("failed") or summary.new_items != self.args.items:
            raise RuntimeError(f"{name}: expected {self.args.items} new items, got {summary}")
        return summary, elapsed

    async def stage_collect(self) -> None:
        sink = MemorySink()
        summary, elapsed = await self.collect(sink, "collect")
        self.items = sink.items
        self.results.add(Row("1 collect (fetch+parse+normalise)", summary.new_items, elapsed,
                             f"{len(summary.reports)} feeds, in-process, in-memory sink; "
                             f"per-host concurrency {CollectorSettings().per_host_concurrency}"))

    async def stage_publish(self) -> None:
        async with self.broker() as broker:
            kafka = self.kafka_settings(broker)
            await ensure_topics(kafka)
            async with KafkaPublisher(kafka) as publisher:
                summary, elapsed = await self.collect(publisher, "publish")
            on_topic = await count_records(kafka, topics.ITEMS_RAW, summary.new_items)
        self.results.add(Row("2 collect+publish", summary.new_items, elapsed,
                             f"KafkaPublisher acks=all → local broker; {on_topic:,} records on items.raw"))

    async def stage_enrich(self) -> None:
        items = self.raw_items()
        started = time.perf_counter()
        enricher = self.get_enricher()
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        enriched: list[EnrichedItem] = []
        for i in range(0, len(items), BATCH):
            enriched.extend(enricher.enrich_many(items[i:i + BATCH]))
        elapsed = time.perf_counter() - started
        self.enriched = enriched
        langs: dict[str, int] = {}
        for item in enriched:
            langs[item.lang] = langs.get(item.lang, 0) + 1
        categorised = sum(1 for item in enriched if item.categories)
        placed = sum(1 for item in enriched if item.country)
        top = ", ".join(f"{k} {v}" for k, v in sorted(langs.items(), key=lambda kv: -kv[1])[:4])
        self.results.add(Row("3 enrich (1 core)", len(enriched), elapsed,
                             f"batches of {BATCH}, classifiers {ProcessingSettings().classifiers}; "
                             f"load {load_s:.1f} s; langs {top}; {categorised} categorised, {placed} placed"))

    async def stage_archive(self) -> None:
        assert self.es is not None
        enriched = self.enriched_items()
        index = f"bench-{self.run_id}-archive"
        archive = Archive(self.es, index)
        await archive.install()
        started = time.perf_counter()
        rejected = 0
        for i in range(0, len(enriched), BATCH):
            rejected += len(await archive.store(enriched[i:i + BATCH]))
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        for item in enriched:
            to_document(item)
        convert_s = time.perf_counter() - started
        stored = await self.count(index)
        await self.drop_index(index)
        if rejected or stored != len(enriched):
            raise RuntimeError(f"archive: {stored} of {len(enriched)} stored, {rejected} rejected")
        self.results.add(Row("4 archive (bulk → osmem)", len(enriched), elapsed,
                             f"batches of {BATCH}, sequential; of which to_document {convert_s:.2f} s"))

    async def stage_process(self, workers: int) -> None:
        items = self.raw_items()
        stage = f"process×{workers}"
        async with self.broker() as broker:
            kafka = self.kafka_settings(broker)
            env = self.env(f"process{workers}", broker)
            index = env["TOCSIN_SEARCH__ITEMS_INDEX"]
            await ensure_topics(kafka)
            started = time.perf_counter()
            async with KafkaPublisher(kafka) as publisher:
                for i in range(0, len(items), 5000):
                    await publisher.publish(items[i:i + 5000], [])
            preload_s = time.perf_counter() - started
            children: list[Child] = []
            try:
                spawned = time.monotonic()
                children = [self.child(f"processors worker {k + 1} [{stage}]", ["process"], env)
                            for k in range(workers)]
                before = self.cpu_snapshot(broker, children)
                progress = await self.wait_archived(index, len(items), children,
                                                    timeout=self.drain_timeout(len(items)), start=spawned)
                self.cpu_line(stage, time.monotonic() - spawned, before, self.cpu_snapshot(broker, children))
            finally:
                stop_all(children)
            self.batch_lines(stage, children, {})  # once stopped: the last batch's line is written
            await self.drop_index(index)
        assert progress.done_at is not None and progress.first_at is not None
        seconds, drained = progress.drain_rate(len(items))
        total = progress.done_at - spawned
        self.results.add(Row(f"5 processors, {workers} worker{'s' * (workers > 1)}", drained, seconds,
                             f"steady state after the first batch; start → first batch "
                             f"{progress.first_at - spawned:.1f} s; incl. start {len(items) / total:,.0f}/s "
                             f"({len(items):,} in {total:.1f} s); pre-load {preload_s:.1f} s"))

    async def warm_up(self, kafka: KafkaSettings, index: str, workers: Sequence[Child]) -> int:
        """Send sentinel items to every partition until each worker has processed a batch.

        Returns how many sentinels are in the archive, so the timed run can wait for
        ``items + sentinels``.
        """
        template = self.raw_items()[0]
        sent = 0
        deadline = time.monotonic() + 120
        producer = AIOKafkaProducer(**client_kwargs(kafka), acks="all")
        await producer.start()
        try:
            while True:
                for partition in range(PARTITIONS):
                    item = template.model_copy(update={"id": f"bench-warm-up-{sent}"})
                    await (await producer.send(topics.ITEMS_RAW, item.to_bytes(), key=item.id.encode(),
                                               partition=partition))
                    sent += 1
                await self.wait_archived(index, sent, workers, timeout=max(5.0, deadline - time.monotonic()))
                if all("batch: " in worker.tail(1_000_000) for worker in workers):
                    return sent
                if time.monotonic() > deadline:
                    raise TimeoutError("warm-up: not every worker took a partition within 120 s")
                await asyncio.sleep(1.0)
        finally:
            await producer.stop()

    async def stage_e2e(self, workers: int) -> None:
        expected = self.args.items
        stage = f"e2e×{workers}"
        async with self.broker() as broker:
            kafka = self.kafka_settings(broker)
            env = self.env(f"e2e{workers}", broker)
            index = env["TOCSIN_SEARCH__ITEMS_INDEX"]
            await ensure_topics(kafka)
            children: list[Child] = []
            profilers: list[subprocess.Popen[bytes] | None] = []
            try:
                children = [self.child(f"processors worker {k + 1} [{stage}]", ["process"], env)
                            for k in range(workers)]
                warm = await self.warm_up(kafka, index, children)
                offsets = {child.label: child.log.stat().st_size for child in children}
                before = self.cpu_snapshot(broker, children)
                started = time.monotonic()
                collector = self.child(f"collector [{stage}]", ["collect", "--once"], env)
                profilers = [self.profile(child, stage) for child in [collector, *children]]
                collector_done: list[float] = []

                async def watch_collector() -> None:
                    while collector.alive():
                        await asyncio.sleep(0.05)
                    collector_done.append(time.monotonic())

                watcher = asyncio.create_task(watch_collector())
                try:
                    progress = await self.wait_archived(index, expected + warm, children,
                                                        timeout=self.drain_timeout(expected), start=started)
                finally:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
                wall = time.monotonic() - started
                collector.wait(timeout=60)
                if collector.process.returncode != 0:
                    raise RuntimeError(f"the collector exited with {collector.process.returncode}:\n"
                                       f"{collector.tail()}")
                self.cpu_line(stage, wall, before, self.cpu_snapshot(broker, [collector, *children]))
            finally:
                self.stop_profilers(profilers)
                stop_all(children)
            self.batch_lines(stage, children, offsets)
            await self.drop_index(index)
        assert progress.done_at is not None
        collector_s = (collector_done[0] - started) if collector_done else float("nan")
        rate = expected / (progress.done_at - started)
        verdict = "meets" if rate >= TARGET_E2E_PER_S else "BELOW"
        self.results.add(Row(f"6 end to end, {workers} worker{'s' * (workers > 1)}", expected,
                             progress.done_at - started,
                             f"collect --once child → broker → processors → archive; collector exited after "
                             f"{collector_s:.1f} s; {verdict} target {TARGET_E2E_PER_S:,.0f}/s"))

    async def stage_alerts(self) -> None:
        rate, duration = self.args.alert_rate, self.args.alert_seconds
        template = self.enriched_items()[0]
        async with self.broker() as broker:
            kafka = self.kafka_settings(broker)
            env = self.env("alerts", broker)
            await ensure_topics(kafka)
            arrived: dict[str, float] = {}
            raised: dict[str, float] = {}
            alerts_seen: dict[str, int] = {}
            # A short fetch wait: Tansu answers a fetch only when fetch_max_wait_ms is up (unless
            # a single partition is fetched), so the default 500 ms would add to every latency.
            consumer = AIOKafkaConsumer(topics.ALERTS, **client_kwargs(kafka), group_id=None,
                                        auto_offset_reset="earliest", enable_auto_commit=False,
                                        fetch_max_wait_ms=20)
            producer = AIOKafkaProducer(**client_kwargs(kafka), acks="all", linger_ms=0)
            await consumer.start()
            await producer.start()
            worker: Child | None = None
            profilers: list[subprocess.Popen[bytes] | None] = []

            async def receive() -> None:
                async for message in consumer:
                    now = time.monotonic()
                    alert = Alert.from_bytes(message.value or b"")
                    for item_id in alert.sample_item_ids:
                        arrived.setdefault(item_id, now)
                        raised.setdefault(item_id, alert.raised_at.timestamp())
                        alerts_seen[item_id] = alerts_seen.get(item_id, 0) + 1

            sent_wall: dict[str, float] = {}

            async def produce(item_id: str) -> float:
                now_dt = datetime.now(UTC)
                item = template.model_copy(update={"id": item_id, "published": now_dt, "collected": now_dt,
                                                   "processed": now_dt})
                value = item.to_bytes()
                sent_at = time.monotonic()
                sent_wall[item_id] = time.time()
                await producer.send(topics.ITEMS_ENRICHED, value, key=item_id.encode(),
                                    timestamp_ms=int(now_dt.timestamp() * 1000))
                return sent_at

            receiver = asyncio.create_task(receive())
            try:
                worker = self.child("alerts worker [alerts]", ["alert"], env)
                profilers = [self.profile(worker, "alerts")]
                warm_deadline = time.monotonic() + 120
                n = 0
                while not any(key.startswith("warm-up-") for key in arrived):
                    worker.check("the first alert")
                    if time.monotonic() > warm_deadline:
                        raise TimeoutError("no alert within 120 s of starting the alerts worker:\n"
                                           + worker.tail())
                    await produce(f"warm-up-{n}")
                    n += 1
                    await asyncio.sleep(1.0)
                await asyncio.sleep(2.0)
                before = self.cpu_snapshot(broker, [worker])
                sent: dict[str, float] = {}
                total = int(rate * duration)
                started = time.monotonic()
                for k in range(total):
                    delay = started + k / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    item_id = f"bench-alert-{k}"
                    sent[item_id] = await produce(item_id)
                produced_s = time.monotonic() - started
                await producer.flush()
                drain_deadline = time.monotonic() + 60
                while not all(i in arrived for i in sent) and time.monotonic() < drain_deadline:
                    worker.check("the alerts")
                    await asyncio.sleep(0.1)
                self.cpu_line("alerts", time.monotonic() - started, before,
                              self.cpu_snapshot(broker, [worker]))
            finally:
                receiver.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await receiver
                await producer.stop()
                await consumer.stop()
                self.stop_profilers(profilers)
                if worker is not None:
                    worker.stop()
            await self.drop_index(env["TOCSIN_SEARCH__ALERTS_INDEX"])
        latencies = [arrived[i] - t for i, t in sent.items() if i in arrived]
        missing = len(sent) - len(latencies)
        repeated = sum(1 for i in sent if alerts_seen.get(i, 0) > 1)
        p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
        worst = max(latencies, default=float("nan"))
        verdict = "meets" if p95 <= TARGET_ALERT_P95_S and not missing else "MISSES"
        self.results.add(Row("7 alert latency", len(latencies), produced_s,
                             f"{rate:g}/s for {duration:g} s; produce → alert p50 {p50:.2f} s, "
                             f"p95 {p95:.2f} s, "
                             f"p99 {p99:.2f} s, max {worst:.2f} s; {missing} missing, {repeated} repeated; "
                             f"{verdict} target p95 ≤ {TARGET_ALERT_P95_S:g} s"))
        to_raise = [raised[i] - sent_wall[i] for i in sent if i in raised]
        for what, values in (("produce → alert consumed", latencies),
                             ("produce → alert raised_at", to_raise)):
            if values:
                self.results.extra.append(
                    f"{what} (s): mean {statistics.fmean(values):.3f}, p50 {percentile(values, 50):.3f}, "
                    f"p95 {percentile(values, 95):.3f}, p99 {percentile(values, 99):.3f}, "
                    f"max {max(values):.3f}, n={len(values)}")

    # driver -----------------------------------------------------------------------------

    async def run(self, stages: Sequence[str]) -> None:
        try:
            self.start_peers()
            steps: list[tuple[str, Callable[[], Awaitable[None]]]] = []
            for stage in stages:
                if stage == "process":
                    steps += [(f"process×{w}", functools.partial(self.stage_process, w))
                              for w in self.args.workers]
                elif stage == "e2e":
                    steps += [(f"e2e×{w}", functools.partial(self.stage_e2e, w))
                              for w in self.args.e2e_workers]
                else:
                    steps.append((stage, getattr(self, f"stage_{stage}")))
            for name, step in steps:
                print(f"\n== {name} ==", flush=True)
                started = time.monotonic()
                try:
                    await step()
                    print(f"  ({name}: {time.monotonic() - started:.0f} s wall, set-up included)", flush=True)
                except Exception as exc:  # report it and go on with the other stages
                    traceback.print_exc()
                    self.results.add(Row(f"{name} FAILED", 0, time.monotonic() - started,
                                         f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"))
        finally:
            if self.es is not None:
                await self.es.close()


async def count_records(kafka: KafkaSettings, topic: str, expected: int) -> int:
    """Records on a topic, counted by reading them (until ``expected`` or 2 s without any).

    Not from end offsets: Tansu 0.6 answers ListOffsets(latest) with the base offset
    of a partition's last batch, which undercounts when batches hold many records.
    """
    consumer = AIOKafkaConsumer(topic, **client_kwargs(kafka), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    count = 0
    try:
        deadline = time.monotonic() + 60
        while count < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=2000, max_records=5000)
            if not batches:
                break
            count += sum(len(records) for records in batches.values())
        return count
    finally:
        await consumer.stop()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=None, help="feed entries (default 20000; --quick 3000)")
    parser.add_argument("--per-feed", type=int, default=500, help="entries per RSS file (default 500)")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated stages to run, of: {', '.join(STAGES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="small run, under 2 minutes on 2 cores")
    parser.add_argument("--workers", default=None, help="processors workers for 'process', e.g. 1,2 "
                        "(default 1,2; --quick 1)")
    parser.add_argument("--e2e-workers", default=None,
                        help="processors workers for 'e2e' (default 2; --quick 1)")
    parser.add_argument("--alert-rate", type=float, default=200.0, help="items/s produced in 'alerts'")
    parser.add_argument("--alert-seconds", type=float, default=None,
                        help="seconds of production (default 20; --quick 5)")
    parser.add_argument("--profile", action="store_true",
                        help="sample the collector and the workers with py-spy during 'e2e' and 'alerts'")
    parser.add_argument("--py-spy", default=None, help="path of py-spy, if not on PATH")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the child processes, e.g. "
                             "TOCSIN_PROCESSING__BATCH_WITHIN_S=0.1 (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, profiles)")
    args = parser.parse_args(argv)
    args.items = args.items or (3000 if args.quick else 20_000)
    args.alert_seconds = args.alert_seconds or (5.0 if args.quick else 20.0)
    args.workers = [int(w) for w in (args.workers or ("1" if args.quick else "1,2")).split(",")]
    args.e2e_workers = [int(w) for w in (args.e2e_workers or ("1" if args.quick else "2")).split(",")]
    stages = [s.strip() for s in args.only.split(",")] if args.only else list(STAGES)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        parser.error(f"unknown stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}")
    args.stages = stages
    if any("=" not in pair for pair in args.env):
        parser.error("--env takes KEY=VALUE")
    args.env = dict(pair.split("=", 1) for pair in args.env)
    if args.items < 1 or args.per_feed < 1 or args.alert_rate <= 0:
        parser.error("--items, --per-feed and --alert-rate must be positive")
    return args


def machine() -> str:
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    print(f"Tocsin benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}")
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f} before starting: other work on this machine will skew "
              "the figures", flush=True)
    print(f"stages: {', '.join(args.stages)}; {args.items:,} items"
          + (f"; child environment {args.env}" if args.env else ""), flush=True)
    with workdir(args.keep) as path:
        bench = Bench(args, path)
        try:
            asyncio.run(bench.run(args.stages))
        finally:
            bench.stack.close()
        results = bench.results
        print(f"\n## Results ({args.items:,} items, {machine()})\n")
        print(results.table())
        for line in results.extra:
            print(f"\n{line}")
        if results.cpu:
            print("\nCPU seconds by process while each stage ran:")
            for line in results.cpu:
                print(f"  {line}")
        if results.batches:
            print("\nWhere the processors workers' batches spent their time (from their logs):")
            for line in results.batches:
                print(f"  {line}")
        print("\nPeak RSS (VmHWM) by process:")
        bench.peaks.record("bench (this process, incl. feed server)", own_peak_rss_kib())
        for label, kib in bench.peaks.kib.items():
            print(f"  {kib / 1024:8.1f} MiB  {label}")
        for profile in bench.profiles:
            print("\n" + hotspots.report(f"py-spy: {profile.stem}", hotspots.load([profile])))
        print(f"\ntotal wall time {time.monotonic() - started:.0f} s; "
              f"load average (1 min) {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())

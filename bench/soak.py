"""Soak: a steady stream with poison in it, for minutes, through the real workers.

Run from a checkout: ``python bench/soak.py`` (10 minutes at 200 items/s with 1 %
poison, as issue 14 asks), or ``--duration 120 --rate 50`` on a small machine.
It starts its own peers (a Tansu broker, an osmem search server, on free loopback
ports), a ``tocsin process`` and a ``tocsin alert`` worker as child processes, and
produces straight to ``items.raw`` (the collector is measured by ``bench/run.py``):

- good items re-use the real text of the demo corpus, each with its own id and a
  publication time in the last hour; one rule counts violence reports per source;
- poison (``--poison``, a share of all records), in turn: bytes that are not JSON,
  JSON that is not an item, an item over ``processing.max_item_bytes``, text that is
  not UTF-8, and an item dated 31 Dec 9999 (kept, flagged ``future-dated``: not a
  dead letter, but it must not blind the rule).

Every ``--sample`` seconds it prints: records produced, items archived, dead letters
on ``items.dlq``, lag (produced, not yet archived or dead-lettered), and each
process's resident memory (``VmRSS``). After the stream stops it waits for the lag
to reach 0 (at most ``--drain`` s) and prints a summary: lost = produced − archived −
dead-lettered must be 0; every poison record but the future-dated ones must be a
dead letter; memory growth from the first sample after warm-up to the last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from elasticsearch import AsyncElasticsearch, NotFoundError

from collectors.normalise import content_sha256
from tocsin import topics
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.schema import Item, SourceRef
from tocsin.search import search_client
from tocsin.settings import KafkaSettings, SearchSettings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.ports import free_port
from tocsin_embedded.search import start_search_server

if __package__ in (None, ""):  # run as a script: make the 'bench' package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.children import Child, PeakMemory, peak_rss_kib, stop_all, workdir
from bench.corpus import load_templates

COMPAT_NODE = "tocsin_embedded.compat:PlainJsonNode"
PARTITIONS = 2
SOURCES = 20
POISON_KINDS = ("not-json", "not-an-item", "oversize", "not-utf8", "future-dated")
RULES = """
rules:
  - name: soak-violence
    type: frequency
    filter: {categories: [violence_report], min_score: 0.5}
    group_by: [source.name]
    window: 1h
    step: 5m
    threshold: 5
    realert: 1d
"""


def rss_kib(pid: int) -> int | None:
    """``VmRSS`` now, in KiB (the benchmark's other figures are peaks, ``VmHWM``)."""
    return peak_rss_kib(pid, "VmRSS")


@dataclass
class Counts:
    good: int = 0
    poison: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POISON_KINDS, 0))

    @property
    def produced(self) -> int:
        return self.good + sum(self.poison.values())

    @property
    def dead_expected(self) -> int:
        return sum(n for kind, n in self.poison.items() if kind != "future-dated")


class Records:
    """Good items from the demo corpus and poison, in the proportion asked."""

    def __init__(self, poison: float, max_item_bytes: int, seed: int = 14) -> None:
        self.templates = [t for corpus in load_templates() for t in corpus.templates]
        self.poison = poison
        self.max_item_bytes = max_item_bytes
        self.rng = random.Random(seed)
        self.run = uuid.uuid4().hex[:6]
        self.counts = Counts()
        self.n = 0

    def item(self, now: datetime, published: datetime | None = None) -> Item:
        self.n += 1
        template = self.templates[self.n % len(self.templates)]
        when = published or now - timedelta(seconds=self.rng.uniform(0, 3600))
        source = SourceRef(type="rss", name=f"soak-{self.n % SOURCES}")
        return Item(id=f"soak-{self.run}-{self.n}", source=source,
                    url=f"https://soak.example/{self.run}/{self.n}", title=template.title, text=template.text,
                    published=when, collected=now, raw_sha256=f"{self.n:064x}",
                    content_sha256=content_sha256(template.title, template.text))

    def next(self, now: datetime) -> tuple[bytes, bytes]:
        if self.rng.random() >= self.poison:
            self.counts.good += 1
            item = self.item(now)
            return item.id.encode(), item.to_bytes()
        kind = POISON_KINDS[sum(self.counts.poison.values()) % len(POISON_KINDS)]
        self.counts.poison[kind] += 1
        key = f"poison-{self.run}-{kind}-{self.counts.poison[kind]}".encode()
        if kind == "not-json":
            return key, b"\x00{not json" + bytes(self.rng.randrange(256) for _ in range(64))
        if kind == "not-an-item":
            return key, json.dumps({"id": key.decode(), "title": 42, "collected": "yesterday"}).encode()
        if kind == "oversize":
            item = self.item(now)
            return key, item.model_copy(update={"text": "x" * (self.max_item_bytes + 1)}).to_bytes()
        if kind == "not-utf8":
            return key, self.item(now).to_bytes().replace(b'"title":"', b'"title":"\xff\xfe', 1)
        item = self.item(now, published=datetime(9999, 12, 31, tzinfo=UTC))
        return item.id.encode(), item.to_bytes()


async def count(es: AsyncElasticsearch, index: str) -> int:
    try:
        return int((await es.count(index=index))["count"])
    except NotFoundError:
        return 0


async def dead_letters(consumer: AIOKafkaConsumer, seen: list[int]) -> int:
    batches = await consumer.getmany(timeout_ms=200, max_records=100_000)
    seen[0] += sum(len(records) for records in batches.values())
    return seen[0]


@dataclass
class Sample:
    t: float
    produced: int
    archived: int
    dead: int
    rss: dict[str, int | None]

    @property
    def lag(self) -> int:
        return max(0, self.produced - self.archived - self.dead)


class Soak:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.samples: list[Sample] = []
        self.children: list[Child] = []
        self.peaks = PeakMemory()

    def env(self, broker: LocalBroker, search: SearchSettings) -> dict[str, str]:
        rules = self.work / "rules.yaml"
        rules.write_text(RULES, encoding="utf-8")
        name = f"soak-{uuid.uuid4().hex[:6]}"
        self.items_index = f"{name}-items"
        return {
            "TOCSIN_APP_ID_PREFIX": name,
            "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "TOCSIN_KAFKA__TOPIC_PARTITIONS": str(PARTITIONS),
            "TOCSIN_KAFKA__SESSION_TIMEOUT_S": "10",
            "TOCSIN_KAFKA__REBALANCE_TIMEOUT_S": "10",
            "TOCSIN_SEARCH__URL": search.url,
            "TOCSIN_SEARCH__NODE_CLASS": COMPAT_NODE,
            "TOCSIN_SEARCH__ITEMS_INDEX": self.items_index,
            "TOCSIN_SEARCH__ALERTS_INDEX": f"{name}-alerts",
            "TOCSIN_SEARCH__ALERT_VERSIONS_INDEX": f"{name}-alert-versions",
            "TOCSIN_ALERTS__RULES_FILE": str(rules),
            "TOCSIN_ALERTS__WEB_PORT": str(free_port()),
            "TOCSIN_DATA_DIR": str(self.work / "data"),
            "TOCSIN_PROCESSING__MAX_ITEM_BYTES": str(self.args.max_item_bytes),
            "PYTHONUNBUFFERED": "1",
        }

    async def run(self) -> int:
        search_server = start_search_server()
        broker = LocalBroker.start()
        try:
            search = SearchSettings(url=search_server.url, node_class=COMPAT_NODE)
            kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers, topic_partitions=PARTITIONS)
            await ensure_topics(kafka)
            env = self.env(broker, search)
            for stage in ("process", "alert"):
                self.children.append(Child.start(stage, [stage], env, self.work / f"{stage}.log", self.peaks))
            await self.ready()
            pids = {"process": self.children[0].pid, "alert": self.children[1].pid,
                    "broker": broker.process.pid, "osmem": search_server.pid}
            return await self.stream(kafka, search, pids)
        finally:
            stop_all(self.children)
            broker.close()
            search_server.close()

    async def ready(self, timeout: float = 180.0) -> None:
        """Both workers joined their groups (Faust logs "Ready"): lag then measures the stream,
        not start-up."""
        deadline = time.monotonic() + timeout
        while not all("Ready" in child.tail(200_000) for child in self.children):
            for child in self.children:
                child.check("its start")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the workers were not ready within {timeout:.0f} s")
            await asyncio.sleep(1)

    async def stream(self, kafka: KafkaSettings, search: SearchSettings, pids: dict[str, int]) -> int:
        args = self.args
        records = Records(args.poison, args.max_item_bytes)
        producer = AIOKafkaProducer(**client_kwargs(kafka), linger_ms=20, max_request_size=8 * 1024 * 1024)
        letters = AIOKafkaConsumer(topics.ITEMS_DLQ, **client_kwargs(kafka), group_id=None,
                                   auto_offset_reset="earliest", enable_auto_commit=False)
        es = search_client(search)
        await producer.start()
        await letters.start()
        dead_seen = [0]
        start = time.monotonic()
        next_sample = start
        print(f"soak: {args.duration:.0f} s at {args.rate:g} records/s, {args.poison:.1%} poison; "
              f"logs in {self.work}", flush=True)
        print(f"{'t (s)':>6} {'produced':>9} {'archived':>9} {'dead':>6} {'lag':>7} "
              + " ".join(f"{name + ' MiB':>12}" for name in pids), flush=True)
        try:
            tick = 0.1
            while (elapsed := time.monotonic() - start) < args.duration:
                due = int(elapsed * args.rate) - records.counts.produced
                now = datetime.now(UTC)
                sends = [await producer.send(topics.ITEMS_RAW, value=value, key=key)
                         for key, value in (records.next(now) for _ in range(max(0, due)))]
                if sends:
                    await asyncio.gather(*sends)
                for child in self.children:
                    child.check("the soak")
                if time.monotonic() >= next_sample:
                    await self.sample(es, letters, dead_seen, records, pids, start)
                    next_sample += args.sample
                await asyncio.sleep(tick)
            await producer.flush()
            drain_start = time.monotonic()
            while time.monotonic() - drain_start < args.drain:
                sample = await self.sample(es, letters, dead_seen, records, pids, start)
                if sample.lag == 0 and sample.dead >= records.counts.dead_expected:
                    break
                await asyncio.sleep(2)
            drained = time.monotonic() - drain_start
        finally:
            await producer.stop()
            await letters.stop()
            await es.close()
        return self.summary(records.counts, drained)

    async def sample(self, es: AsyncElasticsearch, letters: AIOKafkaConsumer, dead_seen: list[int],
                     records: Records, pids: dict[str, int], start: float) -> Sample:
        with contextlib.suppress(Exception):
            await es.indices.refresh(index=self.items_index)
        sample = Sample(t=time.monotonic() - start, produced=records.counts.produced,
                        archived=await count(es, self.items_index),
                        dead=await dead_letters(letters, dead_seen),
                        rss={name: rss_kib(pid) for name, pid in pids.items()})
        self.samples.append(sample)
        print(f"{sample.t:6.0f} {sample.produced:9,} {sample.archived:9,} {sample.dead:6,} {sample.lag:7,} "
              + " ".join(f"{(kib or 0) / 1024:12.0f}" for kib in sample.rss.values()), flush=True)
        return sample

    def summary(self, counts: Counts, drained: float) -> int:
        last = self.samples[-1]
        warm = next((s for s in self.samples if s.t >= min(60.0, self.args.duration / 4)), self.samples[0])
        lost = counts.produced - last.archived - last.dead
        duplicated = max(0, last.archived - (counts.good + counts.poison["future-dated"]))
        print("\nsummary")
        print(f"  records produced      {counts.produced:,} ({counts.good:,} good, "
              + ", ".join(f"{n} {kind}" for kind, n in counts.poison.items()) + ")")
        print(f"  items archived        {last.archived:,}")
        print(f"  dead letters          {last.dead:,} "
              f"(poison that must be dead letters: {counts.dead_expected:,})")
        print(f"  lost                  {lost:,}")
        print(f"  archived twice        {duplicated:,}")
        print(f"  lag                   max {max(s.lag for s in self.samples):,}, "
              f"at the end of the stream {self.lag_at_end():,}, drained in {drained:.0f} s")
        for name in last.rss:
            first, end = warm.rss.get(name) or 0, last.rss.get(name) or 0
            peak = max((s.rss.get(name) or 0) for s in self.samples)
            print(f"  RSS {name:<8}          {first / 1024:.0f} MiB at {warm.t:.0f} s → "
                  f"{end / 1024:.0f} MiB at {last.t:.0f} s (peak {peak / 1024:.0f} MiB)")
        ok = lost == 0 and duplicated == 0 and last.dead == counts.dead_expected
        print(f"  verdict               {'OK' if ok else 'FAILED'}")
        return 0 if ok else 1

    def lag_at_end(self) -> int:
        during = [s for s in self.samples if s.t <= self.args.duration]
        return during[-1].lag if during else 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of stream (default 600)")
    parser.add_argument("--rate", type=float, default=200.0, help="records per second (default 200)")
    parser.add_argument("--poison", type=float, default=0.01, help="share of poison records (default 0.01)")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between samples (default 30)")
    parser.add_argument("--drain", type=float, default=300.0, help="at most this long to drain (default 300)")
    parser.add_argument("--max-item-bytes", type=int, default=1024 * 1024,
                        help="processing.max_item_bytes of the workers (the oversize poison exceeds it)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with workdir(args.keep, prefix="tocsin-soak-") as work:
        return asyncio.run(Soak(args, work).run())


if __name__ == "__main__":
    sys.exit(main())

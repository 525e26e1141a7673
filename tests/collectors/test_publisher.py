"""collectors.publisher and run_collector against the real local broker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from collectors.config import FeedConfig
from collectors.publisher import MAX_RECORD_BYTES, KafkaPublisher
from collectors.runner import Collector, run_collector
from tocsin import topics
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.schema import DeadLetter, Item, SourceRef, utcnow
from tocsin.settings import CollectorSettings, KafkaSettings, Settings

pytestmark = pytest.mark.peers


@pytest.fixture
async def kafka(broker: Any) -> KafkaSettings:
    settings = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
    await ensure_topics(settings)
    return settings


Records = list[ConsumerRecord[bytes, bytes]]


async def consume(settings: KafkaSettings, topic: str, wanted: Callable[[Records], bool],
                  timeout_s: float = 10.0) -> Records:
    """Read ``topic`` from the start until ``wanted`` holds for what was read (or time runs out)."""
    consumer = AIOKafkaConsumer(topic, **client_kwargs(settings), group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    records: Records = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not wanted(records) and asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


def unique_name() -> str:
    return f"feed-{uuid.uuid4().hex[:12]}"


def item(name: str, text: str = "body") -> Item:
    return Item(id=f"i-{uuid.uuid4().hex}", source=SourceRef(type="rss", name=name), title="t", text=text,
                collected=utcnow(), raw_sha256="0" * 64, content_sha256="0" * 64)


async def test_new_items_land_on_items_raw_keyed_by_id(
        kafka: KafkaSettings, feed_server: Any, fast_settings: CollectorSettings,
        feed_config: Callable[..., FeedConfig], data: Callable[[str], bytes]) -> None:
    name = unique_name()
    feed_server.route("/f", body=data("rss20.xml"))
    async with KafkaPublisher(kafka) as publisher, \
            Collector([feed_config(feed_server.url("/f"), name=name)], fast_settings, publisher) as running:
        summary = await running.run_once()
    assert summary.new_items == 2

    def mine(records: Records) -> list[Item]:
        parsed = [Item.from_bytes(record.value) for record in records if record.value]
        return [one for one in parsed if one.source.name == name]

    records = await consume(kafka, topics.ITEMS_RAW, lambda got: len(mine(got)) == 2)
    keyed = {record.key: Item.from_bytes(record.value) for record in records
             if record.value and Item.from_bytes(record.value).source.name == name}
    assert len(keyed) == 2
    assert all(key == value.id.encode() for key, value in keyed.items())
    assert {value.title for value in keyed.values()} == {"Clashes reported near El Fasher & Kutum",
                                                         "Aid convoy reaches camp"}


async def test_malformed_feed_sends_a_dead_letter_to_items_dlq(
        kafka: KafkaSettings, feed_server: Any, fast_settings: CollectorSettings,
        feed_config: Callable[..., FeedConfig], data: Callable[[str], bytes]) -> None:
    name = unique_name()
    feed_server.route("/bad", body=data("malformed.html"))
    async with KafkaPublisher(kafka) as publisher, \
            Collector([feed_config(feed_server.url("/bad"), name=name)], fast_settings, publisher) as running:
        summary = await running.run_once()
    assert summary.by_feed[name].status == "failed"

    def mine(records: Records) -> Records:
        return [record for record in records if record.key == name.encode()]

    (record,) = mine(await consume(kafka, topics.ITEMS_DLQ, lambda got: bool(mine(got))))
    assert record.value is not None
    letter = DeadLetter.from_bytes(record.value)
    assert (letter.stage, letter.reason, letter.key) == ("collector", "malformed_feed", name)


async def test_oversize_item_is_dead_lettered_instead_of_published(kafka: KafkaSettings) -> None:
    name = unique_name()
    big = item(name, text="x" * (MAX_RECORD_BYTES + 10))
    async with KafkaPublisher(kafka) as publisher:
        await publisher.publish([big], [])

    def mine(records: Records) -> Records:
        return [record for record in records if record.key == big.id.encode()]

    (record,) = mine(await consume(kafka, topics.ITEMS_DLQ, lambda got: bool(mine(got))))
    assert record.value is not None
    letter = DeadLetter.from_bytes(record.value)
    assert (letter.reason, letter.topic) == ("oversize_item", topics.ITEMS_RAW)
    assert letter.payload_truncated


async def test_run_collector_once_creates_topics_and_publishes(
        broker: Any, feed_server: Any, tmp_path: Path, rss: Callable[..., bytes]) -> None:
    name = unique_name()
    feed_server.route("/f", body=rss([{"title": "once", "guid": f"urn:{name}:1"}]))
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(f"feeds:\n  - name: {name}\n    url: {feed_server.url('/f')}\n    interval: 1m\n")
    settings = Settings(kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers),
                        collector=CollectorSettings(
                            allow_private_targets=True, feeds_file=feeds_file,
                            state_path=tmp_path / "state.db"))
    summary = await run_collector(settings, once=True)
    assert summary is not None and summary.by_feed[name].new_items == 1
    again = await run_collector(settings, once=True)
    assert again is not None and again.by_feed[name].new_items == 0


async def test_run_collector_stops_when_asked(broker: Any, tmp_path: Path) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text("feeds: []\n")
    settings = Settings(kafka=KafkaSettings(bootstrap_servers=broker.bootstrap_servers),
                        collector=CollectorSettings(
                            allow_private_targets=True, feeds_file=feeds_file,
                            state_path=tmp_path / "state.db"))
    stop = asyncio.Event()
    task = asyncio.create_task(run_collector(settings, stop=stop))
    await asyncio.sleep(0.2)
    stop.set()
    assert await asyncio.wait_for(task, timeout=10) is None


def test_sigterm_stops_run_collector_cleanly(broker: Any, tmp_path: Path) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text("feeds: []\n")
    env = {**os.environ, "TOCSIN_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "TOCSIN_COLLECTOR__FEEDS_FILE": str(feeds_file),
           "TOCSIN_COLLECTOR__STATE_PATH": str(tmp_path / "state.db")}
    script = ("import asyncio, logging; logging.basicConfig(level=logging.INFO); "
              "from collectors.runner import run_collector; from tocsin.settings import load_settings; "
              "asyncio.run(run_collector(load_settings())); print('stopped cleanly')")
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=Path(__file__).parents[2],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "collecting 0 enabled feeds" in line:
                break
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, out.strip()) == (0, "stopped cleanly")


async def test_a_reader_that_cannot_start_is_closed_not_left_for_the_collector(
        recwarn: pytest.WarningsRecorder) -> None:
    """aiokafka's "Unclosed AIOKafkaConsumer" when the broker did not answer the reader's start."""
    import gc

    from collectors.publisher import PublishError
    from tocsin_embedded.ports import free_port

    publisher = KafkaPublisher(KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}"))
    with pytest.raises(PublishError, match="could not read the end"):
        await publisher.end_offsets()
    await publisher.stop()
    gc.collect()
    assert not [w for w in recwarn if "Unclosed AIOKafkaConsumer" in str(w.message)]


async def test_feeds_asking_for_the_end_offsets_at_once_share_one_reader(
        kafka: KafkaSettings, recwarn: pytest.WarningsRecorder) -> None:
    """The demo's startup printed two "Unclosed AIOKafkaConsumer" errors: its feeds journal their
    first polls at once, and each call that found no reader yet started one of its own, the last
    one kept and the others left open."""
    import gc

    publisher = KafkaPublisher(kafka)
    await publisher.start()
    try:
        ends = await asyncio.gather(*(publisher.end_offsets() for _ in range(4)))
    finally:
        await publisher.stop()
    gc.collect()
    assert ends[1:] == ends[:-1] and sorted(ends[0]) == list(range(kafka.topic_partitions))
    assert [str(w.message) for w in recwarn if "Unclosed AIOKafkaConsumer" in str(w.message)] == []


async def test_feeds_settling_at_once_each_find_their_own_published_items(kafka: KafkaSettings) -> None:
    """After a crash several feeds settle their journals at once, on the publisher's one reader:
    each must read ``items.raw`` from its own offsets, not from where another feed moved it."""
    async with KafkaPublisher(kafka) as publisher:
        before_a = await publisher.end_offsets()
        first = [item(unique_name(), f"a{n}") for n in range(6)]
        await publisher.publish(first, [])
        before_b = await publisher.end_offsets()
        second = [item(unique_name(), f"b{n}") for n in range(6)]
        await publisher.publish(second, [])
        found_a, found_b = await asyncio.gather(publisher.published_since(before_a),
                                                publisher.published_since(before_b))
    # Reading more than one's own is harmless (a feed settles only the items its journal lists).
    assert {i.id for i in first + second} <= {key[0] for key in found_a}
    assert {i.id for i in second} <= {key[0] for key in found_b}

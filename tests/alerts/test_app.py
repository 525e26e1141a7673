"""The alerts worker on a real broker: windows in event time, out-of-order
arrival, realert suppression, dead letters and the Atom feed's filters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.alerts.factories import T0, enriched
from tests.stack import Stack, es_query, wait_for
from tocsin import topics
from tocsin.embedded.broker import LocalBroker
from tocsin.kafka import ensure_topics
from tocsin.schema import Alert, DeadLetter
from tocsin.settings import SearchSettings

pytestmark = pytest.mark.peers

RULES = """
rules:
  - name: burst
    type: frequency
    filter: {categories: [violence_report], min_score: 0.5}
    group_by: [country]
    window: 1h
    step: 10m
    late: 1d
    threshold: 3
    realert: 1d
"""

VIOLENT = {"violence_report": 0.8}


async def produce(bootstrap: str, records: Sequence[tuple[bytes, bytes, float | None]],
                  topic: str = topics.ITEMS_ENRICHED) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, ts in records:
            await producer.send_and_wait(topic, value, key=key,
                                         timestamp_ms=int(ts * 1000) if ts else None)
    finally:
        await producer.stop()


async def read_topic(bootstrap: str, topic: str, want: int, timeout: float = 60) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    got: list[bytes] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(got) < want and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            got += [m.value for msgs in batches.values() for m in msgs if m.value is not None]
        # a little longer, to catch anything that should not be there
        batches = await consumer.getmany(timeout_ms=3000)
        got += [m.value for msgs in batches.values() for m in msgs if m.value is not None]
    finally:
        await consumer.stop()
    return got


def test_out_of_order_items_raise_one_alert_per_group_and_window(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    stack = Stack(tmp_path, own_broker, search_settings, rules=RULES)
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    # Sudan: three reports within an hour, arriving newest first, then one more
    # (suppressed by realert). Mali: three reports, but two hours apart each.
    arrivals = [("sd-50", "SD", 50), ("sd-10", "SD", 10), ("sd-30", "SD", 30), ("sd-40", "SD", 40),
                ("ml-0", "ML", 0), ("ml-120", "ML", 120), ("ml-240", "ML", 240)]
    records: list[tuple[bytes, bytes, float | None]] = [
        (item_id.encode(), enriched(item_id, minutes=m, country=c, categories=VIOLENT).to_bytes(),
         (T0 + timedelta(minutes=m)).timestamp()) for item_id, c, m in arrivals]
    records.append((b"junk", b'{"not": "an item"}', None))
    records.append((b"calm", enriched("calm", minutes=20, categories={}).to_bytes(),
                    (T0 + timedelta(minutes=20)).timestamp()))
    stack.start_workers("alert")
    try:
        asyncio.run(produce(own_broker.bootstrap_servers, records))
        raised = [Alert.from_bytes(v) for v in
                  asyncio.run(read_topic(own_broker.bootstrap_servers, topics.ALERTS, want=1))]
        assert len(raised) == 1, [a.title for a in raised]
        alert = raised[0]
        assert (alert.rule, alert.group, alert.count, alert.threshold) == ("burst", {"country": "SD"}, 3, 3)
        assert sorted(alert.sample_item_ids) == ["sd-10", "sd-30", "sd-50"]
        assert alert.first_seen == T0 + timedelta(minutes=10)
        assert alert.last_seen == T0 + timedelta(minutes=50)
        assert alert.window_start <= alert.first_seen and alert.last_seen < alert.window_end
        assert alert.window_end - alert.window_start == timedelta(hours=1)

        letters = [DeadLetter.from_bytes(v) for v in
                   asyncio.run(read_topic(own_broker.bootstrap_servers, topics.ITEMS_DLQ, want=1))]
        assert [(letter.stage, letter.reason) for letter in letters] == [("alerts", "invalid")]

        wait_for(lambda: es_query(settings, settings.search.alerts_index), "the alert in the index",
                 workers=stack.workers)
        base = f"http://127.0.0.1:{stack.alerts_port}/alerts.atom"
        feed = feedparser.parse(httpx.get(base, timeout=10).content)
        assert [e.id for e in feed.entries] == [f"urn:tocsin:alert:{alert.id}"]
        assert feedparser.parse(httpx.get(f"{base}?country=ML", timeout=10).content).entries == []
        filtered = httpx.get(f"{base}?rule=burst&country=SD", timeout=10).content
        assert len(feedparser.parse(filtered).entries) == 1
        assert json.loads(alert.to_bytes())["id"] == alert.id
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()

"""Two processors workers, four reports of one attack on four ``items.raw`` partitions:
each worker enriches two of them, and they still make one incident (``items.fusion``)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from tests.e2e.ledger import group_lag
from tests.stack import Stack, es_query, wait_for
from tocsin import topics
from tocsin.kafka import ensure_topics
from tocsin.schema import Item, SourceRef
from tocsin.settings import SearchSettings
from tocsin_embedded.broker import LocalBroker

pytestmark = pytest.mark.peers

REPORTS = [
    ("wire", "Gunmen killed 12 villagers in an attack on a village in North Darfur, Sudan."),
    ("radio", "Witnesses said gunmen stormed a North Darfur village, Sudan, leaving twelve dead."),
    ("daily", "Twelve villagers were killed by gunmen attacking a village in North Darfur, Sudan."),
    ("weekly", "Gunmen attacked a village in North Darfur, Sudan, killing twelve villagers."),
]
HANDED = re.compile(r"\[(\d+)\].*batch: \d+ in, \d+ enriched, ([1-9]\d*) to fusion")
ENTRY = re.compile(r"^\[[^\]]+\] \[(\d+)\] ", re.MULTILINE)


def assigned_raw(log: str) -> set[str]:
    """Workers (pids) whose last assignment in the log gave them ``items.raw`` partitions."""
    entries = ENTRY.split(log)[1:]  # pid, text, pid, text …
    last: dict[str, bool] = {}
    for pid, text in zip(entries[::2], entries[1::2], strict=True):
        if "newly assigned partitions" in text:
            last[pid] = "items.raw" in text
    return {pid for pid, has in last.items() if has}


def reports() -> list[Item]:
    when = datetime.now(UTC) - timedelta(hours=1)
    return [Item(id=f"fk-{n}", source=SourceRef(type="rss", name=source), url=f"https://example.org/fk-{n}",
                 title="", text=text, published=when + timedelta(minutes=n), collected=when, lang_hint="en",
                 raw_sha256="a" * 64, content_sha256=f"{n:064d}")
            for n, (source, text) in enumerate(REPORTS)]


async def produce_one_per_partition(bootstrap: str, items: list[Item]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for partition, item in enumerate(items):
            await producer.send_and_wait(topics.ITEMS_RAW, item.to_bytes(), key=item.id.encode(),
                                         partition=partition)
    finally:
        await producer.stop()


def test_two_workers_fuse_reports_of_one_attack_from_four_raw_partitions_into_one_incident(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    stack = Stack(tmp_path, own_broker, search_settings, rules="rules: []\n")
    stack.env["TOCSIN_KAFKA__TOPIC_PARTITIONS"] = "4"
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    log = tmp_path / "process.log"
    stack.start_workers("process", "process")
    try:
        # both in the group (each logged an assignment with items.raw) before anything arrives
        wait_for(lambda: log.exists() and len(assigned_raw(log.read_text(errors="replace"))) >= 2,
                 "both workers to be assigned items.raw partitions", timeout=180, workers=stack.workers)
        items = reports()
        asyncio.run(produce_one_per_partition(own_broker.bootstrap_servers, items))
        group = f"{settings.app_id_prefix}-processors"
        wait_for(lambda: group_lag(own_broker.bootstrap_servers, group,
                                   [topics.ITEMS_RAW, topics.ITEMS_FUSION]) == 0
                 and len(es_query(settings, settings.search.items_index)) == 4,
                 "every report enriched, fused and archived", timeout=180, workers=stack.workers)
        enriching = {pid for pid, _ in HANDED.findall(log.read_text(errors="replace"))}
        assert len(enriching) == 2, "precondition: each worker enriched some of the reports"
        hits = es_query(settings, settings.search.incidents_index)
        assert len(hits) == 1, [hit["_source"]["item_ids"] for hit in hits]
        incident = hits[0]["_source"]
        assert incident["item_count"] == 4 and sorted(incident["item_ids"]) == [item.id for item in items]
        archived = es_query(settings, settings.search.items_index)
        assert {doc["_source"]["incident"]["id"] for doc in archived} == {incident["id"]}
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()

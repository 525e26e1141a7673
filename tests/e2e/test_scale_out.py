"""Scale-out: three processors workers on twelve partitions archive every item exactly
once, and the alerts they lead to are the ones a single worker leads to.

The rule is built so that its outcome depends on *which* items arrive, not on
their order: one tumbling window holds every item, so a group is alerted once,
when its count reaches the threshold, with ``count == threshold``. Groups sit on
either side of the threshold (source ``s049`` has 49 violent items, ``s050``
exactly 50), so one duplicate or one lost item on the way changes the alert set.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from processors.enrich import Enricher
from tests.e2e.ledger import assert_archived_exactly, group_lag, produce_items, read_topic
from tests.stack import Stack, wait_for
from tocsin import topics
from tocsin.kafka import ensure_topics
from tocsin.schema import Alert, Item, SourceRef
from tocsin.settings import SearchSettings, Settings
from tocsin_embedded.broker import LocalBroker

pytestmark = pytest.mark.peers

N = 50_000
GROUPS = 100
THRESHOLD = 50
RULE = "scale-violence"
RULES = f"""
rules:
  - name: {RULE}
    type: frequency
    filter: {{categories: [violence_report], min_score: 0.5}}
    group_by: [source.name]
    window: 1d
    step: 1d
    late: 2d
    threshold: {THRESHOLD}
    realert: 2d
    samples: 3
"""
VIOLENT = ("Attack near Nyala", "Gunmen killed {} villagers near Nyala, witnesses said.")
CALM = ("Harvest near Nyala", "Farmers began harvesting sorghum near Nyala this week, officials said.")
DAY = 86_400


def day_start() -> datetime:
    """The start of yesterday's UTC day: one tumbling window, wholly in the past."""
    yesterday = int((datetime.now(UTC) - timedelta(days=1)).timestamp()) // DAY * DAY
    return datetime.fromtimestamp(yesterday, UTC)


def violent(n: int) -> bool:
    """Source ``s{g}`` gets g violent items among its 500: 0, 1, … 99 (4,950 in all)."""
    group, rank = n % GROUPS, n // GROUPS
    return rank < group


def make_items(start: datetime) -> list[Item]:
    items = []
    for n in range(N):
        title, text = VIOLENT if violent(n) else CALM
        when = start + timedelta(hours=1, seconds=n % 3600)
        items.append(Item(id=f"so-{n:05d}", source=SourceRef(type="rss", name=f"s{n % GROUPS:03d}"),
                          title=title, text=text.format(n % 30 + 2), lang_hint="en", published=when,
                          collected=when, raw_sha256="a" * 64, content_sha256=f"{n:064d}"))
    return items


def expected_groups(items: list[Item]) -> set[str]:
    """Groups at or over the threshold, by the real enrichment of each distinct text."""
    enricher = Enricher.from_settings(Settings().processing)
    texts = {(item.title, item.text): item for item in items}
    scored = dict(zip(texts, enricher.enrich_many(list(texts.values())), strict=True))
    matching = {key for key, item in scored.items()
                if (hit := item.categories.get("violence_report")) is not None and hit.score >= 0.5}
    assert matching == {key for key in texts if key[0] == VIOLENT[0]}, "the texts no longer classify as meant"
    counts: dict[str, int] = {}
    for item in items:
        if (item.title, item.text) in matching:
            counts[item.source.name] = counts.get(item.source.name, 0) + 1
    return {f"source.name={group}" for group, count in counts.items() if count >= THRESHOLD}


Opened = tuple[str, str, str, datetime, int]


def opened_alerts(bootstrap: str) -> list[Opened]:
    """(id, rule, group key, window start, count) of every ``opened`` version on ``alerts``."""
    alerts = [Alert.from_bytes(record.value) for record in read_topic(bootstrap, topics.ALERTS)]
    return sorted((a.id, a.rule, a.group_key, a.window_start, a.count) for a in alerts if a.event == "opened")


def run_stream(tmp: Path, broker: LocalBroker, search: SearchSettings, items: list[Item], *,
               workers: int) -> tuple[list[Opened], dict[str, float]]:
    """Pre-load ``items.raw``, run ``workers`` processors workers and one alerts worker
    until both consumer groups have committed everything; check the archive."""
    stack = Stack(tmp, broker, search, rules=RULES)
    stack.env.update({
        "TOCSIN_KAFKA__TOPIC_PARTITIONS": "12",
        "TOCSIN_PROCESSING__BATCH_SIZE": "1000",
        "TOCSIN_PROCESSING__BATCH_WITHIN_S": "0.5",
    })
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    timings: dict[str, float] = {}
    began = time.monotonic()
    produce_items(broker.bootstrap_servers, topics.ITEMS_RAW, items)
    timings["produce_s"] = time.monotonic() - began
    began = time.monotonic()
    stack.start_workers(*(["process"] * workers), "alert")
    prefix = settings.app_id_prefix
    try:
        wait_for(lambda: group_lag(broker.bootstrap_servers, f"{prefix}-processors",
                                   [topics.ITEMS_RAW, topics.ITEMS_FUSION]) == 0,
                 "the processors to commit every item", timeout=600, workers=stack.workers)
        timings["processed_s"] = time.monotonic() - began
        wait_for(lambda: group_lag(broker.bootstrap_servers, f"{prefix}-alerts",
                                   [topics.ITEMS_ENRICHED, topics.ALERT_MATCHES]) == 0,
                 "the alerts worker to commit every match", timeout=300, workers=stack.workers)
        timings["alerted_s"] = time.monotonic() - began
        assert_archived_exactly(settings, (item.id for item in items))
        enriched = [record.key for record in read_topic(broker.bootstrap_servers, topics.ITEMS_ENRICHED)]
        timings["enriched_records"] = len(enriched)
        assert read_topic(broker.bootstrap_servers, topics.ITEMS_DLQ) == []
        return opened_alerts(broker.bootstrap_servers), timings
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()


def test_three_workers_archive_every_item_once_and_raise_the_single_worker_alerts(
        tmp_path: Path, search_settings: SearchSettings) -> None:
    items = make_items(day_start())
    groups = expected_groups(items)
    assert len(groups) == 50

    (tmp_path / "three").mkdir()
    with LocalBroker.start() as broker:
        scaled, scaled_times = run_stream(tmp_path / "three", broker, search_settings, items, workers=3)
    (tmp_path / "one").mkdir()
    with LocalBroker.start() as broker:
        single, single_times = run_stream(tmp_path / "one", broker, search_settings, items, workers=1)
    print(f"3 workers: {scaled_times}; 1 worker: {single_times}")

    assert scaled == single
    assert {group for _, _, group, _, _ in scaled} == groups
    assert len({alert_id for alert_id, *_ in scaled}) == len(scaled) == len(groups)
    assert {count for *_, count in scaled} == {THRESHOLD}

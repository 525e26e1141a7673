"""Feeds → collector → Kafka → processors → archive + alerts → Atom, on real peers.

The Faust workers run as child processes (as in production); the collector runs
in the test so it can poll exactly when the test says.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import httpx
import pytest

from collectors.config import load_sources
from collectors.normalise import story_id
from collectors.publisher import KafkaPublisher
from collectors.runner import Collector
from processors.training.violence_corpora import SUBTYPES
from tests.stack import Stack, es_query, wait_for
from tocsin.kafka import ensure_topics
from tocsin.settings import SearchSettings, Settings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.feedserver import FeedServer

pytestmark = pytest.mark.peers

NOW = datetime.now(UTC).replace(microsecond=0)

REPORTS = [
    ("sd-1", "Gunmen killed 12 villagers in Darfur",
     "<p>Gunmen <b>killed</b> 12 villagers and burned homes near El Fasher, Sudan, witnesses said.</p>"),
    ("sd-2", "Militia attack on displaced people in North Darfur",
     "Armed militia attacked a camp for displaced people in North Darfur; "
     "at least 7 civilians were shot dead."),
    ("sd-3", "Clashes in El Geneina leave many dead",
     "Heavy clashes between armed groups in El Geneina, Sudan, killed dozens and forced families to flee."),
    ("sd-calm", "Harvest season begins in Gezira",
     "Farmers in Gezira state, Sudan, began harvesting sorghum this week, officials said."),
]
LATER = [
    ("sd-4", "Village burned in West Darfur",
     "Attackers set fire to a village in West Darfur, Sudan, and killed at least nine people."),
    ("sd-5", "Abductions reported near Nyala",
     "Gunmen abducted 20 people and killed two near Nyala, South Darfur, local monitors reported."),
]

RULES = """
rules:
  - name: sudan-violence
    type: frequency
    filter: {categories: [violence_report], min_score: 0.5}
    group_by: [country]
    window: 6h
    step: 30m
    threshold: 4
    realert: 1d
"""


def rss(entries: list[tuple[str, str, str]], start: datetime) -> str:
    items = "".join(
        f"<item><guid>urn:test:{guid}</guid><title>{escape(title)}</title>"
        f"<link>https://news.example.org/{guid}</link><description>{escape(body)}</description>"
        f"<pubDate>{format_datetime(start + timedelta(minutes=5 * n))}</pubDate></item>"
        for n, (guid, title, body) in enumerate(entries)
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test wire</title>'
            f"<link>https://news.example.org/</link><description>t</description>{items}</channel></rss>")


def collect_once(settings: Settings, publisher: KafkaPublisher | None = None):
    async def run():
        feeds = load_sources(settings.collector.feeds_file)
        async with publisher or KafkaPublisher(settings.kafka) as started, \
                Collector(feeds, settings.collector, started) as collector:
            return await collector.run_once()

    return asyncio.run(run())


def test_feed_entries_become_archived_documents_an_alert_and_an_atom_entry(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    stack = Stack(tmp_path, own_broker, search_settings, rules=RULES)
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    start = NOW - timedelta(minutes=50)
    feed_file = stack.feeds_dir / "wire.xml"
    feed_file.write_text(rss(REPORTS, start), encoding="utf-8")
    with FeedServer.start(stack.feeds_dir) as server:
        Path(settings.collector.feeds_file).write_text(
            f"feeds:\n  - name: test-wire\n    url: {server.url}/wire.xml\n    country: SD\n"
            f"    language: en\n    interval: 60\n", encoding="utf-8")
        stack.start_workers("process", "alert")
        try:
            first = collect_once(settings)
            assert first.new_items == len(REPORTS)
            items_index = settings.search.items_index
            docs = wait_for(lambda: len(hits := es_query(settings, items_index)) == len(REPORTS) and hits,
                            "the first items in the archive", workers=stack.workers)
            by_guid = {hit["_source"]["url"].rsplit("/", 1)[1]: hit for hit in docs}
            assert_archived_report(by_guid["sd-1"], server.url, start)
            assert by_guid["sd-calm"]["_source"]["categories"] == []

            unchanged = collect_once(settings)
            assert unchanged.new_items == 0

            feed_file.write_text(rss(REPORTS + LATER, start), encoding="utf-8")
            second = collect_once(settings)
            assert second.new_items == len(LATER)
            wait_for(lambda: len(es_query(settings, items_index)) == len(REPORTS) + len(LATER),
                     "the later items in the archive", workers=stack.workers)

            alerts = wait_for(lambda: es_query(settings, settings.search.alerts_index), "an alert",
                              workers=stack.workers)
            alert = alerts[0]["_source"]
            assert len(alerts) == 1
            assert alert["rule"] == "sudan-violence"
            assert alert["group"] == {"country": "SD"}
            assert alert["count"] >= 4 and alert["threshold"] == 4
            violent_ids = {h["_id"] for h in es_query(settings, items_index,
                                                      query={"term": {"categories": "violence_report"}})}
            assert set(alert["sample_item_ids"]) <= violent_ids
            assert len(alert["sample_item_ids"]) == alert["count"]

            atom = httpx.get(f"http://127.0.0.1:{stack.alerts_port}/alerts.atom", timeout=10)
            assert atom.status_code == 200
            assert atom.headers["content-type"].startswith("application/atom+xml")
            feed = feedparser.parse(atom.content)
            assert not feed.bozo
            assert [entry.id for entry in feed.entries] == [f"urn:tocsin:alert:{alert['id']}"]
            assert feed.entries[0].title == f"[WARNING] {alert['title']}"
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop_workers()


def assert_archived_report(hit: dict, feed_base: str, start: datetime) -> None:
    doc = dict(hit["_source"])
    collected = doc.pop("collected")
    processed = doc.pop("processed")
    assert datetime.fromisoformat(collected) <= datetime.fromisoformat(processed)
    scores = doc.pop("scores")
    assert scores["violence_report"] >= 0.5
    terms = doc.pop("matched_terms")
    assert "killed" in " ".join(terms["violence_report"])
    places = doc.pop("places")
    assert {p["country"] for p in places} == {"SD"}
    location = doc.pop("location")
    assert location is not None and 3 < location["lat"] < 23 and 21 < location["lon"] < 39
    published = start.isoformat().replace("+00:00", "Z")
    assert doc.pop("published") in (start.isoformat(), published)
    assert doc.pop("event_time") in (start.isoformat(), published)
    assert len(doc.pop("raw_sha256")) == 64
    assert len(doc.pop("content_sha256")) == 64
    assert doc.pop("lang_confidence") > 0.5
    assert doc["models"]["violence_report"] in doc["classifiers"]
    # the encoder stage decides and a hit always names its likeliest subtype
    assert doc["models"]["violence_report"].startswith("encoder/")
    labels = doc.pop("labels")
    assert set(labels) == {"violence_report"} and set(labels["violence_report"]) <= set(SUBTYPES)
    assert labels["violence_report"]
    assert doc == {
        "id": hit["_id"],
        "source": {"type": "rss", "name": "test-wire", "url": f"{feed_base}/wire.xml"},
        "url": "https://news.example.org/sd-1",
        "title": "Gunmen killed 12 villagers in Darfur",
        "text": "Gunmen killed 12 villagers and burned homes near El Fasher, Sudan, witnesses said.",
        "authors": [],
        "tags": [],
        "lang_hint": "en",
        "country_hint": "SD",
        "lang": "en",
        "categories": ["violence_report"],
        "classifiers": doc.get("classifiers"),
        # Which of them scored the category: one of the classifiers, per category.
        "models": {"violence_report": doc["models"]["violence_report"]},
        "flags": [],
        "geotag": None,
        "admin1": doc.get("admin1"),
        "admin2": doc.get("admin2"),
        "provenance": doc.get("provenance"),
        "engagement": {},
        "relations": {},
        "deleted": False,
        "erase": False,
        # The story's id, equal in every feed that names it; the item's own id is the feed's.
        "story_id": story_id(guid="urn:test:sd-1", link=None),
        "claimed_published": None,
        "integrity_flags": [],
        "country": "SD",
        "city": doc.get("city"),
        # fused into an incident of its own (the one report of it), no burst
        "incident": {"id": doc["incident"]["id"], "origin": "test-wire"},
        "amplification": None,
    }

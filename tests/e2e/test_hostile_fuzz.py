"""Property-based: fuzzed feed entries (dates, guids, links, encodings, sizes) through collector →
Kafka → processors → archive and alerts, on real peers (issue 14, "go further").

The stack starts once; each example gets feeds of its own names, so examples do not
see each other's items or groups. Invariants, whatever the entries:

- every item the collector published is archived exactly once, or dead-lettered by
  the processors with its id as the key (never silently lost);
- no item is replaced by another source: every archived item is its own source's,
  with the content that source published, though a forger copies the victim's guids;
- no alert is lost: the victim's four violent reports raise its alert (grouped by
  ``source.name``, a dotted field) despite an entry dated 9999, and every alert on
  the ``alerts`` topic is in the alerts index.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from aiokafka import AIOKafkaConsumer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.publisher import KafkaPublisher
from tests.e2e.test_stream import REPORTS, collect_once
from tests.stack import Stack, wait_for
from tocsin import topics
from tocsin.kafka import ensure_topics
from tocsin.schema import Alert, DeadLetter, Item
from tocsin.search import search_client
from tocsin.settings import SearchSettings, Settings
from tocsin_embedded.broker import LocalBroker
from tocsin_embedded.feedserver import FeedServer

pytestmark = pytest.mark.peers

RULES = """
rules:
  - name: violence-by-source
    type: frequency
    filter: {categories: [violence_report], min_score: 0.5}
    group_by: [source.name]
    window: 6h
    step: 30m
    threshold: 4
    realert: 1d
"""
VIOLENT = [(title, body) for guid, title, body in REPORTS if guid != "sd-calm"] + [
    ("Village burned in West Darfur",
     "Attackers set fire to a village in West Darfur, Sudan, and killed at least nine people.")]

# XML 1.0 cannot carry most control characters; the broken-encoding feed carries anything.
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
                   max_size=120)
dates = st.one_of(
    st.none(), st.just("Fri, 31 Dec 9999 23:59:59 GMT"), st.just("Mon, 01 Jan 1000 00:00:00 GMT"),
    st.just("0001-01-01T00:00:00Z"), st.just("Sat, 01 Jan 2300 00:00:00 GMT"), st.just("not a date"),
    st.just(""), st.integers(-3000, 3000).map(
        lambda minutes: format_datetime(datetime.now(UTC) + timedelta(minutes=minutes))))
links = st.one_of(
    st.none(), st.just("javascript:alert(1)"), st.just("/relative/path"), st.just("http://127.0.0.1:9200/_search"),
    st.just("https://xn--mnchen-3ya.example/ü?utm_source=x#frag"),
    st.integers(0, 50).map(lambda n: f"https://news.example.org/story-{n}"))


@dataclass(frozen=True)
class Entry:
    guid: str | None
    link: str | None
    date: str | None
    title: str
    text: str


def entries(guids: st.SearchStrategy[str | None]) -> st.SearchStrategy[Entry]:
    sizes = st.one_of(st.just(0), st.just(0), st.integers(1000, 120_000))
    body = st.tuples(xml_text, sizes).map(lambda pair: pair[0] + "x" * pair[1])
    return st.builds(Entry, guids, links, dates, xml_text, body)


def victim_guids(victim: str) -> st.SearchStrategy[str | None]:
    numbered = st.integers(0, 9).map(lambda n: f"urn:fuzz:{victim}:{n}")
    return st.one_of(st.none(), st.just(""), xml_text, numbered, st.just(f"urn:canary:{victim}:0"))


def rss(items: Sequence[Entry]) -> str:
    def item(entry: Entry) -> str:
        parts = [f"<title>{escape(entry.title)}</title>", f"<description>{escape(entry.text)}</description>"]
        if entry.guid is not None:
            parts.append(f"<guid isPermaLink=\"false\">{escape(entry.guid)}</guid>")
        if entry.link is not None:
            parts.append(f"<link>{escape(entry.link)}</link>")
        if entry.date is not None:
            parts.append(f"<pubDate>{escape(entry.date)}</pubDate>")
        return f"<item>{''.join(parts)}</item>"

    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Fuzz</title>'
            f"<link>https://news.example.org/</link><description>f</description>"
            f"{''.join(map(item, items))}</channel></rss>")


def encoded(document: str, how: str) -> bytes:
    """The forger's feed in some encoding, declared or not, sometimes broken."""
    if how == "latin-1":
        return document.replace('encoding="utf-8"', 'encoding="iso-8859-1"').encode("latin-1", "replace")
    if how == "bom":
        return b"\xef\xbb\xbf" + document.encode("utf-8")
    if how == "broken":
        raw = document.encode("utf-8")
        return raw[: len(raw) // 2] + b"\xff\xfe\xc3(" + raw[len(raw) // 2:]
    return document.encode("utf-8")


class Recording(KafkaPublisher):
    """The collector's real publisher, remembering what it published per source."""

    published: dict[str, Item]

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        await super().publish(items, dead_letters)
        for item in items:
            self.published[item.id] = item


def canary(victim: str, now: datetime) -> list[Entry]:
    """Four violent reports in the last hour, and one more dated 9999 (issue 14, item 1)."""
    fresh = [Entry(f"urn:canary:{victim}:{n}", f"https://wire.example/{victim}/{n}",
                   format_datetime(now - timedelta(minutes=10 * (n + 1))), title, text)
             for n, (title, text) in enumerate(VIOLENT[:4])]
    future = Entry(f"urn:canary:{victim}:future", None, "Fri, 31 Dec 9999 23:59:59 GMT", *VIOLENT[0])
    return [future, *fresh]


async def read_all(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    got: list[tuple[bytes | None, bytes]] = []
    try:
        while batches := await consumer.getmany(timeout_ms=1500):
            got += [(m.key, m.value) for msgs in batches.values() for m in msgs if m.value is not None]
    finally:
        await consumer.stop()
    return got


def search(settings: Settings, index: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        es = search_client(settings.search)
        try:
            await es.indices.refresh(index=index)
            return list((await es.search(index=index, query=query, size=1000))["hits"]["hits"])
        except Exception:
            return []
        finally:
            await es.close()

    return asyncio.run(run())


def test_fuzzed_feeds_lose_nothing_replace_nothing_and_blind_no_rule(
        tmp_path: Path, own_broker: LocalBroker, search_settings: SearchSettings) -> None:
    stack = Stack(tmp_path, own_broker, search_settings, rules=RULES)
    config = stack.settings()
    asyncio.run(ensure_topics(config.kafka))
    stack.start_workers("process", "alert")
    examples: list[int] = []
    try:
        with FeedServer.start(stack.feeds_dir) as server:

            @settings(max_examples=6, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(victim_entries=st.lists(entries(victim_guids("v")), max_size=8),
                   forger_entries=st.lists(entries(victim_guids("v")), max_size=8),
                   encoding=st.sampled_from(["utf-8", "latin-1", "bom", "broken"]))
            def example(victim_entries: list[Entry], forger_entries: list[Entry], encoding: str) -> None:
                run = uuid.uuid4().hex[:8]
                victim, forger = f"victim-{run}", f"forger-{run}"
                now = datetime.now(UTC)

                def own(entry: Entry) -> Entry:
                    """The victim's guids ("urn:fuzz:v:…", "urn:canary:v:…") renamed to this run."""
                    guid = entry.guid.replace(":v:", f":{run}:") if entry.guid else entry.guid
                    return Entry(guid, entry.link, entry.date, entry.title, entry.text)

                (stack.feeds_dir / f"{victim}.xml").write_text(
                    rss([*canary(run, now), *map(own, victim_entries)]), encoding="utf-8")
                (stack.feeds_dir / f"{forger}.xml").write_bytes(
                    encoded(rss([Entry(f"urn:canary:{run}:{n}", None, format_datetime(now), "Calm", "Nothing")
                                 for n in range(4)] + list(map(own, forger_entries))), encoding))
                feeds = "".join(f"  - name: {name}\n    url: {server.url}/{name}.xml\n    language: en\n"
                                "    interval: 60\n" for name in (victim, forger))
                Path(config.collector.feeds_file).write_text(f"feeds:\n{feeds}", encoding="utf-8")
                published = collect(config)
                by_source: dict[str, dict[str, Item]] = {victim: {}, forger: {}}
                for item in published.values():
                    by_source[item.source.name][item.id] = item
                assert len(by_source[victim]) >= 5  # the canary, at least

                def settled() -> list[dict[str, Any]] | None:
                    hits = search(config, config.search.items_index,
                                   {"terms": {"source.name": [victim, forger]}})
                    letters = {key.decode() for key, value in asyncio.run(read_all(
                        own_broker.bootstrap_servers, topics.ITEMS_DLQ)) if key}
                    archived = {hit["_id"] for hit in hits}
                    return hits if set(published) <= archived | letters else None

                hits = wait_for(settled, "every published item archived or dead-lettered", timeout=120,
                                workers=stack.workers)
                ids = [hit["_id"] for hit in hits]
                assert len(ids) == len(set(ids))  # once
                for hit in hits:
                    source = hit["_source"]["source"]["name"]
                    mine = by_source[source].get(hit["_id"])
                    assert mine is not None, f"{hit['_id']} archived for {source}, which never published it"
                    assert hit["_source"]["content_sha256"] == mine.content_sha256  # not replaced

                def victims_alert() -> list[dict[str, Any]]:
                    return [hit for hit in search(config, config.search.alerts_index, {"match_all": {}})
                            if group_value(hit["_source"]["group"], "source.name") == victim]

                [alert] = wait_for(victims_alert, "the victim's alert (not blinded by the 9999 entry)",
                                   timeout=120, workers=stack.workers)
                assert set(alert["_source"]["sample_item_ids"]) <= set(by_source[victim])
                examples.append(len(published))

            example()

        raised = {Alert.from_bytes(value).id for _, value in asyncio.run(read_all(
            own_broker.bootstrap_servers, topics.ALERTS))}
        indexed = {hit["_id"] for hit in search(config, config.search.alerts_index, {"match_all": {}})}
        assert raised and raised <= indexed  # no alert lost between the topic and the index
        assert len(examples) == 6
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_workers()


def group_value(group: dict[str, Any], field: str) -> Any:
    """A group's value for a dotted field, stored flat (``{"source.name": …}``) or nested."""
    if field in group:
        return group[field]
    node: Any = group
    for part in field.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def collect(config: Settings) -> dict[str, Item]:
    publisher = Recording(config.kafka)
    publisher.published = {}
    collect_once(config, publisher)
    return publisher.published

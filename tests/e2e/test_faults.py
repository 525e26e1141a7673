"""Faults on the way, and still every item archived exactly once.

Each test ends with an exact count: the ids in the archive are the ids
published, each once. The search server is taken away by a TCP proxy in front of
it (osmem keeps its data in memory, so stopping it would lose what the test
checks); workers and collectors are killed with SIGKILL, which allows no cleanup.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import COMPAT_NODE
from tests.e2e.ledger import (
    archive_count,
    assert_archived_exactly,
    duplicates,
    group_lag,
    produce,
    produce_items,
    read_topic,
)
from tests.e2e.tcpproxy import FaultyProxy
from tests.stack import Stack, es_query, wait_for
from tocsin import topics
from tocsin.kafka import ensure_topics
from tocsin.schema import DeadLetter, Item, SourceRef
from tocsin.settings import SearchSettings, Settings
from tocsin_embedded.broker import LocalBroker

pytestmark = pytest.mark.peers

OUTAGE_S = 60.0


@pytest.fixture
def fresh_broker() -> Iterator[LocalBroker]:
    """A broker per test: each test reads whole topics back, so they must hold its records only."""
    with LocalBroker.start() as running:
        yield running


def make_items(prefix: str, count: int, *, start: int = 0) -> list[Item]:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return [Item(id=f"{prefix}-{n:05d}", source=SourceRef(type="rss", name="wire"), title=f"Report {n}",
                 text=f"Gunmen killed {n % 40 + 2} villagers near El Fasher, Sudan, witnesses said.",
                 published=base + timedelta(seconds=n), collected=base + timedelta(seconds=n),
                 raw_sha256="a" * 64, content_sha256=f"{n:064d}") for n in range(start, start + count)]


def proxied_stack(tmp: Path, broker: LocalBroker, search: SearchSettings, proxy: FaultyProxy,
                  **env: str) -> tuple[Stack, Settings]:
    """A stack whose workers reach the search server through ``proxy``, and settings
    for the test itself that go straight to it."""
    stack = Stack(tmp, broker, SearchSettings(url=proxy.url, node_class=COMPAT_NODE), rules="rules: []\n")
    stack.env.update(env)
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    direct = settings.model_copy(update={"search": settings.search.model_copy(update={"url": search.url})})
    return stack, direct


def search_proxy(search: SearchSettings) -> FaultyProxy:
    address = urlsplit(search.url)
    return FaultyProxy(address.hostname or "127.0.0.1", address.port or 9200)


def dead_letters(bootstrap: str) -> list[DeadLetter]:
    return [DeadLetter.from_bytes(record.value) for record in read_topic(bootstrap, topics.ITEMS_DLQ)]


def test_a_minute_without_the_search_server_stalls_the_stream_and_then_it_catches_up(
        tmp_path: Path, fresh_broker: LocalBroker, search_settings: SearchSettings) -> None:
    with search_proxy(search_settings) as proxy:
        stack, settings = proxied_stack(tmp_path, fresh_broker, search_settings, proxy,
                                        TOCSIN_PROCESSING__BATCH_SIZE="500")
        bootstrap = fresh_broker.bootstrap_servers
        before = make_items("outage", 1000)
        stack.start_workers("process")
        try:
            produce_items(bootstrap, topics.ITEMS_RAW, before)
            # the waits bound a hang, not speed: every item is a violence report the encoder reads
            # (~20 a second on one core), and a loaded 2-core machine halves that
            wait_for(lambda: archive_count(settings) == len(before), "the first items archived",
                     timeout=240, workers=stack.workers)

            # 30 s refused (the server is down), then 30 s swallowed (a partition);
            # items keep coming all the while.
            during: list[Item] = []
            cut = time.monotonic()
            proxy.set_mode("refuse")
            while (elapsed := time.monotonic() - cut) < OUTAGE_S:
                if elapsed >= OUTAGE_S / 2 and proxy.mode == "refuse":
                    proxy.set_mode("blackhole")
                chunk = make_items("outage", 250, start=len(before) + len(during))
                produce_items(bootstrap, topics.ITEMS_RAW, chunk)
                during.extend(chunk)
                time.sleep(5)
            assert archive_count(settings) == len(before), "the archive changed while it was unreachable"
            lag = group_lag(bootstrap, f"{settings.app_id_prefix}-processors", [topics.ITEMS_RAW])
            assert lag is not None and lag >= len(during), "the worker acked items it could not archive"
            assert stack.workers[0].poll() is None, "the worker died during the outage"

            proxy.set_mode("up")
            healed = time.monotonic()
            after = make_items("outage", 500, start=len(before) + len(during))
            produce_items(bootstrap, topics.ITEMS_RAW, after)
            everything = before + during + after
            wait_for(lambda: archive_count(settings) == len(everything), "the backlog archived",
                     timeout=420, workers=stack.workers)
            catch_up = time.monotonic() - healed
            assert assert_archived_exactly(settings, (item.id for item in everything)) == len(everything)
            assert dead_letters(bootstrap) == []
            retries = (tmp_path / "process.log").read_text(errors="replace").count("retrying in")
            print(f"outage: {len(during)} items held back over {OUTAGE_S:.0f} s; {len(everything)} archived "
                  f"{catch_up:.1f} s after the server came back; {retries} retries logged")
            assert 2 <= retries <= 40, f"{retries} retries in a minute: not backing off"
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop_workers()


def test_worker_killed_between_publishing_and_archiving_a_batch_loses_and_copies_nothing(
        tmp_path: Path, fresh_broker: LocalBroker, search_settings: SearchSettings) -> None:
    """The kill lands at the worst moment on purpose: the batch is on ``items.enriched``
    but the archive has not taken it (it refuses writes, and the worker is retrying)."""
    with search_proxy(search_settings) as proxy:
        stack, settings = proxied_stack(tmp_path, fresh_broker, search_settings, proxy,
                                        TOCSIN_PROCESSING__BATCH_SIZE="200")
        bootstrap = fresh_broker.bootstrap_servers
        first, second = make_items("midbatch", 600), make_items("midbatch", 600, start=600)
        stack.start_workers("process")
        try:
            produce_items(bootstrap, topics.ITEMS_RAW, first)
            wait_for(lambda: archive_count(settings) == len(first), "the first items archived",
                     workers=stack.workers)
            proxy.set_mode("reject_writes")
            produce_items(bootstrap, topics.ITEMS_RAW, second)
            wait_for(lambda: proxy.rejected >= 2 and len(read_topic(bootstrap, topics.ITEMS_ENRICHED)) > 600,
                     "a batch published and its archive write refused", workers=stack.workers)
            worker = stack.workers.pop()
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            in_flight = len(read_topic(bootstrap, topics.ITEMS_ENRICHED)) - len(first)
            assert archive_count(settings) == len(first)

            proxy.set_mode("up")
            stack.start_workers("process")
            wait_for(lambda: archive_count(settings) == len(first) + len(second), "the rest archived",
                     timeout=150, workers=stack.workers)
            assert_archived_exactly(settings, (item.id for item in first + second))
            assert dead_letters(bootstrap) == []
            # At least once downstream: the killed batch was enriched (and published) again.
            enriched = [record.key.decode() for record in read_topic(bootstrap, topics.ITEMS_ENRICHED)
                        if record.key]
            copies = duplicates(enriched)
            assert set(enriched) == {item.id for item in first + second}
            assert set(copies) <= {item.id for item in second} and len(copies) <= in_flight <= 200
            print(f"mid-batch kill: {in_flight} items in flight, {len(copies)} published twice "
                  f"on items.enriched, archive exact")
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop_workers()


# --- poison ---------------------------------------------------------------------------



def billion_laughs() -> str:
    """Nine levels of ten: 10⁹ "lol"s (3 GB) if a parser expands them."""
    refs = ["&lol;" * 10, *(f"&lol{n - 1};" * 10 for n in range(2, 10))]
    levels = "".join(f'<!ENTITY lol{n} "{ref}">' for n, ref in enumerate(refs, start=1))
    return f'<!DOCTYPE rss [<!ENTITY lol "lol">{levels}]>'


SCRIPT_TITLE = "&lt;script&gt;alert(1)&lt;/script&gt;Massacre &lt;img src=x onerror=alert(2)&gt;"
SCRIPT_BODY = ("<![CDATA[<script>alert(document.cookie)</script><img src=x onerror=alert(1)>"
               "Gunmen <b>killed</b> nine.<iframe src='javascript:alert(3)'></iframe>]]>")


def rss_entry(guid: str, title: str, body: str, date: str = "Tue, 24 Nov 2026 10:00:00 GMT") -> str:
    return (f"<item><guid>urn:poison:{guid}</guid><title>{title}</title><description>{body}</description>"
            f"<pubDate>{date}</pubDate></item>")


def rss_feed(entries: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}<rss version="2.0"><channel><title>t</title>'
            f"<link>https://news.example.org/</link><description>d</description>{entries}</channel></rss>"
            ).encode("utf-8", "surrogateescape")


def good_entry(name: str) -> str:
    return rss_entry(f"{name}-after", f"After the {name}", "Gunmen killed five villagers near Nyala.")


ARABIC = "قتل مسلحون خمسة قرويين قرب نيالا"


def poison_feeds() -> dict[str, bytes]:
    """One feed per poison, each with a good entry after the poison."""
    return {
        # Declared UTF-8, holding bytes that are not: they become U+FFFD, and the
        # feed's other entries (Arabic here) keep their text.
        "bad-encoding": rss_feed(rss_entry("bad-encoding", "Caf\udcff", "bytes \udcfe\udcff here")
                                 + rss_entry("bad-encoding-after", "بعد", ARABIC)),
        "bad-dates": rss_feed(rss_entry("date-1", "Odd date", "x", date="Fri, 45 Foo 99999 99:99:99 GMT")
                              + rss_entry("date-2", "No date", "y", date="not a date")
                              + good_entry("bad-dates")),
        "entity-bomb": rss_feed(rss_entry("bomb", "&lol9;", "&lol9;") + good_entry("entity-bomb"),
                                doctype=billion_laughs()),
        "nested-html": rss_feed(rss_entry("nested", "Nested", "<![CDATA[" + "<div>" * 100_000 + "deep text"
                                          + "</div>" * 100_000 + "]]>") + good_entry("nested-html")),
        "script": rss_feed(rss_entry("script", SCRIPT_TITLE, SCRIPT_BODY) + good_entry("script")),
        # 3 MB of text in one entry: the feed is within the cap, the item is not a record Kafka takes.
        "big-entry": rss_feed(rss_entry("big", "Big", "killed " * 500_000) + good_entry("big-entry")),
    }


def feed_ids(guids: list[str]) -> dict[str, str]:
    """Item ids of poison entries: scoped to the feed that publishes each guid."""
    from collectors.normalise import item_id

    feeds = poison_feeds()

    def feed_of(guid: str) -> str:
        marker = f"<guid>urn:poison:{guid}</guid>".encode()
        return next(name for name, body in feeds.items() if marker in body)

    return {guid: item_id(guid=f"urn:poison:{guid}", link=None, title="", published=None,
                          feed_name=feed_of(guid)) for guid in guids}


def raw_poison() -> list[tuple[str, bytes]]:
    """(name, payload) of records no Tocsin collector writes, as another producer might."""
    good = make_items("raw", 1)[0].model_dump(mode="json")

    def record(**changes: object) -> bytes:
        return json.dumps({**good, **changes}, ensure_ascii=False).encode()

    return [
        ("bad-encoding", record(id="raw-latin1", title="Caf\u00e9").replace("Café".encode(), b"Caf\xe9")),
        ("oversize", record(id="raw-oversize", text="x" * 2_000_000)),
        ("invalid-date", record(id="raw-bad-date", published="2026-02-30T25:61:00Z")),
        ("nested-json", b'{"id": "raw-nested", "title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("not-json", b"<html>not an item</html>"),
    ]


EXPECTED_LETTERS = {
    # (stage, reason) → what the error must say
    ("collector", "feed_too_large"): "feed too large",
    ("collector", "oversize_item"): "record limit",
    ("processors", "bad-encoding"): "not valid UTF-8",
    ("processors", "oversize"): "more than the",
    ("processors", "invalid"): "published",
    ("processors", "unparseable"): "nested too deeply",
}


def test_poison_is_dead_lettered_or_neutralised_and_the_stream_goes_on(
        tmp_path: Path, fresh_broker: LocalBroker, search_settings: SearchSettings) -> None:
    from tests.e2e.test_stream import collect_once
    from tocsin_embedded.feedserver import FeedServer

    stack = Stack(tmp_path, fresh_broker, search_settings, rules="rules: []\n")
    stack.env["TOCSIN_KAFKA__TOPIC_PARTITIONS"] = "1"  # one order: "after the poison" means after
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    bootstrap = fresh_broker.bootstrap_servers
    for name, body in poison_feeds().items():
        (stack.feeds_dir / f"{name}.xml").write_bytes(body)
    with (stack.feeds_dir / "fifty-mb.xml").open("wb") as huge:  # a 50 MB body, over the 10 MiB cap
        huge.write(rss_feed(rss_entry("huge", "Huge", "x" * (50 * 1024 * 1024))))
    names = [*poison_feeds(), "fifty-mb"]
    with FeedServer.start(stack.feeds_dir) as server:
        Path(settings.collector.feeds_file).write_text("feeds:\n" + "".join(
            f"  - {{name: {name}, url: '{server.url}/{name}.xml', language: en, interval: 60}}\n"
            for name in names), encoding="utf-8")
        stack.start_workers("process")
        try:
            began = time.monotonic()
            summary = collect_once(settings)
            reports = summary.by_feed
            assert reports["fifty-mb"].status == "failed"
            assert all(reports[name].status == "new" for name in poison_feeds())
            raw = raw_poison()
            good_raw = make_items("raw-good", len(raw))
            script_raw = make_items("raw-script", 1)[0].model_copy(update={
                "title": "<script>alert(1)</script>Massacre", "text": "<img src=x onerror=alert(2)> killed"})
            records: list[tuple[bytes | None, bytes]] = []
            for (name, payload), after in zip(raw, good_raw, strict=True):
                records += [(name.encode(), payload), (after.id.encode(), after.to_bytes())]
            records.append((script_raw.id.encode(), script_raw.to_bytes()))
            asyncio.run(produce(bootstrap, topics.ITEMS_RAW, records))

            archived_feed = feed_ids(["bad-encoding", "bad-encoding-after", "date-1", "date-2",
                                      "bad-dates-after", "bomb", "entity-bomb-after", "nested",
                                      "nested-html-after", "script", "script-after", "big-entry-after"])
            expected = {*archived_feed.values(), *(item.id for item in good_raw), script_raw.id}
            wait_for(lambda: archive_count(settings) >= len(expected), "every good item archived",
                     timeout=120, workers=stack.workers)
            elapsed = time.monotonic() - began
            assert_archived_exactly(settings, expected)

            letters = dead_letters(bootstrap)
            assert sorted((letter.stage, letter.reason) for letter in letters) == sorted(
                [*EXPECTED_LETTERS, ("processors", "unparseable")]), letters
            for (stage, reason), says in EXPECTED_LETTERS.items():
                assert any(says in x.error for x in letters if (x.stage, x.reason) == (stage, reason)), (
                    stage, reason, [x.error for x in letters])
            by_key = {letter.key: letter for letter in letters}
            assert by_key["fifty-mb"].reason == "feed_too_large"
            assert by_key[feed_ids(["big"])["big"]].reason == "oversize_item"
            assert by_key["not-json"].error.startswith("unparseable: not JSON")
            assert by_key["nested-json"].reason == "unparseable"
            assert {by_key[name].reason for name in ("bad-encoding", "oversize", "invalid-date")} == {
                "bad-encoding", "oversize", "invalid"}

            docs = {hit["_id"]: hit["_source"] for hit in es_query(
                settings, settings.search.items_index, query={"ids": {"values": sorted(expected)}})}
            assert docs[archived_feed["bad-encoding"]]["title"] == "Caf\ufffd"
            assert docs[archived_feed["bad-encoding-after"]]["text"] == ARABIC
            for guid in ("date-1", "date-2"):  # no usable date: the item counts at collection time
                assert docs[archived_feed[guid]]["published"] is None
                doc = docs[archived_feed[guid]]
                assert datetime.fromisoformat(doc["event_time"]) == datetime.fromisoformat(doc["collected"])
            assert docs[archived_feed["bomb"]]["title"] == "&lol9;"  # never expanded
            assert docs[archived_feed["nested"]]["text"] == "deep text"
            script = docs[archived_feed["script"]]
            assert script["text"] == "Gunmen killed nine."  # markup in the body is dropped
            # Escaped markup in a title is text: kept verbatim, inert until a renderer
            # forgets to escape it (each renderer escapes; see its tests).
            assert script["title"] == "<script>alert(1)</script>Massacre <img src=x onerror=alert(2)>"
            assert docs[script_raw.id]["title"] == "<script>alert(1)</script>Massacre"
            print(f"poison: {len(letters)} dead letters, {len(expected)} archived in {elapsed:.1f} s")
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop_workers()


# --- collector killed -----------------------------------------------------------------

KILL_FEEDS = 6
PER_ROUND = 10


def growing_feed(feed: int, count: int) -> bytes:
    """A feed listing entries 0..count-1, newest first, as feeds do."""
    base = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    entries = "".join(
        f"<item><guid>urn:kill:{feed}:{n}</guid><title>Report {feed}-{n}</title>"
        f"<description>Gunmen killed {n % 40 + 2} villagers near Nyala, monitors said.</description>"
        f"<pubDate>{(base + timedelta(seconds=n)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for n in reversed(range(count)))
    return rss_feed(entries)


def publish_feed(path: Path, body: bytes) -> None:
    """Replace a served file at once (a half-written file would be a broken feed)."""
    partial = path.with_suffix(".part")
    partial.write_bytes(body)
    partial.replace(path)


def test_collector_killed_and_restarted_neither_skips_nor_repeats_entries(
        tmp_path: Path, fresh_broker: LocalBroker, search_settings: SearchSettings) -> None:
    from collectors.normalise import item_id
    from tocsin_embedded.feedserver import FeedServer

    stack = Stack(tmp_path, fresh_broker, search_settings, rules="rules: []\n")
    stack.env["TOCSIN_COLLECTOR__MIN_INTERVAL_S"] = "0.2"
    settings = stack.settings()
    asyncio.run(ensure_topics(settings.kafka))
    bootstrap = fresh_broker.bootstrap_servers
    rounds, kills_at = 36, (10, 22)
    with FeedServer.start(stack.feeds_dir) as server:
        Path(settings.collector.feeds_file).write_text("feeds:\n" + "".join(
            f"  - {{name: wire-{f}, url: '{server.url}/wire-{f}.xml', language: en, interval: 0.5}}\n"
            for f in range(KILL_FEEDS)), encoding="utf-8")
        for f in range(KILL_FEEDS):
            publish_feed(stack.feeds_dir / f"wire-{f}.xml", growing_feed(f, 0))
        stack.start_workers("collect")
        kills = 0
        try:
            for r in range(1, rounds + 1):
                for f in range(KILL_FEEDS):
                    publish_feed(stack.feeds_dir / f"wire-{f}.xml", growing_feed(f, r * PER_ROUND))
                time.sleep(0.3)
                if r in kills_at:
                    collector = stack.workers.pop()
                    collector.send_signal(signal.SIGKILL)  # no shutdown: a crash
                    collector.wait(10)
                    kills += 1
                    stack.start_workers("collect")
            expected = {item_id(guid=f"urn:kill:{f}:{n}", link=None, title="", published=None,
                                feed_name=f"wire-{f}")
                        for f in range(KILL_FEEDS) for n in range(rounds * PER_ROUND)}

            def published() -> list[str]:
                return [record.key.decode() for record in read_topic(bootstrap, topics.ITEMS_RAW)
                        if record.key]

            wait_for(lambda: set(published()) >= expected, "every entry on items.raw", timeout=60,
                     workers=stack.workers)
            time.sleep(2)  # a re-emission would come now, on the next polls
            ids = published()
            copies = duplicates(ids)
            print(f"collector kills: {kills}; {len(ids)} records for {len(expected)} entries, "
                  f"{len(copies)} published twice")
            assert set(ids) == expected
            assert not copies, f"{len(copies)} entries published more than once, e.g. {sorted(copies)[:3]}"
            assert dead_letters(bootstrap) == []
        except BaseException:
            print(stack.logs())
            raise
        finally:
            stack.stop_workers()

"""The publish journal: a crash after the broker took a poll's items, before the
state file recorded them, re-emits none of them and skips none.

The sink is an in-memory topic with offsets; "the crash" is a sink that appends
the items and then fails, as a process killed before its save would leave them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from collectors.config import FeedConfig
from collectors.publisher import JournaledSink
from collectors.runner import Collector
from collectors.state import PendingItem, StateStore
from tocsin.schema import DeadLetter, Item
from tocsin.settings import CollectorSettings

ENTRIES = [{"title": t, "link": f"https://test.example.org/{t}", "guid": f"https://test.example.org/{t}"}
           for t in ("A", "B", "C")]


class Topic:
    """items.raw with one partition: what a restarted collector finds there."""

    def __init__(self) -> None:
        self.records: list[Item] = []


class TopicSink:
    def __init__(self, topic: Topic, *, take: int | None = None, then_fail: bool = False) -> None:
        self.topic = topic
        self.take = take
        self.then_fail = then_fail
        self.sent: list[Item] = []

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        taken = list(items)[: self.take] if self.take is not None else list(items)
        self.topic.records.extend(taken)
        self.sent.extend(taken)
        if self.then_fail:
            raise ConnectionError("killed before the acknowledgement was recorded")

    async def end_offsets(self) -> dict[int, int]:
        return {0: len(self.topic.records)}

    async def published_since(self, offsets: Mapping[int, int]) -> set[tuple[str, str, bool]]:
        return {(i.id, i.content_sha256, i.deleted) for i in self.topic.records[offsets.get(0, 0):]}


def test_the_kafka_publisher_and_the_test_sink_are_journaled_sinks() -> None:
    from collectors.publisher import KafkaPublisher
    from tocsin.settings import KafkaSettings

    assert isinstance(KafkaPublisher(KafkaSettings()), JournaledSink)
    assert isinstance(TopicSink(Topic()), JournaledSink)


async def run(feed: FeedConfig, settings: CollectorSettings, sink: TopicSink) -> None:
    async with Collector([feed], settings, sink, rng=random.Random(0)) as collector:
        await collector.run_once()


async def test_items_the_broker_took_before_the_crash_are_not_sent_again(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss(ENTRIES))
    feed, topic = feed_config(feed_server.url("/f")), Topic()
    await run(feed, fast_settings, TopicSink(topic, then_fail=True))
    again = TopicSink(topic)
    await run(feed, fast_settings, again)
    assert again.sent == []
    assert sorted(item.title for item in topic.records) == ["A", "B", "C"]


async def test_items_the_broker_never_got_are_sent_after_the_crash(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss(ENTRIES))
    feed, topic = feed_config(feed_server.url("/f")), Topic()
    await run(feed, fast_settings, TopicSink(topic, take=1, then_fail=True))  # one of three arrived
    again = TopicSink(topic)
    await run(feed, fast_settings, again)
    assert len(again.sent) == 2
    assert sorted(item.title for item in topic.records) == ["A", "B", "C"]
    with StateStore(fast_settings.state_path, seen_limit=100) as store:
        assert store.pending(feed.name) is None


async def test_an_acknowledged_publish_leaves_no_journal(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss(ENTRIES))
    feed = feed_config(feed_server.url("/f"))
    await run(feed, fast_settings, TopicSink(Topic()))
    with StateStore(fast_settings.state_path, seen_limit=100) as store:
        assert store.pending(feed.name) is None


def test_the_journal_round_trips_and_settling_marks_only_what_arrived(tmp_path: Any) -> None:
    with StateStore(tmp_path / "s.sqlite3", seen_limit=100) as store:
        store.begin_publish("f", [PendingItem("i-1", "h1", False, ("i-1",)),
                                  PendingItem("i-2", "h2", True, ("i-2#deleted",))], {0: 7, 1: 3})
        pending = store.pending("f")
        assert pending is not None and pending.offsets == {0: 7, 1: 3}
        assert {item.version for item in pending.items} == {("i-1", "h1", False), ("i-2", "h2", True)}
        store.settle("f", ["i-1"])
        assert store.pending("f") is None
        assert store.unseen("f", ["i-1", "i-2#deleted"]) == ["i-2#deleted"]


async def test_the_kafka_publisher_finds_what_it_sent_after_the_offsets_it_reported(broker: Any) -> None:
    import uuid

    from collectors.publisher import KafkaPublisher
    from tocsin.kafka import ensure_topics
    from tocsin.schema import SourceRef, utcnow
    from tocsin.settings import KafkaSettings

    settings = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
    await ensure_topics(settings)

    def item(deleted: bool = False) -> Item:
        return Item(id=f"i-{uuid.uuid4().hex}", source=SourceRef(type="rss", name="j"), title="t", text="x",
                    collected=utcnow(), raw_sha256="0" * 64, content_sha256="1" * 64, deleted=deleted)

    before, after = [item()], [item(), item(deleted=True)]
    async with KafkaPublisher(settings) as publisher:
        await publisher.publish(before, [])
        offsets = await publisher.end_offsets()
        await publisher.publish(after, [])
        found = await publisher.published_since(offsets)
    assert {(i.id, i.content_sha256, i.deleted) for i in after} <= found

"""collectors.runner: seen-id dedupe, at-least-once recording, schedule, isolation.

The sink here records what it is given (or refuses it); the Kafka path itself is
tested against the real broker in test_publisher.py.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.config import FeedConfig
from collectors.normalise import story_id
from collectors.runner import Collector, FeedReport, RunSummary
from collectors.state import FeedState, StateStore
from tocsin.schema import DeadLetter, Item
from tocsin.settings import CollectorSettings


class RecordingSink:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.dead_letters: list[DeadLetter] = []
        self.refuse = False

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        if self.refuse:
            raise ConnectionError("broker unreachable")
        self.items.extend(items)
        self.dead_letters.extend(dead_letters)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


ENTRY_A = {"title": "A", "link": "https://test.example.org/a", "guid": "https://test.example.org/a"}
ENTRY_B = {"title": "B", "link": "https://test.example.org/b", "guid": "https://test.example.org/b"}
ENTRY_C = {"title": "C", "link": "https://test.example.org/c", "guid": "https://test.example.org/c"}


def collector(feeds: list[FeedConfig], settings: CollectorSettings, sink: RecordingSink,
              clock: Callable[[], datetime] | None = None) -> Collector:
    return Collector(feeds, settings, sink, clock=clock or Clock(), rng=random.Random(0))


async def test_new_entries_are_published_once_and_a_304_publishes_nothing(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss([ENTRY_B, ENTRY_A]), etag='"v1"')
    sink = RecordingSink()
    async with collector([feed_config(feed_server.url("/f"))], fast_settings, sink) as running:
        first = await running.run_once()
        second = await running.run_once()
    assert [item.title for item in sink.items] == ["B", "A"]
    assert (first.by_feed["test-feed"].status, first.by_feed["test-feed"].new_items) == ("new", 2)
    assert (second.by_feed["test-feed"].status, second.by_feed["test-feed"].http_status) == ("unchanged", 304)


async def test_state_survives_a_restart_and_only_the_added_entry_is_emitted(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed = feed_config(feed_server.url("/f"))
    route = feed_server.route("/f", body=rss([ENTRY_B, ENTRY_A]))
    before = RecordingSink()
    async with collector([feed], fast_settings, before) as running:
        await running.run_once()

    # A new process, a changed body (so neither validators nor body hash can help), the same entries.
    route.body = rss([ENTRY_B, ENTRY_A], title="Test feed, rebuilt")
    after_restart = RecordingSink()
    async with collector([feed], fast_settings, after_restart) as running:
        summary = await running.run_once()
        assert summary.by_feed["test-feed"].status == "unchanged" and after_restart.items == []

        route.body = rss([ENTRY_C, ENTRY_B, ENTRY_A])
        await running.run_once()
    assert [item.title for item in before.items] == ["B", "A"]
    assert [item.title for item in after_restart.items] == ["C"]


async def test_nothing_is_recorded_when_the_broker_does_not_acknowledge(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss([ENTRY_A]), etag='"v1"')
    sink = RecordingSink()
    sink.refuse = True
    async with collector([feed_config(feed_server.url("/f"))], fast_settings, sink) as running:
        failed = await running.run_once()
        assert running.store.load("test-feed").etag is None
        sink.refuse = False
        retried = await running.run_once()
    assert failed.by_feed["test-feed"].status == "failed"
    assert "publishing failed" in (failed.by_feed["test-feed"].error or "")
    assert "if-none-match" not in feed_server.hits("/f")[1].headers
    assert retried.by_feed["test-feed"].new_items == 1 and [item.title for item in sink.items] == ["A"]


async def test_a_failing_feed_is_backed_off_exponentially(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig]) -> None:
    feed_server.route("/broken", always=feed_server.Reply(500))
    clock = Clock()
    feed = feed_config(feed_server.url("/broken"), interval=60)
    delays = []
    async with collector([feed], fast_settings, RecordingSink(), clock) as running:
        for _ in range(4):
            report = (await running.run_once()).by_feed["test-feed"]
            assert report.status == "failed" and report.next_poll is not None
            delays.append((report.next_poll - clock.now).total_seconds())
        state = running.store.load("test-feed")
    assert state.failures == 4 and "HTTP 500" in (state.last_error or "")
    for n, delay in enumerate(delays, start=1):
        assert 0.8 * 60 * 2 ** (n - 1) <= delay <= 1.2 * 60 * 2 ** (n - 1)
    assert len(feed_server.hits("/broken")) == 4 * (fast_settings.retries + 1)


async def test_retry_after_from_the_server_is_a_floor_on_the_next_poll(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig]) -> None:
    feed_server.route("/f", always=feed_server.Reply(429, headers={"Retry-After": "3600"}))
    clock = Clock()
    async with collector([feed_config(feed_server.url("/f"), interval=60)], fast_settings, RecordingSink(),
                         clock) as running:
        report = (await running.run_once()).by_feed["test-feed"]
    assert report.status == "failed" and report.next_poll is not None
    assert report.next_poll - clock.now >= timedelta(seconds=3600)
    assert len(feed_server.hits("/f")) == 1


async def test_success_after_failures_resets_the_failure_count(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss([ENTRY_A]), script=[feed_server.Reply(500), feed_server.Reply(500)])
    async with collector([feed_config(feed_server.url("/f"))], fast_settings, RecordingSink()) as running:
        assert (await running.run_once()).by_feed["test-feed"].status == "failed"
        assert (await running.run_once()).by_feed["test-feed"].status == "new"
        assert running.store.load("test-feed").failures == 0


async def test_interval_shortens_on_new_entries_and_stretches_when_quiet(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    route = feed_server.route("/f", body=rss([ENTRY_A]), etag='"v1"')
    async with collector([feed_config(feed_server.url("/f"), interval=100)], fast_settings,
                         RecordingSink()) as running:
        busy = (await running.run_once()).by_feed["test-feed"].interval_s
        route.body, route.etag = rss([ENTRY_B, ENTRY_A]), '"v2"'
        busier = (await running.run_once()).by_feed["test-feed"].interval_s
        quiet = (await running.run_once()).by_feed["test-feed"].interval_s
        quieter = (await running.run_once()).by_feed["test-feed"].interval_s
    assert (busy, busier, quiet, quieter) == (50.0, 25.0, 37.5, 56.25)


async def test_malformed_feed_fails_with_a_dead_letter_and_other_feeds_still_deliver(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes], data: Callable[[str], bytes]) -> None:
    feed_server.route("/bad", body=data("malformed.html"))
    feed_server.route("/good", body=rss([ENTRY_A]))
    sink = RecordingSink()
    feeds = [feed_config(feed_server.url("/bad"), name="bad"),
             feed_config(feed_server.url("/good"), name="good")]
    async with collector(feeds, fast_settings, sink) as running:
        summary = await running.run_once()
    assert (summary.count("failed"), summary.count("new"), summary.new_items) == (1, 1, 1)
    assert [(letter.reason, letter.key) for letter in sink.dead_letters] == [("malformed_feed", "bad")]


async def test_disabled_feeds_are_not_polled(feed_server: Any, fast_settings: CollectorSettings,
                                             feed_config: Callable[..., FeedConfig],
                                             rss: Callable[..., bytes]) -> None:
    feed_server.route("/off", body=rss([ENTRY_A]))
    async with collector([feed_config(feed_server.url("/off"), enabled=False)], fast_settings,
                         RecordingSink()) as running:
        summary = await running.run_once()
    assert summary.reports == [] and feed_server.hits("/off") == []


async def test_entries_repeated_within_one_feed_are_published_once(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss([ENTRY_A, ENTRY_A]))
    sink = RecordingSink()
    async with collector([feed_config(feed_server.url("/f"))], fast_settings, sink) as running:
        await running.run_once()
    assert len(sink.items) == 1


async def test_a_hanging_feed_does_not_stall_the_others(
        feed_server: Any, tmp_path: Any, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    settings = CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "s.db", timeout_s=5.0, retries=0,
        min_interval_s=0.02)
    feed_server.route("/hang", body=rss([ENTRY_A]), delay_s=3.0)
    route = feed_server.route("/fast", body=rss([ENTRY_B]))
    # Interval 0.05 s: adaptation keeps the fast feed between 0.02 s and 0.2 s.
    feeds = [feed_config(feed_server.url("/hang"), name="hang", interval=0.05),
             feed_config(feed_server.url("/fast"), name="fast", interval=0.05)]
    sink = RecordingSink()
    stop = asyncio.Event()
    async with Collector(feeds, settings, sink) as running:
        task = asyncio.create_task(running.run(stop))
        for index in range(3):
            await asyncio.sleep(0.3)
            route.body = rss([{"title": f"n{index}", "guid": f"urn:n:{index}"}])
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(task, timeout=2.0)
    assert len(feed_server.hits("/hang")) == 1
    assert len(feed_server.hits("/fast")) >= 4
    assert [item.title for item in sink.items] == ["B", "n0", "n1", "n2"]


async def test_run_waits_for_the_stored_next_poll_time(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    feed_server.route("/f", body=rss([ENTRY_A]))
    feed = feed_config(feed_server.url("/f"))
    with StateStore(fast_settings.state_path, seen_limit=10) as store:
        store.save(FeedState("test-feed", next_poll=datetime.now(UTC) + timedelta(hours=1)))
    stop = asyncio.Event()
    async with Collector([feed], fast_settings, RecordingSink()) as running:
        task = asyncio.create_task(running.run(stop))
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(task, timeout=2.0)
    assert feed_server.hits("/f") == []


@pytest.mark.parametrize("status", ["new", "unchanged", "failed"])
def test_summary_counts_feeds_by_status(status: str) -> None:
    summary = RunSummary([FeedReport("a", "new", 2), FeedReport("b", "unchanged"), FeedReport("c", "failed")])
    assert summary.count(status) == 1  # type: ignore[arg-type]
    assert summary.new_items == 2 and str(summary).startswith("3 feeds: 1 new, 1 unchanged, 1 failed")


async def test_an_entry_dated_9999_is_published_at_its_collection_time_and_flagged(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    future = {**ENTRY_A, "pubDate": "Fri, 31 Dec 9999 23:59:59 GMT"}
    ancient = {**ENTRY_B, "pubDate": "Mon, 01 Jan 1000 00:00:00 GMT"}
    feed_server.route("/f", body=rss([future, ancient]))
    sink, clock = RecordingSink(), Clock()
    async with collector([feed_config(feed_server.url("/f"))], fast_settings, sink, clock) as running:
        await running.run_once()
    by_title = {item.title: item for item in sink.items}
    assert by_title["A"].published == clock.now
    assert by_title["A"].claimed_published == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert by_title["A"].integrity_flags == ["future-dated"]
    assert (by_title["B"].published, by_title["B"].integrity_flags) == (
        datetime(1000, 1, 1, tzinfo=UTC), ["implausibly-old"])


async def test_a_state_file_from_before_scoped_ids_re_emits_nothing(
        feed_server: Any, fast_settings: CollectorSettings, feed_config: Callable[..., FeedConfig],
        rss: Callable[..., bytes]) -> None:
    """Releases before 0.2 remembered an entry by its story id; upgrading must not publish
    every listed entry again under its new, feed-scoped id (and count it twice in the rules)."""
    feed_server.route("/f", body=rss([ENTRY_C, ENTRY_B, ENTRY_A]))
    remembered = [story_id(guid=entry["guid"], link=entry["link"]) for entry in (ENTRY_B, ENTRY_A)]
    with StateStore(fast_settings.state_path, seen_limit=100) as store:
        store.save(FeedState(name="test-feed"), [key for key in remembered if key], published=True)
    sink = RecordingSink()
    async with collector([feed_config(feed_server.url("/f"))], fast_settings, sink) as running:
        await running.run_once()
    assert [item.title for item in sink.items] == ["C"]

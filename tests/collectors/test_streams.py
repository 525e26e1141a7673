"""collectors.runner with streaming sources: batches acknowledged before their cursor is
stored, restarts with backoff, deletions and edits remembered apart from their posts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from collectors.config import FeedConfig
from collectors.protocol import (
    Emit,
    PollContext,
    PollOutcome,
    StreamBatch,
    StreamContext,
    StreamingSource,
    build_source,
    register,
)
from collectors.runner import Collector, fresh_by_key, seen_keys
from tocsin.schema import DeadLetter, Item, SourceRef
from tocsin.settings import CollectorSettings

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


def post(n: int, text: str = "", *, deleted: bool = False) -> Item:
    return Item(id=f"i-{n}", source=SourceRef(type="test-stream", name="s"), text=text or f"post {n}",
                collected=NOW, raw_sha256="r", content_sha256=f"c-{text or n}", deleted=deleted)


class ScriptedConfig(FeedConfig):
    url: str = "https://stream.example.org/"


@register("test-stream", config_model=ScriptedConfig)
class ScriptedStream:
    """Emits ``BATCHES[name]`` one by one from the stored cursor (a batch index) on; a batch
    that is the string "crash" raises once. Records every context it was started with."""

    BATCHES: ClassVar[dict[str, list[list[Item] | str]]] = {}
    STARTS: ClassVar[dict[str, list[str | None]]] = {}

    def __init__(self, config: ScriptedConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    async def run(self, context: StreamContext, emit: Emit, stop: asyncio.Event) -> None:
        self.STARTS.setdefault(self.name, []).append(context.cursor)
        batches = self.BATCHES[self.name]
        start = int(context.cursor) + 1 if context.cursor is not None else 0
        for index in range(start, len(batches)):
            batch = batches[index]
            if batch == "crash":
                batches[index] = []
                raise RuntimeError("scripted crash")
            assert not isinstance(batch, str)
            await emit(StreamBatch(items=list(batch), cursor=str(index)))
        await stop.wait()


class StaticPollConfig(FeedConfig):
    pass


@register("test-edits", config_model=StaticPollConfig)
class EditedPage:
    """Polls a page whose posts the test edits between polls."""

    PAGE: ClassVar[list[Item]] = []

    def __init__(self, config: StaticPollConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    async def poll(self, context: PollContext) -> PollOutcome:
        return PollOutcome("changed", items=list(self.PAGE), edits_by_content=True)


class RecordingSink:
    def __init__(self) -> None:
        self.items: list[Item] = []

    async def publish(self, items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
        self.items.extend(items)


def settings(tmp_path: Any) -> CollectorSettings:
    return CollectorSettings(
        allow_private_targets=True, state_path=tmp_path / "s.db", backoff_base_s=0.01, min_interval_s=0.01)


def stream(name: str = "s") -> ScriptedConfig:
    return ScriptedConfig.model_validate({"name": name, "type": "test-stream"})


async def run_until(collector: Collector, done: Callable[[], bool], timeout: float = 3.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(collector.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not done():
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10.0)


# --- pure -----------------------------------------------------------------------------


def test_a_deletion_is_remembered_apart_from_its_post() -> None:
    assert seen_keys(post(1)) == ("i-1",)
    assert seen_keys(post(1, deleted=True)) == ("i-1#deleted",)


def test_with_edits_by_content_a_post_is_remembered_by_id_and_by_version() -> None:
    assert seen_keys(post(1, "v1"), edits_by_content=True) == ("i-1", "i-1@c-v1")


def test_fresh_by_key_keeps_the_first_of_each_unseen_key_in_order() -> None:
    items = [post(2), post(1), post(2), post(1, deleted=True)]
    assert fresh_by_key(items, ["i-2", "i-1#deleted"]) == [post(2), post(1, deleted=True)]


def test_a_streaming_plugin_is_recognised_as_one() -> None:
    assert isinstance(build_source(stream()), StreamingSource)


# --- the runner -----------------------------------------------------------------------


async def test_batches_are_published_and_their_cursor_stored_then_a_restart_resumes_after_it(
        tmp_path: Any) -> None:
    ScriptedStream.BATCHES["s"] = [[post(1), post(2)], [], [post(3)]]
    ScriptedStream.STARTS["s"] = []
    sink = RecordingSink()
    async with Collector([stream()], settings(tmp_path), sink, rng=random.Random(0)) as running:
        await run_until(running, lambda: len(sink.items) == 3)
        assert running.store.load("s").cursor == "2"
    ScriptedStream.BATCHES["s"].append([post(3), post(4)])  # a rewound replay: post 3 again
    async with Collector([stream()], settings(tmp_path), sink, rng=random.Random(0)) as running:
        await run_until(running, lambda: len(sink.items) == 4)
    assert [item.id for item in sink.items] == ["i-1", "i-2", "i-3", "i-4"]
    assert ScriptedStream.STARTS["s"] == [None, "2"]


async def test_an_unacknowledged_batch_is_not_stored_and_the_stream_restarts_from_the_last_stored(
        tmp_path: Any) -> None:
    ScriptedStream.BATCHES["s"] = [[post(1)], [post(2)], [post(3)]]
    ScriptedStream.STARTS["s"] = []
    sink = RecordingSink()
    async with Collector([stream()], settings(tmp_path), sink, rng=random.Random(0)) as running:
        original = sink.publish
        calls = 0

        async def refuse_the_second(items: Sequence[Item], dead_letters: Sequence[DeadLetter]) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise ConnectionError("broker unreachable")
            await original(items, dead_letters)

        sink.publish = refuse_the_second  # type: ignore[method-assign]
        await run_until(running, lambda: len(sink.items) == 3)
        state = running.store.load("s")
    assert [item.id for item in sink.items] == ["i-1", "i-2", "i-3"]
    assert ScriptedStream.STARTS["s"] == [None, "0"]
    assert state.cursor == "2" and state.failures == 0 and "broker unreachable" in (state.last_error or "")


async def test_a_crashing_stream_is_restarted_and_never_stalls_a_polled_feed(
        tmp_path: Any, feed_server: Any, rss: Callable[..., bytes]) -> None:
    ScriptedStream.BATCHES["s"] = ["crash", [post(1)]]
    ScriptedStream.STARTS["s"] = []
    feed_server.route("/f", body=rss([{"title": "A", "guid": "urn:a"}]))
    polled = FeedConfig(name="polled", url=feed_server.url("/f"), interval=0.05)
    sink = RecordingSink()
    async with Collector([stream(), polled], settings(tmp_path), sink, rng=random.Random(0)) as running:
        await run_until(running, lambda: {item.id for item in sink.items} >= {"i-1"} and len(sink.items) == 2)
    assert ScriptedStream.STARTS["s"] == [None, None]


async def test_run_once_leaves_streams_out(tmp_path: Any) -> None:
    ScriptedStream.BATCHES["s"] = [[post(1)]]
    async with Collector([stream()], settings(tmp_path), RecordingSink()) as running:
        summary = await running.run_once()
    assert summary.reports == []


async def test_a_deletion_of_a_published_post_is_published_too(tmp_path: Any) -> None:
    ScriptedStream.BATCHES["s"] = [[post(1)], [post(1, deleted=True)], [post(1, deleted=True)]]
    sink = RecordingSink()
    async with Collector([stream()], settings(tmp_path), sink) as running:
        await run_until(running, lambda: running.store.load("s").cursor == "2")
    assert [(item.id, item.deleted) for item in sink.items] == [("i-1", False), ("i-1", True)]


async def test_polled_edits_are_published_again_but_unchanged_posts_are_not(tmp_path: Any) -> None:
    feed = StaticPollConfig.model_validate({"name": "page", "url": "https://t.example/",
                                            "type": "test-edits"})
    sink = RecordingSink()
    async with Collector([feed], settings(tmp_path), sink) as running:
        EditedPage.PAGE = [post(1, "v1"), post(2, "v1")]
        await running.run_once()
        EditedPage.PAGE = [post(1, "v2"), post(2, "v1")]
        await running.run_once()
        await running.run_once()
    assert [(item.id, item.text) for item in sink.items] == [("i-1", "v1"), ("i-2", "v1"), ("i-1", "v2")]
